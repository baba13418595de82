import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createLogger } from '../../src/logger';
import { DeadlineSweep } from '../../src/orders/deadline-sweep';
import type { OrderInput } from '../../src/orders/order-service';
import {
  art42Request,
  DAY,
  domesticPreservation,
  HOUR,
  mlaRequest,
  productionContents,
  refusalCode,
  START,
  withOrders,
} from '../support/orders';

const logger = createLogger('silent');
const SWEEPER = { sub: 'service:deadline-sweep', agency: 'SYSTEM', role: 'prosecutor' };

const epocRequest: OrderInput = {
  ...art42Request,
  kind: 'epoc',
  legalBasis: { instrument: 'EU_2023_1543', article: '10' },
  channel: 'eu_decentralised_system',
  urgency: 'normal',
  details: {},
  safeguards: {},
};
const epocPrRequest: OrderInput = {
  ...epocRequest,
  kind: 'epoc_pr',
  legalBasis: { instrument: 'EU_2023_1543', article: '11' },
};
/** A court's decision, which a domestic production order needs (UN Art. 24; Budapest Art. 15). */
const authorised = { authorisingBody: 'Baku Court of Serious Crimes', authorisingReference: 'DECISION-1' };
const at = (days: number, hours = 0) => new Date(START.getTime() + days * DAY + hours * HOUR);
const reasoned = { reasonCode: 'FUNDAMENTAL_RIGHTS', reason: 'Manifest breach of a fundamental right' };
const declined = {
  reasonCode: 'ESSENTIAL_INTERESTS',
  reason: 'Execution would prejudice essential interests',
};

