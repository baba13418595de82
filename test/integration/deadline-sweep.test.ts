import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import type { Principal } from '../../src/access/roles';
import { CaseRepository } from '../../src/db/case.repository';
import { openDatabase } from '../../src/db/data-source';
import { LogRepository } from '../../src/db/log.repository';
import { OrderRepository } from '../../src/db/order.repository';
import { PrincipalRepository } from '../../src/db/principal.repository';
import { NotFoundError } from '../../src/errors';
import { fromUtf8, noteSigner, parseEntry } from '../../src/ledger';
import { CustodyLog } from '../../src/log/custody-log';
import { Sequencer } from '../../src/log/sequencer';
import { createLogger } from '../../src/logger';
import { DeadlineSweep } from '../../src/orders/deadline-sweep';
import { DEFAULT_PERIODS } from '../../src/orders/deadlines';
import { lapseOf, nextStates, ORDER_KINDS, RUNNING_DEADLINES } from '../../src/orders/lifecycle';
import { type OrderInput, OrderService } from '../../src/orders/order-service';
import { withScratchDatabase } from '../support/database';
import { type RevealedEntry, revealedChain } from '../support/revealed';

const DAY = 86_400_000;
const logger = createLogger('silent');

const request: OrderInput = {
  kind: 'preservation',
  direction: 'incoming',
  legalBasis: { instrument: 'UNCC', article: '42' },
  requestingAuthority: 'Bundeskriminalamt',
  channel: '24/7',
  urgency: 'urgent',
  details: {
    offence: 'Computer fraud',
    factsSummary: 'Phishing',
    dataToPreserve: 'Logs of host 203.0.113.7',
    relationToOffence: 'Received the credentials',
    custodian: 'AzerHost LLC',
    necessity: 'Logs rotate',
    intendsMla: true,
  },
  safeguards: { confidential: true, noUserNotification: true },
};

/** The order service on a scratch database, with an injected clock, a partner and a central authority's desk. */
async function withOrders(
  body: (harness: {
    readonly db: DataSource;
    readonly orders: OrderService;
    readonly partner: Principal;
    readonly desk: Principal;
    readonly now: () => Date;
    setClock(at: Date): void;
  }) => Promise<void>,
): Promise<void> {
  await withScratchDatabase(async (url) => {
    const db = await openDatabase(url);
    try {
      let clock = new Date('2028-02-01T09:00:00.000Z');
      const now = () => clock;
      const sequencer = await Sequencer.open(
        db,
        new LogRepository(db),
        noteSigner('test.example/custody', randomBytes(32)),
        { maxBatch: 16, maxQueue: 100, now },
        logger,
      );
      const receiptKey = { kid: 'test', key: generateKeyPairSync('ed25519').privateKey };
      const orders = new OrderService(
        new OrderRepository(db),
        new CaseRepository(db),
        new CustodyLog(sequencer, () => receiptKey),
        {
          evidence: async () => {
            throw new NotFoundError('evidence');
          },
          centralAuthority: 'AZ-SSS',
          periods: DEFAULT_PERIODS,
          now,
        },
      );
      const partner: Principal = { sub: 'bka-1', agency: 'DE-BKA', roles: ['partner'], issuer: 'test' };
      const desk: Principal = { sub: 'desk-1', agency: 'AZ-SSS', roles: ['prosecutor'], issuer: 'test' };
      const principals = new PrincipalRepository(db);
      for (const p of [partner, desk]) await principals.record(p);
      await body({
        db,
        orders,
        partner,
        desk,
        now,
        setClock: (at) => {
          clock = at;
        },
      });
    } finally {
      await db.destroy();
    }
  });
}

