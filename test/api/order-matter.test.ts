import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createLogger } from '../../src/logger';
import { DeadlineSweep } from '../../src/orders/deadline-sweep';
import { testDatabase } from '../support/database';
import { executedRequestFor, openCase, productionOrderBody, uploadItem } from '../support/fixtures';
import {
  art42Body,
  mlaBody,
  movedThrough as movedThroughAll,
  revealedOrderChain,
  submitOrder,
} from '../support/order-requests';
import {
  art42Request as art42Input,
  domesticPreservation,
  DAY as HARNESS_DAY,
  mlaRequest as mlaInput,
  type OrderHarness,
  START,
  withOrders,
} from '../support/orders';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const DAY = 86_400_000;

/** The partner's Art. 42 request, confidential and not to be told to the user, for the logs of a stated period. */
function art42Request(overrides: Record<string, unknown> = {}) {
  return art42Body({
    dataToPreserve: 'Logs of host 203.0.113.7, 2026-11-01 to 2026-11-27',
    confidential: true,
    noUserNotification: true,
    ...overrides,
  });
}

/** The domestic preservation order (UN 25; Bud 16) through which a request is carried out here. */
function domesticOrder(overrides: Record<string, unknown> = {}) {
  return art42Request({
    direction: 'domestic',
    legalBasis: { instrument: 'DOMESTIC', article: '25' },
    requestingState: undefined,
    requestedState: undefined,
    requestingAuthority: 'Prosecutor General',
    channel: 'direct',
    urgency: 'normal',
    ...overrides,
  });
}

/** Our request to a third state where the path leads (UN 43(1); Bud 30(1)). */
function onwardRequest(relatedOrderId: string, overrides: Record<string, unknown> = {}) {
  return art42Request({
    direction: 'outgoing',
    requestingState: 'AZ',
    requestedState: 'NL',
    requestingAuthority: 'State Security Service of Azerbaijan',
    relatedOrderId,
    relation: 'onward_request',
    ...overrides,
  });
}

const twoHops = [
  {
    provider: 'AzerHost LLC',
    country: 'AZ',
    from: '2026-11-20T10:00:00Z',
    until: '2026-11-20T11:00:00Z',
    fields: ['source_address', 'timestamps', 'next_hop_provider'],
  },
  {
    provider: 'Hetzner Online GmbH',
    country: 'DE',
    fields: ['source_address', 'route'],
  },
];