describe('order moves against the clock (injected clock)', () => {
  describe('international preservation: 60 days are a floor (UN Art. 42, Budapest Art. 29(7))', () => {
    it('when an MLA request arrives on day 61 and the sweep has run, then it is linked and the data are held until it is decided', async () => {
      await withOrders(async ({ orders, desk, setClock, now, orderIn, chain }) => {
        const preservation = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
        setClock(at(60));
        await new DeadlineSweep(orders, logger, DAY, now).sweep();
        setClock(at(61));
        const mla = await orderIn(mlaRequest, []);
        const held = await orders.transition(desk, preservation, {
          to: 'pending_mla_decision',
          mlaOrderId: mla,
        });
        expect(held.value).to.deep.include({
          status: 'pending_mla_decision',
          linkedMlaId: mla,
          deadlineRule: 'preserve_until_decided',
          deadlineAt: null,
        });
        const entries = await chain(preservation);
        expect(entries.map((e) => e.type).slice(-2)).to.deep.equal([
          'order.minimum_reached',
          'order.transitioned',
        ]);
        expect(entries.at(-1)?.data).to.deep.include({ from: 'preserved', to: 'pending_mla_decision', mla });
      });
    });

    it('when a move comes after day 60 before any sweep, then the same change records the floor first, by the service, and the order moves on', async () => {
      await withOrders(async ({ orders, desk, setClock, orderIn, chain }) => {
        const preservation = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
        setClock(at(61));
        const mla = await orderIn(mlaRequest, []);
        await orders.transition(desk, preservation, { to: 'pending_mla_decision', mlaOrderId: mla });
        const [floor, move] = (await chain(preservation)).slice(-2);
        expect(floor?.type).to.equal('order.minimum_reached');
        expect(floor?.actor).to.deep.equal(SWEEPER);
        expect(floor?.data).to.deep.equal({
          status: 'preserved',
          deadline: { rule: 'preserve_at_least_until', at: at(60).toISOString() },
        });
        expect(move?.data).to.deep.include({ from: 'preserved', to: 'pending_mla_decision' });
      });
    });

    it('when the data are released before the 60 days, then ORDER_DEADLINE_NOT_REACHED; after them a human may release them as expired', async () => {
      await withOrders(async ({ orders, desk, setClock, orderIn }) => {
        const preservation = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
        setClock(at(59));
        expect(await refusalCode(orders.transition(desk, preservation, { to: 'expired' }))).to.equal(
          'ORDER_DEADLINE_NOT_REACHED',
        );
        expect((await orders.get(desk, preservation)).status).to.equal('preserved');
        setClock(at(75));
        expect((await orders.transition(desk, preservation, { to: 'expired' })).value.status).to.equal(
          'expired',
        );
      });
    });

    it('when an extension is asked for after the 60 days, then ORDER_DEADLINE_PASSED; asked for in time, the floor moves to 120 days', async () => {
      await withOrders(async ({ orders, partner, desk, setClock, orderIn }) => {
        const late = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
        const timely = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
        setClock(at(59));
        await orders.transition(partner, timely, { to: 'extension_requested' });
        expect((await orders.transition(desk, timely, { to: 'extended' })).value.deadlineAt).to.deep.equal(
          at(120),
        );
        setClock(at(61));
        expect(await refusalCode(orders.transition(partner, late, { to: 'extension_requested' }))).to.equal(
          'ORDER_DEADLINE_PASSED',
        );
        expect((await orders.get(desk, late)).status).to.equal('preserved');
      });
    });

    it('when the MLA request holding the data is not decided, then they are neither produced nor released as refused; its decision decides', async () => {
      await withOrders(async ({ orders, consultations, desk, orderIn }) => {
        const executed = await orderIn(mlaRequest, ['under_assessment', 'accepted', 'executing']);
        const refused = await orderIn(mlaRequest, ['under_assessment']);
        const held = async (mla: string) => {
          const id = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
          await orders.transition(desk, id, { to: 'pending_mla_decision', mlaOrderId: mla });
          return id;
        };
        const forProduction = await held(executed);
        const forRefusal = await held(refused);
        const decline = { to: 'mla_refused', ...declined };
        expect(await refusalCode(orders.transition(desk, forProduction, { to: 'produced' }))).to.equal(
          'ORDER_TRANSITION_INVALID',
        );
        expect(await refusalCode(orders.transition(desk, forRefusal, decline))).to.equal(
          'ORDER_TRANSITION_INVALID',
        );
        await orders.transition(desk, executed, { to: 'executed' });
        // UN Art. 40(26): the requesting state is consulted before the refusal.
        await consultations.consult(desk, refused, { proposes: ['refusal'], message: declined.reason });
        await orders.transition(desk, refused, { to: 'refused', ...declined });
        expect(await refusalCode(orders.transition(desk, forProduction, decline))).to.equal(
          'ORDER_TRANSITION_INVALID',
        );
        expect((await orders.transition(desk, forProduction, { to: 'produced' })).value.status).to.equal(
          'produced',
        );
        expect((await orders.transition(desk, forRefusal, decline)).value.status).to.equal('mla_refused');
      });
    });

    it('when the MLA request named is missing, another kind, from another state, or ended, then 422 and nothing moves', async () => {
      await withOrders(async ({ orders, partner, desk, orderIn }) => {
        const preservation = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
        const other = await orderIn(art42Request, []);
        const french = await orderIn({ ...mlaRequest, requestingState: 'FR' }, []);
        const refused = await orderIn(mlaRequest, []);
        await orders.transition(desk, refused, { to: 'withdrawn' });
        const reasonOf = async (input: { to: string; mlaOrderId?: string }) => {
          try {
            await orders.transition(desk, preservation, input);
          } catch (error) {
            const { code, fields } = error as { code: string; fields: Array<{ reason: string }> };
            return `${code} ${fields.map((f) => f.reason).join()}`;
          }
          throw new Error('expected a refusal');
        };
        expect(await reasonOf({ to: 'pending_mla_decision' })).to.equal(
          'VALIDATION_FAILED required_for_pending_mla_decision',
        );
        expect(await reasonOf({ to: 'pending_mla_decision', mlaOrderId: other })).to.equal(
          'VALIDATION_FAILED not_an_mla_request',
        );
        expect(await reasonOf({ to: 'pending_mla_decision', mlaOrderId: french })).to.equal(
          'VALIDATION_FAILED other_requesting_state',
        );
        expect(await reasonOf({ to: 'pending_mla_decision', mlaOrderId: refused })).to.equal(
          'VALIDATION_FAILED mla_request_ended',
        );
        expect(await reasonOf({ to: 'pending_mla_decision', mlaOrderId: randomUUID() })).to.equal(
          'VALIDATION_FAILED unknown_order',
        );
        expect((await orders.get(partner, preservation)).status).to.equal('preserved');
      });
    });
  });

  describe('periods that end: moves are checked when they are made (row 63)', () => {
    it('when a domestic order’s term has ended and no sweep has run, then a renewal is refused, and closing it records the expiry first', async () => {
      await withOrders(async ({ orders, desk, setClock, orderIn, chain }) => {
        const order = await orderIn(domesticPreservation, ['under_assessment', 'ordered', 'preserved']);
        setClock(at(91));
        for (const to of ['extension_requested', 'lifted', 'at_risk_notified'])
          expect(await refusalCode(orders.transition(desk, order, { to })), to).to.equal(
            'ORDER_DEADLINE_PASSED',
          );
        expect((await orders.get(desk, order)).status).to.equal('preserved');
        expect((await orders.transition(desk, order, { to: 'closed' })).value.status).to.equal('closed');
        const moves = (await chain(order)).slice(-2);
        expect(moves.map((e) => [e.data.from, e.data.to, e.actor.sub])).to.deep.equal([
          ['preserved', 'expired', 'service:deadline-sweep'],
          ['expired', 'closed', 'desk-1'],
        ]);
      });
    });

    it('when a requested date has passed before the sweep ran, then the late move records order.overdue first', async () => {
      await withOrders(async ({ orders, desk, setClock, orderIn, chain }) => {
        const mla = await orderIn({ ...mlaRequest, requestedBy: at(20) }, ['under_assessment']);
        setClock(at(25));
        await orders.transition(desk, mla, { to: 'accepted' });
        const [overdue, move] = (await chain(mla)).slice(-2);
        expect(overdue?.type).to.equal('order.overdue');
        expect(overdue?.data).to.deep.equal({
          status: 'under_assessment',
          deadline: { rule: 'requested_by', at: at(20).toISOString() },
        });
        expect(move?.data).to.deep.include({ from: 'under_assessment', to: 'accepted' });
      });
    });
  });

  describe('a domestic preservation order is never held indefinitely (UN Art. 25(2), Budapest Art. 16(2))', () => {
    it('when it is moved to wait for an MLA request, then ORDER_TRANSITION_INVALID; renewed in time it runs 90 days more', async () => {
      await withOrders(async ({ orders, desk, setClock, orderIn }) => {
        const order = await orderIn(domesticPreservation, ['under_assessment', 'ordered', 'preserved']);
        const mla = await orderIn(mlaRequest, []);
        expect(
          await refusalCode(orders.transition(desk, order, { to: 'pending_mla_decision', mlaOrderId: mla })),
        ).to.equal('ORDER_TRANSITION_INVALID');
        setClock(at(89));
        await orders.transition(desk, order, { to: 'extension_requested' });
        const renewed = await orders.transition(desk, order, { to: 'extended' });
        expect(renewed.value.deadlineAt).to.deep.equal(at(180));
      });
    });
  });

  describe('EPOC and the enforcing authority (Reg. 2023/1543 Arts 8, 10, 12)', () => {
    it('when the enforcing authority was notified, then production waits for the end of its 10 days unless it confirms earlier', async () => {
      await withOrders(async ({ orders, desk, setClock, orderIn }) => {
        const waiting = await orderIn(epocRequest, ['enforcing_notified']);
        const confirmed = await orderIn(epocRequest, ['enforcing_notified', 'enforcing_confirmed']);
        setClock(at(3));
        expect(await refusalCode(orders.transition(desk, waiting, { to: 'produced' }))).to.equal(
          'ORDER_DEADLINE_NOT_REACHED',
        );
        expect((await orders.transition(desk, confirmed, { to: 'produced' })).value.status).to.equal(
          'produced',
        );
        // Received on Tuesday 1 February: the 10th day is Friday the 11th, whose last hour ends the window (Reg. 1182/71 Art. 3).
        setClock(new Date('2028-02-11T23:59:59.999Z'));
        expect(await refusalCode(orders.transition(desk, waiting, { to: 'produced' }))).to.equal(
          'ORDER_DEADLINE_NOT_REACHED',
        );
        setClock(new Date('2028-02-12T00:00:00.000Z'));
        expect(
          await refusalCode(orders.transition(desk, waiting, { to: 'refused_by_enforcing', ...reasoned })),
        ).to.equal('ORDER_DEADLINE_PASSED');
        const produced = await orders.transition(desk, waiting, { to: 'produced' });
        expect(produced.value.status).to.equal('produced');
      });
    });

    it('when an emergency EPOC was produced and the enforcing authority objects within 96 hours, then the data must be deleted or restricted; later, or without notification, it cannot be recorded', async () => {
      await withOrders(async ({ orders, desk, setClock, orderIn }) => {
        const emergency = { ...epocRequest, urgency: 'emergency' as const };
        const objected = await orderIn(emergency, ['enforcing_notified', 'produced']);
        const late = await orderIn(emergency, ['enforcing_notified', 'produced']);
        const unnotified = await orderIn(emergency, ['produced']);
        const ordinary = await orderIn(epocRequest, ['produced']);
        expect(
          await refusalCode(orders.transition(desk, objected, { to: 'deletion_or_restriction_required' })),
        ).to.equal('VALIDATION_FAILED');
        setClock(at(3));
        const moved = await orders.transition(desk, objected, {
          to: 'deletion_or_restriction_required',
          ...reasoned,
        });
        expect(moved.value.status).to.equal('deletion_or_restriction_required');
        for (const id of [unnotified, ordinary])
          expect(
            await refusalCode(
              orders.transition(desk, id, { to: 'deletion_or_restriction_required', ...reasoned }),
            ),
          ).to.equal('ORDER_TRANSITION_INVALID');
        setClock(at(4));
        expect(
          await refusalCode(
            orders.transition(desk, late, { to: 'deletion_or_restriction_required', ...reasoned }),
          ),
        ).to.equal('ORDER_DEADLINE_PASSED');
      });
    });

    it('when an EPOC-PR is preserved days after receipt, then its 60 days still run from receipt to the end of a working day, and its one extension is accepted only during them', async () => {
      await withOrders(async ({ orders, partner, desk, setClock, orderIn }) => {
        const timely = await orderIn(epocPrRequest, []);
        const late = await orderIn(epocPrRequest, []);
        setClock(at(5));
        for (const id of [timely, late]) {
          const preserved = await orders.transition(desk, id, { to: 'preserved' });
          // The 60th day after Tuesday 1 February 2028 is Saturday 1 April: the period ends with Monday the 3rd (Reg. 1182/71 Art. 3(4)).
          expect(preserved.value.deadlineAt).to.deep.equal(new Date('2028-04-04T00:00:00.000Z'));
        }
        setClock(at(59));
        // The issuing authority's own act (Annex VI).
        // The 90th day is Monday 1 May.
        expect((await orders.transition(partner, timely, { to: 'extended' })).value.deadlineAt).to.deep.equal(
          new Date('2028-05-02T00:00:00.000Z'),
        );
        setClock(new Date('2028-04-04T00:00:00.000Z'));
        for (const to of ['extended', 'production_confirmed'])
          expect(await refusalCode(orders.transition(partner, late, { to })), to).to.equal(
            'ORDER_DEADLINE_PASSED',
          );
        expect(
          (await orders.transition(partner, timely, { to: 'production_confirmed' })).value.deadlineAt,
        ).to.equal(null);
      });
    });
  });

  describe('production orders (UN Art. 27): a missed date is non-compliance, not expiry (row 26)', () => {
    it('when a served order passes its date and the holder produces before any sweep, then the change records overdue first', async () => {
      await withOrders(async ({ orders, desk, setClock, chain }) => {
        const { value } = await orders.submit(desk, {
          ...domesticPreservation,
          kind: 'production',
          legalBasis: { instrument: 'DOMESTIC', article: '27' },
          requestedBy: at(5),
          details: productionContents,
          safeguards: authorised,
        });
        await orders.transition(desk, value.id, { to: 'served' });
        expect(await refusalCode(orders.transition(desk, value.id, { to: 'overdue' }))).to.equal(
          'ORDER_DEADLINE_NOT_REACHED',
        );
        expect(await refusalCode(orders.transition(desk, value.id, { to: 'expired' }))).to.equal(
          'ORDER_TRANSITION_INVALID',
        );
        setClock(at(7));
        expect(await refusalCode(orders.transition(desk, value.id, { to: 'objected' }))).to.equal(
          'ORDER_DEADLINE_PASSED',
        );
        await orders.transition(desk, value.id, { to: 'produced' });
        const moves = (await chain(value.id)).slice(-2);
        expect(moves.map((e) => [e.data.from, e.data.to, e.actor.sub])).to.deep.equal([
          ['served', 'overdue', 'service:deadline-sweep'],
          ['overdue', 'produced', 'desk-1'],
        ]);
      });
    });
  });
});