describe('the order deadline sweep (injected clock)', () => {
  it('when a preservation period runs out, then the sweep warns ahead, expires it on time as a log entry, and never expires one held for MLA', async () => {
    await withOrders(async ({ db, orders, partner, desk, setClock, now }) => {
      const preserve = async () => {
        const { value } = await orders.submit(partner, request);
        for (const to of ['under_assessment', 'ordered', 'preserved'])
          await orders.transition(desk, value.id, { to });
        return value.id;
      };
      const lapsing = await preserve();
      const held = await preserve();
      await orders.transition(desk, held, { to: 'pending_mla_decision' });

      const sweep = new DeadlineSweep(orders, logger, 2 * DAY, now);
      setClock(new Date(now().getTime() + 59 * DAY));
      expect(await sweep.sweep()).to.deep.equal({ expired: [], overdue: [], warned: [lapsing] });

      setClock(new Date(new Date('2028-02-01T09:00:00.000Z').getTime() + 60 * DAY - 1));
      expect((await sweep.sweep()).expired).to.deep.equal([]);
      setClock(new Date('2028-04-01T09:00:00.000Z')); // 60 days on, across 29 February
      expect(await sweep.sweep()).to.deep.equal({ expired: [lapsing], overdue: [], warned: [] });
      expect((await orders.get(desk, lapsing)).status).to.equal('expired');

      const last = await lastEntry(db, lapsing);
      expect(last.entry).to.deep.include({ type: 'order.transitioned', at: '2028-04-01T09:00:00.000Z' });
      expect(last.data).to.deep.include({
        from: 'preserved',
        to: 'expired',
        reasonCode: 'DEADLINE_PASSED',
      });
      expect(last.actor).to.deep.equal({
        sub: 'service:deadline-sweep',
        agency: 'SYSTEM',
        role: 'prosecutor',
      });

      setClock(new Date('2029-06-01T00:00:00.000Z'));
      expect(await sweep.sweep()).to.deep.equal({ expired: [], overdue: [], warned: [] });
      expect((await orders.get(desk, held)).status).to.equal('pending_mla_decision');
    });
  });

  it('when orders in states whose deadline does not run have passed deadlines, more than a page holds, then the sweep does not read them and still expires the one behind them', async () => {
    await withOrders(async ({ db, orders, partner, desk, setClock, now }) => {
      const stuck = [];
      for (let i = 0; i < 5; i++) stuck.push((await orders.submit(partner, request)).value.id);
      // Received requests cannot expire; give them the earliest deadlines, so they fill the first pages.
      await db.query(`UPDATE orders SET deadline_at = '2028-01-15T00:00:00Z' WHERE id = ANY($1::uuid[])`, [
        stuck,
      ]);
      const { value } = await orders.submit(partner, request);
      for (const to of ['under_assessment', 'ordered', 'preserved'])
        await orders.transition(desk, value.id, { to });

      setClock(new Date('2028-04-01T09:00:00.000Z'));
      const sweep = new DeadlineSweep(orders, logger, DAY, now, 2);
      const pass = await sweep.sweep();
      expect(pass.expired).to.deep.equal([value.id]);
      expect((await orders.get(desk, value.id)).status).to.equal('expired');
    });
  });

  /** The order's last entry, its withheld fields revealed. */
  async function lastEntry(db: DataSource, id: string) {
    const chain = await revealedChain(db, 'order', id);
    return chain[chain.length - 1] as RevealedEntry;
  }

  it('every state a lapse expires can move to expired, and every kind has a state whose lapse is recorded', () => {
    for (const { kind, state } of RUNNING_DEADLINES) {
      if (lapseOf(kind, state) === 'expires')
        expect(nextStates(kind, state), `${kind} ${state}`).to.include('expired');
    }
    expect(new Set(RUNNING_DEADLINES.map((r) => r.kind))).to.deep.equal(new Set(ORDER_KINDS));
  });

  it('when production orders, EPOCs and MLA requests pass their due dates, more of them than a page holds, then each gets one order.overdue entry with its deadline and state, keeps its state, and is never recorded twice', async () => {
    await withOrders(async ({ db, orders, partner, desk, setClock, now }) => {
      const start = now();
      const dueIn = (days: number) => new Date(start.getTime() + days * DAY);
      const production: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { value } = await orders.submit(desk, {
          ...request,
          kind: 'production',
          direction: 'domestic',
          legalBasis: { instrument: 'DOMESTIC', article: '27' },
          channel: 'direct',
          requestedBy: dueIn(5 + i),
          details: {},
          safeguards: {},
        });
        if (i > 0) await orders.transition(desk, value.id, { to: 'served' });
        production.push(value.id);
      }
      const epoc = (await orders.submit(partner, { ...request, kind: 'epoc', details: {}, safeguards: {} }))
        .value.id;
      const emergency = (
        await orders.submit(partner, {
          ...request,
          kind: 'epoc',
          urgency: 'emergency',
          details: {},
          safeguards: {},
        })
      ).value.id;
      const mla = (
        await orders.submit(partner, {
          ...request,
          kind: 'mla',
          legalBasis: { instrument: 'UNCC', article: '44' },
          requestedBy: dueIn(20),
          details: {},
          safeguards: {},
        })
      ).value.id;
      await orders.transition(desk, mla, { to: 'under_assessment' });
      const statusOf = async (id: string) => (await orders.get(desk, id)).status;
      const before = new Map<string, string>();
      for (const id of [...production, epoc, emergency, mla]) before.set(id, await statusOf(id));

      // Two passes at once, three orders a page: each lapse is recorded by one of them, once.
      setClock(dueIn(30));
      const sweep = () => new DeadlineSweep(orders, logger, DAY, now, 3).sweep();
      const passes = await Promise.all([sweep(), sweep()]);
      const overdue = passes.flatMap((pass) => pass.overdue).sort();
      expect(overdue).to.deep.equal([...production, epoc, emergency, mla].sort());
      expect(passes.flatMap((pass) => pass.expired)).to.deep.equal([]);

      for (const [id, status] of before) {
        expect(await statusOf(id), id).to.equal(status);
        const chain = await new LogRepository(db).chain('order', id);
        const entries = chain.map((stored) => parseEntry(JSON.parse(fromUtf8(stored.leafData))));
        expect(
          entries.filter((e) => e.type === 'order.overdue'),
          id,
        ).to.have.length(1);
        const last = await lastEntry(db, id);
        const order = await orders.get(desk, id);
        expect(last.entry).to.deep.include({ type: 'order.overdue', at: dueIn(30).toISOString() });
        expect(last.data).to.deep.equal({
          status,
          deadline: { rule: order.deadlineRule, at: order.deadlineAt?.toISOString() },
        });
        expect(last.actor).to.deep.equal({
          sub: 'service:deadline-sweep',
          agency: 'SYSTEM',
          role: 'prosecutor',
        });
      }
      // The EU deadlines: 10 days, and 8 hours in an emergency (Reg. 2023/1543 Art. 10).
      expect((await orders.get(desk, epoc)).deadlineAt?.toISOString()).to.equal(dueIn(10).toISOString());
      expect((await orders.get(desk, emergency)).deadlineAt?.getTime()).to.equal(
        start.getTime() + 8 * 3_600_000,
      );

      // Later passes record nothing again for the same deadlines.
      setClock(dueIn(60));
      expect(await sweep()).to.deep.equal({ expired: [], overdue: [], warned: [] });
    });
  });

  it('when an order moves on after its lapse was recorded, then the lapse in its new state is recorded once as well', async () => {
    await withOrders(async ({ db, orders, desk, setClock, now }) => {
      const start = now();
      const { value } = await orders.submit(desk, {
        ...request,
        kind: 'production',
        direction: 'domestic',
        legalBasis: { instrument: 'DOMESTIC', article: '27' },
        channel: 'direct',
        requestedBy: new Date(start.getTime() + 5 * DAY),
        details: {},
        safeguards: {},
      });
      const sweep = new DeadlineSweep(orders, logger, DAY, now);
      setClock(new Date(start.getTime() + 6 * DAY));
      expect((await sweep.sweep()).overdue).to.deep.equal([value.id]);
      expect((await sweep.sweep()).overdue).to.deep.equal([]);
      // Served late: the same due date lapses again in another state, a fact of its own.
      await orders.transition(desk, value.id, { to: 'served' });
      expect((await sweep.sweep()).overdue).to.deep.equal([value.id]);
      expect((await lastEntry(db, value.id)).data).to.deep.include({ status: 'served' });
      expect((await sweep.sweep()).overdue).to.deep.equal([]);
    });
  });
});