describe('orders as one matter, traffic disclosures from preserved data, one hand-over one entry', () => {
  let service: TestService;
  let central: string;
  let handler: string;
  let partnerAgency: string;
  let partner: string;

  before(async () => {
    central = uniqueAgency('SSS');
    service = await startTestService({ CENTRAL_AUTHORITY: central });
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    handler = await service.token(uniqueSub('desk'), central, 'prosecutor', 'investigator');
    partnerAgency = uniqueAgency('DE');
    partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
  });

  const submitted = (json: Record<string, unknown>, token = partner) => submitOrder(service, token, json);
  const movedThrough = (id: string, moves: ReadonlyArray<string | Record<string, unknown>>) =>
    movedThroughAll(service, id, handler, moves);

  /** A partner's Art. 42 request, preserved by the central authority. */
  async function preservedRequest(): Promise<string> {
    const id = await submitted(art42Request());
    await movedThrough(id, ['under_assessment', 'ordered', 'preserved']);
    return id;
  }

  async function matterOf(id: string, token: string) {
    return service.call('GET', `/v1/orders/${id}/matter`, { token });
  }

  async function orderCount(): Promise<number> {
    const [row] = await testDatabase().db.query('SELECT count(*)::int AS n FROM orders');
    return row.n;
  }

  const chainOf = (id: string, token: string) => revealedOrderChain(service, id, token);

  function disclose(id: string, token: string, json: Record<string, unknown>) {
    return service.call('POST', `/v1/orders/${id}/traffic-disclosures`, { token, json });
  }

  const path = { hops: twoHops, contentDisclosed: false, subscriberDisclosed: false };

  describe('related orders (UN 42(1), 43, 44(1); Bud 29-31)', () => {
    it('when an MLA request, the domestic order and a request to a third state name the preservation they follow, then they are one matter, each entry records its link, and the requester sees only its own requests as status views', async () => {
      const preservation = await preservedRequest();
      const mla = await submitted(mlaBody({ relatedOrderId: preservation, relation: 'follows' }));
      const domestic = await submitted(
        domesticOrder({ relatedOrderId: preservation, relation: 'executes' }),
        handler,
      );
      const onward = await submitted(onwardRequest(preservation), handler);
      const unrelated = await submitted(mlaBody());

      const asHandler = await matterOf(mla, handler);
      expect(asHandler.status, asHandler.text).to.equal(200);
      const seen = asHandler.body.orders as Array<Record<string, unknown>>;
      expect(seen.map((o) => o.id)).to.have.members([preservation, mla, domestic, onward]);
      expect(seen.map((o) => o.id)).not.to.include(unrelated);
      expect(seen.find((o) => o.id === onward)).to.include({
        relatedOrderId: preservation,
        relation: 'onward_request',
        statusOnly: false,
      });
      expect(seen.find((o) => o.id === domestic)).to.include({ relation: 'executes' });

      const asPartner = await matterOf(preservation, partner);
      expect(asPartner.status, asPartner.text).to.equal(200);
      const partnerSees = asPartner.body.orders as Array<Record<string, unknown>>;
      expect(partnerSees.map((o) => o.id)).to.have.members([preservation, mla]);
      expect(partnerSees.every((o) => o.statusOnly === true)).to.equal(true);
      expect(partnerSees.find((o) => o.id === mla)).to.include({
        relatedOrderId: preservation,
        relation: 'follows',
      });
      for (const order of partnerSees) {
        expect(order).not.to.have.property('details');
        expect(order).not.to.have.property('execution');
      }

      const received = (await chainOf(mla, partner))[0];
      expect(received?.type).to.equal('order.received');
      expect(received?.data.related).to.deep.equal({ order: preservation, relation: 'follows' });
      const view = await service.call('GET', `/v1/orders/${onward}`, { token: handler });
      expect(view.body.order).to.include({ relatedOrderId: preservation, relation: 'onward_request' });

      const outsider = await service.token(uniqueSub('fr'), uniqueAgency('FR'), 'partner');
      const hidden = await matterOf(preservation, outsider);
      const absent = await matterOf(randomUUID(), outsider);
      expect(hidden.status).to.equal(404);
      expect({ ...hidden.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });
    });

    it('when an MLA request registered without a link holds the preserved data, then it belongs to the preservation’s matter', async () => {
      const preservation = await preservedRequest();
      const mla = await submitted(mlaBody());
      expect(
        (await matterOf(preservation, handler)).body.orders.map((o: { id: string }) => o.id),
      ).to.deep.equal([preservation]);
      await movedThrough(preservation, [{ to: 'pending_mla_decision', mlaOrderId: mla }]);
      for (const id of [preservation, mla]) {
        const matter = await matterOf(id, handler);
        expect(matter.body.orders.map((o: { id: string }) => o.id)).to.have.members([preservation, mla]);
      }
    });

    it('when the relation does not fit the kinds, directions or states, then 422 VALIDATION_FAILED with its pointer and nothing is registered', async () => {
      const preservation = await preservedRequest();
      const before = await orderCount();
      const refusals: Array<[Record<string, unknown>, string, { pointer: string; reason: string }]> = [
        [
          {
            ...productionOrderBody(await openCase(service, handler)),
            relatedOrderId: preservation,
            relation: 'follows',
          },
          handler,
          { pointer: '/relation', reason: 'relation_not_plausible' },
        ],
        [
          mlaBody({ requestingState: 'FR', relatedOrderId: preservation, relation: 'follows' }),
          partner,
          { pointer: '/requestingState', reason: 'other_requesting_state' },
        ],
        [
          onwardRequest(preservation, { requestedState: 'DE' }),
          handler,
          { pointer: '/requestedState', reason: 'not_a_third_state' },
        ],
        [
          domesticOrder({ relatedOrderId: preservation, relation: 'onward_request' }),
          handler,
          { pointer: '/relation', reason: 'relation_not_plausible' },
        ],
      ];
      for (const [json, token, error] of refusals) {
        const response = await service.call('POST', '/v1/orders', { token, json });
        expect(response.status, response.text).to.equal(422);
        expect(response.body).to.include({
          code: 'VALIDATION_FAILED',
          type: 'urn:custody-ledger:problem:validation-failed',
        });
        expect(response.body.errors[0]).to.include(error);
      }
      const unnamed = await service.call('POST', '/v1/orders', {
        token: handler,
        json: domesticOrder({ relatedOrderId: preservation }),
      });
      expect(unnamed.status).to.equal(422);
      expect(unnamed.body.errors.map((e: { pointer: string }) => e.pointer)).to.include('/relation');
      expect(await orderCount()).to.equal(before);
    });

    it('when the related order does not exist, is another agency’s, or is seen only as a status view, then 422 unknown_order and nothing is registered', async () => {
      const preservation = await preservedRequest();
      const otherPartner = await service.token(uniqueSub('lka'), uniqueAgency('DE'), 'partner');
      const otherDesk = await service.token(uniqueSub('desk'), uniqueAgency('SSS'), 'prosecutor');
      const before = await orderCount();
      const attempts: Array<[Record<string, unknown>, string]> = [
        [mlaBody({ relatedOrderId: randomUUID(), relation: 'follows' }), partner],
        [mlaBody({ relatedOrderId: preservation, relation: 'follows' }), otherPartner],
        [domesticOrder({ relatedOrderId: preservation, relation: 'executes' }), otherDesk],
      ];
      for (const [json, token] of attempts) {
        const response = await service.call('POST', '/v1/orders', { token, json });
        expect(response.status, response.text).to.equal(422);
        expect(response.body.code).to.equal('VALIDATION_FAILED');
        expect(response.body.errors).to.deep.equal([{ pointer: '/relatedOrderId', reason: 'unknown_order' }]);
      }
      expect(await orderCount()).to.equal(before);
    });
  });

  describe('the domestic order that executes an international preservation (UN 25(2) with 42(4); Bud 16(2) with 29(3))', () => {
    it('when a domestic order executes the request, then the matter shows its term, says when it must be renewed while an MLA request is pending, and shows its lapse', async () => {
      const preservation = await preservedRequest();
      const executionOf = async () => {
        const matter = await matterOf(preservation, handler);
        expect(matter.status, matter.text).to.equal(200);
        return matter.body.orders.find((o: { id: string }) => o.id === preservation).execution;
      };
      expect(await executionOf()).to.deep.include({ standing: 'unexecuted', executedBy: [] });

      const domestic = await submitted(
        domesticOrder({ relatedOrderId: preservation, relation: 'executes' }),
        handler,
      );
      expect((await executionOf()).standing).to.equal('unexecuted');
      await movedThrough(domestic, ['under_assessment', 'ordered', 'preserved']);
      const term = (await matterOf(preservation, handler)).body.orders.find(
        (o: { id: string }) => o.id === domestic,
      ).deadlines;
      expect(term.rule).to.be.a('string');
      expect(Date.parse(term.at) - Date.parse(term.preservedAt)).to.be.at.most(90 * DAY);
      // The 90-day term outlasts the request's 60-day floor.
      expect(await executionOf()).to.deep.equal({
        standing: 'in_force',
        renewBy: term.at,
        executedBy: [domestic],
      });

      // Held for an MLA request, the data stay with no end; the domestic term does not.
      const mla = await submitted(mlaBody({ relatedOrderId: preservation, relation: 'follows' }));
      await movedThrough(preservation, [{ to: 'pending_mla_decision', mlaOrderId: mla }]);
      expect(await executionOf()).to.deep.equal({
        standing: 'renewal_needed',
        renewBy: term.at,
        executedBy: [domestic],
      });

      await testDatabase().db.query(
        `UPDATE orders SET deadline_at = now() - interval '1 day' WHERE id = $1`,
        [domestic],
      );
      expect(await executionOf()).to.deep.include({ standing: 'lapsed', executedBy: [domestic] });
    });
  });

  describe('the domestic order that executes an international preservation, when it is lifted', () => {
    it('when the one executing order in force is lifted while the data are held, then the international order’s chain records order.execution_lapsed; while another is in force, nothing', async () => {
      const preservation = await preservedRequest();
      const executing = async () => {
        const id = await submitted(
          domesticOrder({ relatedOrderId: preservation, relation: 'executes' }),
          handler,
        );
        await movedThrough(id, ['under_assessment', 'ordered', 'preserved']);
        return id;
      };
      const first = await executing();
      const second = await executing();
      const lapses = async () =>
        (await chainOf(preservation, handler)).filter((e) => e.type === 'order.execution_lapsed');
      await movedThrough(first, ['lifted']);
      expect(await lapses()).to.deep.equal([]);
      await movedThrough(second, ['lifted']);
      const [lapsed, ...more] = await lapses();
      expect(more).to.deep.equal([]);
      expect(lapsed?.data).to.deep.include({ status: 'preserved', executingOrder: second });
      expect(lapsed?.actor).to.deep.include({ agency: central, role: 'prosecutor' });
      // Closing the lifted order later records nothing more.
      await movedThrough(second, ['closed']);
      expect(await lapses()).to.have.length(1);
    });
  });

  describe('partial disclosure of traffic data (UN 43(1), 26; Bud 30(1), 17)', () => {
    it('when traffic data are disclosed from a preserved request through two providers, then the requester reads both hops on its chain, and the public fields say only how many', async () => {
      const preservation = await preservedRequest();
      const done = await disclose(preservation, handler, path);
      expect(done.status, done.text).to.equal(201);
      expect(done.body.order).to.include({ id: preservation, status: 'preserved' });

      const asRequester = await chainOf(preservation, partner);
      const last = asRequester.at(-1) as (typeof asRequester)[number];
      expect(last.entry.type).to.equal('order.traffic_disclosed');
      expect(last.entry.data).to.include({
        hopCount: 2,
        contentDisclosed: false,
        subscriberDisclosed: false,
      });
      expect(last.entry.data).not.to.have.property('hops');
      const shown = last;
      expect(shown.data.hops).to.deep.equal(twoHops);
      expect(shown.data.recipient).to.deep.equal({ authority: 'Bundeskriminalamt, SO 43', state: 'DE' });
      expect(shown.actor).not.to.have.property('sub');
    });

    it('when a disclosure claims content or subscriber data, names no hop, or a window that ends before it starts, then 422 and nothing is recorded', async () => {
      const preservation = await preservedRequest();
      const before = (await chainOf(preservation, handler)).length;
      const bodies: Array<[Record<string, unknown>, string]> = [
        [{ ...path, contentDisclosed: true }, '/contentDisclosed'],
        [{ ...path, subscriberDisclosed: true }, '/subscriberDisclosed'],
        [{ ...path, hops: [] }, '/hops'],
        [
          { ...path, hops: [{ ...twoHops[0], from: '2026-11-21T00:00:00Z', until: '2026-11-20T00:00:00Z' }] },
          '/hops/0/until',
        ],
        [{ ...path, hops: [{ ...twoHops[1], country: 'Germany' }] }, '/hops/0/country'],
      ];
      for (const [json, pointer] of bodies) {
        const response = await disclose(preservation, handler, json);
        expect(response.status, response.text).to.equal(422);
        expect(response.body.code).to.equal('VALIDATION_FAILED');
        expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).to.include(pointer);
      }
      expect((await chainOf(preservation, handler)).length).to.equal(before);
    });

    it('when no data are preserved under the order (not yet preserved, withdrawn, our own request abroad, or another kind), then 409 ORDER_TRANSITION_INVALID naming the action', async () => {
      const received = await submitted(art42Request());
      const withdrawn = await preservedRequest();
      await movedThrough(withdrawn, ['withdrawn']);
      const mla = await submitted(mlaBody());
      const outgoing = await submitted(
        art42Request({ direction: 'outgoing', requestingState: 'AZ', requestedState: 'NL' }),
        handler,
      );
      for (const [id, from] of [
        [received, 'received'],
        [withdrawn, 'withdrawn'],
        [mla, 'received'],
        [outgoing, 'received'],
      ] as const) {
        const response = await disclose(id, handler, path);
        expect(response.status, `${from}: ${response.text}`).to.equal(409);
        expect(response.body).to.include({
          code: 'ORDER_TRANSITION_INVALID',
          type: 'urn:custody-ledger:problem:order-transition-invalid',
          from,
          to: 'traffic_disclosed',
        });
        const types = (await chainOf(id, handler)).map((e) => e.entry.type);
        expect(types).not.to.include('order.traffic_disclosed');
      }
    });

    it('when anyone but a handler of the owning agency discloses, then the requester and read-only roles get 403 and other agencies 404', async () => {
      const preservation = await preservedRequest();
      const auditor = await service.token(uniqueSub('audit'), central, 'auditor');
      const otherDesk = await service.token(uniqueSub('desk'), uniqueAgency('SSS'), 'prosecutor');
      for (const [token, status, code] of [
        [partner, 403, 'FORBIDDEN_ROLE'],
        [auditor, 403, 'FORBIDDEN_ROLE'],
        [otherDesk, 404, 'NOT_FOUND'],
      ] as const) {
        const response = await disclose(preservation, token, path);
        expect(response.status, response.text).to.equal(status);
        expect(response.body.code).to.equal(code);
      }
      const types = (await chainOf(preservation, handler)).map((e) => e.entry.type);
      expect(types).not.to.include('order.traffic_disclosed');
    });

    it('when a domestic preservation order is in force, then traffic data are disclosed from it to the competent authority (Art. 26)', async () => {
      const domestic = await submitted(domesticOrder(), handler);
      await movedThrough(domestic, ['under_assessment', 'ordered', 'preserved']);
      const done = await disclose(domestic, handler, { ...path, hops: [twoHops[1]] });
      expect(done.status, done.text).to.equal(201);
      const last = (await chainOf(domestic, handler)).at(-1);
      expect(last?.type).to.equal('order.traffic_disclosed');
      expect(last?.data).to.deep.include({ hopCount: 1, recipient: { authority: 'Prosecutor General' } });
    });

    it('when an Art. 43 request is answered with the path through several providers, then its disclosed move records every hop', async () => {
      const id = await submitted(
        art42Request({ kind: 'traffic_disclosure', legalBasis: { instrument: 'UNCC', article: '43' } }),
      );
      await movedThrough(id, ['under_assessment']);
      const done = await service.call('POST', `/v1/orders/${id}/transitions`, {
        token: handler,
        json: { to: 'disclosed', disclosure: { fields: ['route'], ...path } },
      });
      expect(done.status, done.text).to.equal(200);
      const last = (await chainOf(id, partner)).at(-1);
      expect(last?.data.disclosure).to.deep.include({ hopCount: 2, hops: twoHops, contentDisclosed: false });
    });
  });

  describe('one hand-over, one entry (evidence law)', () => {
    it('when an MLA request is executed and its item disclosed under it, then the item’s chain records the hand-over once, naming the disclosure and the order; a domestic production records none', async () => {
      const caseId = await openCase(service, handler);
      const item = await uploadItem(service, handler, caseId);
      const recipient = uniqueAgency('DE');
      const order = await executedRequestFor(service, handler, recipient, [item]);
      const disclosed = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: handler,
        json: { recipientAgency: recipient, evidenceIds: [item], orderId: order },
      });
      expect(disclosed.status, disclosed.text).to.equal(201);
      const handOvers = async (id: string) =>
        (await service.call('GET', `/v1/evidence/${id}/chain`, { token: handler })).body.entries
          .map(revealed)
          .filter((e: { type: string }) => e.type === 'evidence.disclosed');
      const entries = await handOvers(item);
      expect(entries).to.have.length(1);
      expect(entries[0].data).to.include({ disclosure: disclosed.body.disclosure.id, order });

      // Data produced to us under our own production order are not a hand-over by us.
      const produced = await uploadItem(service, handler, caseId);
      const production = await submitted(productionOrderBody(caseId), handler);
      await movedThrough(production, ['served']);
      const linked = await service.call('POST', `/v1/orders/${production}/evidence`, {
        token: handler,
        json: { evidenceId: produced },
      });
      expect(linked.status, linked.text).to.equal(201);
      await movedThrough(production, ['produced']);
      expect(await handOvers(produced)).to.deep.equal([]);
    });
  });
});

