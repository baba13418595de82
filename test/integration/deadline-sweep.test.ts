import { expect } from 'chai';
import { LogRepository } from '../../src/db/log.repository';
import { fromUtf8, parseEntry } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { DeadlineSweep } from '../../src/orders/deadline-sweep';
import { lapseOf, nextStates, ORDER_KINDS, RUNNING_DEADLINES } from '../../src/orders/lifecycle';
import type { OrderInput } from '../../src/orders/order-service';
import {
  art42Request,
  DAY,
  domesticPreservation,
  HOUR,
  mlaRequest,
  productionContents,
  START,
  withOrders,
} from '../support/orders';

const logger = createLogger('silent');
/** A court's decision, which a domestic production order needs (UN Art. 24; Budapest Art. 15). */
const authorised = { authorisingBody: 'Baku Court of Serious Crimes', authorisingReference: 'DECISION-1' };

const SWEEPER = { sub: 'service:deadline-sweep', agency: 'SYSTEM', role: 'prosecutor' };

const nothing = { expired: [], overdue: [], minimumReached: [], warned: [] };

describe('the order deadline sweep (injected clock)', () => {
  it('when an international preservation reaches its 60 days, then the sweep warns ahead, records the floor once on time, and the data stay preserved', async () => {
    await withOrders(async ({ orders, desk, setClock, now, orderIn, chain }) => {
      const floor = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
      const sweep = new DeadlineSweep(orders, logger, 2 * DAY, now);
      setClock(new Date(START.getTime() + 59 * DAY));
      expect(await sweep.sweep()).to.deep.equal({ ...nothing, warned: [floor] });
      setClock(new Date(START.getTime() + 60 * DAY - 1));
      expect((await sweep.sweep()).minimumReached).to.deep.equal([]);

      setClock(new Date('2028-04-01T09:00:00.000Z')); // 60 days on, across 29 February
      expect(await sweep.sweep()).to.deep.equal({ ...nothing, minimumReached: [floor] });
      const order = await orders.get(desk, floor);
      expect(order.status).to.equal('preserved');
      expect(order.lapseRecorded).to.equal(true);
      const last = (await chain(floor)).at(-1);
      expect(last?.entry).to.deep.include({ type: 'order.minimum_reached', at: '2028-04-01T09:00:00.000Z' });
      expect(last?.data).to.deep.equal({
        status: 'preserved',
        deadline: { rule: 'preserve_at_least_until', at: '2028-04-01T09:00:00.000Z' },
      });
      expect(last?.actor).to.deep.equal(SWEEPER);

      // Months on, nothing more is recorded and nothing expires by itself.
      setClock(new Date('2029-06-01T00:00:00.000Z'));
      expect(await sweep.sweep()).to.deep.equal(nothing);
      expect((await orders.get(desk, floor)).status).to.equal('preserved');
    });
  });

  it('when a domestic preservation order’s 90 days run out, then the sweep expires it as a log entry, and an international one held for an MLA request never lapses', async () => {
    await withOrders(async ({ orders, desk, setClock, now, orderIn, chain }) => {
      const domestic = await orderIn(domesticPreservation, ['under_assessment', 'ordered', 'preserved']);
      const mla = await orderIn(mlaRequest, []);
      const held = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
      await orders.transition(desk, held, { to: 'pending_mla_decision', mlaOrderId: mla });

      const sweep = new DeadlineSweep(orders, logger, DAY, now);
      setClock(new Date(START.getTime() + 90 * DAY));
      expect((await sweep.sweep()).expired).to.deep.equal([domestic]);
      expect((await orders.get(desk, domestic)).status).to.equal('expired');
      const last = (await chain(domestic)).at(-1);
      expect(last?.entry).to.deep.include({ type: 'order.transitioned' });
      expect(last?.data).to.deep.include({ from: 'preserved', to: 'expired', reasonCode: 'DEADLINE_PASSED' });
      expect(last?.actor).to.deep.equal(SWEEPER);

      setClock(new Date('2031-06-01T00:00:00.000Z'));
      await sweep.sweep();
      expect((await orders.get(desk, held)).status).to.equal('pending_mla_decision');
    });
  });

  it('when orders in states whose deadline does not run have passed deadlines, more than a page holds, then the sweep does not read them and still records the one behind them', async () => {
    await withOrders(async ({ db, orders, desk, setClock, now, orderIn }) => {
      const stuck = [];
      for (let i = 0; i < 5; i++) stuck.push(await orderIn(art42Request, ['under_assessment', 'ordered']));
      // Ordered and not yet preserved, no deadline runs; give them the earliest deadlines, so they fill the first pages.
      await db.query(`UPDATE orders SET deadline_at = '2028-01-15T00:00:00Z' WHERE id = ANY($1::uuid[])`, [
        stuck,
      ]);
      const domestic = await orderIn(domesticPreservation, ['under_assessment', 'ordered', 'preserved']);

      setClock(new Date(START.getTime() + 91 * DAY));
      const pass = await new DeadlineSweep(orders, logger, DAY, now, 2).sweep();
      expect(pass).to.deep.equal({ ...nothing, expired: [domestic] });
      expect((await orders.get(desk, domestic)).status).to.equal('expired');
    });
  });

  it('every state a lapse expires can move to expired, every kind has a state whose lapse is recorded, and no domestic preservation waits for an MLA request', () => {
    for (const { kind, direction, state } of RUNNING_DEADLINES) {
      if (lapseOf(kind, direction, state) === 'expires')
        expect(nextStates(kind, direction, state), `${kind} ${direction} ${state}`).to.include('expired');
    }
    // Information sent unasked (UN Art. 40(4); Budapest Art. 26) owes nothing by a date: it has no deadline.
    const timed = ORDER_KINDS.filter((kind) => kind !== 'spontaneous_information');
    expect(new Set(RUNNING_DEADLINES.map((r) => r.kind))).to.deep.equal(new Set(timed));
    expect(lapseOf('preservation', 'incoming', 'preserved')).to.equal('minimum_reached');
    expect(lapseOf('preservation', 'domestic', 'preserved')).to.equal('expires');
  });

  it('when production orders, EPOCs and MLA requests pass their due dates, more of them than a page holds, then a served production order becomes overdue, every other one gets one order.overdue entry and keeps its state, and none is recorded twice', async () => {
    await withOrders(async ({ db, orders, partner, desk, setClock, now, chain }) => {
      const dueIn = (days: number) => new Date(START.getTime() + days * DAY);
      const production: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { value } = await orders.submit(desk, {
          ...domesticPreservation,
          kind: 'production',
          legalBasis: { instrument: 'DOMESTIC', article: '27' },
          requestedBy: dueIn(5 + i),
          details: productionContents,
          safeguards: authorised,
        });
        if (i > 0) await orders.transition(desk, value.id, { to: 'served' });
        production.push(value.id);
      }
      const [issued, ...served] = production as [string, ...string[]];
      const epocOf = (urgency: OrderInput['urgency']) =>
        orders.submit(partner, {
          ...art42Request,
          kind: 'epoc',
          legalBasis: { instrument: 'EU_2023_1543', article: '10' },
          channel: 'eu_decentralised_system',
          urgency,
          details: {},
          safeguards: {},
        });
      const epoc = (await epocOf('normal')).value.id;
      const emergency = (await epocOf('emergency')).value.id;
      const mla = (await orders.submit(partner, { ...mlaRequest, requestedBy: dueIn(20) })).value.id;
      await orders.transition(desk, mla, { to: 'under_assessment' });
      const alerted = [issued, epoc, emergency, mla];
      const statusOf = async (id: string) => (await orders.get(desk, id)).status;
      const before = new Map<string, string>();
      for (const id of alerted) before.set(id, await statusOf(id));

      // Two passes at once, three orders a page: each lapse is recorded by one of them, once.
      setClock(dueIn(30));
      const sweep = () => new DeadlineSweep(orders, logger, DAY, now, 3).sweep();
      const passes = await Promise.all([sweep(), sweep()]);
      const overdue = passes.flatMap((pass) => pass.overdue).sort();
      expect(overdue).to.deep.equal([...production, epoc, emergency, mla].sort());
      expect(passes.flatMap((pass) => pass.expired)).to.deep.equal([]);

      for (const id of served) {
        expect(await statusOf(id)).to.equal('overdue');
        const last = (await chain(id)).at(-1);
        expect(last?.data).to.deep.include({ from: 'served', to: 'overdue', reasonCode: 'DEADLINE_PASSED' });
        expect(last?.actor).to.deep.equal(SWEEPER);
      }
      for (const [id, status] of before) {
        expect(await statusOf(id), id).to.equal(status);
        const stored = await new LogRepository(db).chain('order', id);
        const entries = stored.map((one) => parseEntry(JSON.parse(fromUtf8(one.leafData))));
        expect(
          entries.filter((e) => e.type === 'order.overdue'),
          id,
        ).to.have.length(1);
        const last = (await chain(id)).at(-1);
        const order = await orders.get(desk, id);
        expect(last?.entry).to.deep.include({ type: 'order.overdue', at: dueIn(30).toISOString() });
        expect(last?.data).to.deep.equal({
          status,
          deadline: { rule: order.deadlineRule, at: order.deadlineAt?.toISOString() },
        });
        expect(last?.actor).to.deep.equal(SWEEPER);
      }
      // The EU deadlines: 10 days, to the end of the 10th day after receipt (Friday 11 February;
      // Reg. 1182/71 Art. 3), and 8 hours in an emergency (Reg. 2023/1543 Art. 10).
      expect((await orders.get(desk, epoc)).deadlineAt?.toISOString()).to.equal('2028-02-12T00:00:00.000Z');
      expect((await orders.get(desk, emergency)).deadlineAt?.getTime()).to.equal(START.getTime() + 8 * HOUR);

      // Later passes record nothing again for the same deadlines.
      setClock(dueIn(60));
      expect(await sweep()).to.deep.equal(nothing);
    });
  });

  it('when a production order is served after its date, then the sweep makes it overdue; from there it may be escalated or produced late, never expired', async () => {
    await withOrders(async ({ orders, desk, setClock, now, chain }) => {
      const { value } = await orders.submit(desk, {
        ...domesticPreservation,
        kind: 'production',
        legalBasis: { instrument: 'DOMESTIC', article: '27' },
        requestedBy: new Date(START.getTime() + 5 * DAY),
        details: productionContents,
        safeguards: authorised,
      });
      const sweep = new DeadlineSweep(orders, logger, DAY, now);
      setClock(new Date(START.getTime() + 6 * DAY));
      expect((await sweep.sweep()).overdue).to.deep.equal([value.id]);
      expect((await chain(value.id)).at(-1)?.data).to.deep.include({ status: 'issued' });
      expect((await sweep.sweep()).overdue).to.deep.equal([]);
      // Served late: the same due date lapses again, now as the holder's non-compliance.
      await orders.transition(desk, value.id, { to: 'served' });
      expect((await sweep.sweep()).overdue).to.deep.equal([value.id]);
      expect((await orders.get(desk, value.id)).status).to.equal('overdue');
      expect((await sweep.sweep()).overdue).to.deep.equal([]);
      const escalated = await orders.transition(desk, value.id, { to: 'escalated' });
      expect(escalated.value.status).to.equal('escalated');
      expect((await orders.transition(desk, value.id, { to: 'produced' })).value.status).to.equal('produced');
      expect((await chain(value.id)).map((e) => e.data.to ?? e.type)).to.deep.equal([
        'order.received',
        'order.overdue',
        'served',
        'overdue',
        'escalated',
        'produced',
      ]);
    });
  });

  it('when an urgent request through the 24/7 point of contact is not answered in time, then it is overdue after 24 hours (8 in an emergency); one answered in time is not', async () => {
    await withOrders(async ({ orders, desk, setClock, now, orderIn, chain }) => {
      const urgent = await orderIn(art42Request, ['under_assessment']);
      const emergency = await orderIn({ ...art42Request, urgency: 'emergency' }, []);
      const answered = await orderIn(art42Request, []);
      const normal = await orderIn({ ...art42Request, urgency: 'normal' }, []);
      const viaCentralAuthority = await orderIn({ ...art42Request, channel: 'central_authority' }, []);
      expect((await orders.get(desk, urgent)).deadlineRule).to.equal('act_by');
      expect((await orders.get(desk, normal)).deadlineAt).to.equal(null);
      expect((await orders.get(desk, viaCentralAuthority)).deadlineAt).to.equal(null);

      const sweep = new DeadlineSweep(orders, logger, 0, now);
      setClock(new Date(START.getTime() + 8 * HOUR));
      expect(await sweep.sweep()).to.deep.equal({ ...nothing, overdue: [emergency] });
      setClock(new Date(START.getTime() + 23 * HOUR));
      await orders.transition(desk, answered, { to: 'under_assessment' });
      await orders.transition(desk, answered, { to: 'ordered' });
      expect((await orders.get(desk, answered)).deadlineAt).to.equal(null);
      setClock(new Date(START.getTime() + 24 * HOUR));
      expect(await sweep.sweep()).to.deep.equal({ ...nothing, overdue: [urgent] });
      expect((await chain(urgent)).at(-1)?.data).to.deep.equal({
        status: 'under_assessment',
        deadline: { rule: 'act_by', at: new Date(START.getTime() + 24 * HOUR).toISOString() },
      });
      expect((await chain(emergency)).at(-1)?.data).to.deep.include({ status: 'received' });
    });
  });
});