describe('the sweep, when the domestic order executing an international preservation ends (injected clock)', () => {
  const at = (days: number) => new Date(START.getTime() + days * HARNESS_DAY);
  const logger = createLogger('silent');

  /** A preserved Art. 42 request and the domestic preservation order in force that executes it here (UN 25(2) with 42(4)). */
  async function executedHere({ orders, desk, orderIn }: OrderHarness) {
    const preservation = await orderIn(art42Input, ['under_assessment', 'ordered', 'preserved']);
    const { value: domestic } = await orders.submit(desk, {
      ...domesticPreservation,
      related: { orderId: preservation, relation: 'executes' },
    });
    for (const to of ['under_assessment', 'ordered', 'preserved'])
      await orders.transition(desk, domestic.id, { to });
    return { preservation, domestic };
  }

  it('when its term ends while an MLA request holds the data, then the international order’s chain records order.execution_lapsed with the sweep’s own lapse', async () => {
    await withOrders(async (harness) => {
      const { orders, desk, setClock, now, orderIn, chain } = harness;
      const { preservation, domestic } = await executedHere(harness);
      const mla = await orderIn(mlaInput, []);
      await orders.transition(desk, preservation, { to: 'pending_mla_decision', mlaOrderId: mla });
      setClock(at(89));
      await new DeadlineSweep(orders, logger, HARNESS_DAY, now).sweep();
      expect((await chain(preservation)).map((e) => e.type)).not.to.include('order.execution_lapsed');

      setClock(at(91));
      await new DeadlineSweep(orders, logger, HARNESS_DAY, now).sweep();
      expect((await orders.get(desk, domestic.id)).status).to.equal('expired');
      const lapsed = (await chain(preservation)).at(-1);
      expect(lapsed?.type).to.equal('order.execution_lapsed');
      expect(lapsed?.data).to.deep.include({ status: 'pending_mla_decision', executingOrder: domestic.id });
      expect(lapsed?.actor).to.deep.include({ agency: 'SYSTEM' });
    });
  });

  it('when its term ends after the international preservation was released, then nothing is recorded on the international order', async () => {
    await withOrders(async (harness) => {
      const { orders, desk, setClock, now, chain } = harness;
      const { preservation, domestic } = await executedHere(harness);
      await orders.transition(desk, preservation, { to: 'withdrawn' });
      setClock(at(91));
      await new DeadlineSweep(orders, logger, HARNESS_DAY, now).sweep();
      expect((await orders.get(desk, domestic.id)).status).to.equal('expired');
      expect((await chain(preservation)).map((e) => e.type)).not.to.include('order.execution_lapsed');
    });
  });
});
