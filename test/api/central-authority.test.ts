import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { CentralAuthorityRepository, type ResponseTimes } from '../../src/db/central-authority.repository';
import { NotificationRepository } from '../../src/db/notification.repository';
import { OrderRepository } from '../../src/db/order.repository';
import { parseVerifierKey } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { DECISION_STATES } from '../../src/orders/central-authority';
import { DeadlineSweep } from '../../src/orders/deadline-sweep';
import { DeadlineWarnings } from '../../src/orders/deadline-warnings';
import { verifyReceipt } from '../../src/verify';
import { art42Body, mlaBody, moveOrder, submitOrder } from '../support/order-requests';
import {
  art42Request,
  courtAuthorisation,
  DAY,
  HOUR,
  mlaRequest,
  productionContents,
  START,
  withOrders,
} from '../support/orders';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const logger = createLogger('silent');

/** A request for one of the 24/7 point's functions beyond preservation (UN Art. 41; Budapest Art. 35(1)). */
function assistanceBody(overrides: Record<string, unknown> = {}) {
  return {
    kind: 'assistance_24_7',
    direction: 'incoming',
    legalBasis: { instrument: 'BUDAPEST', article: '35' },
    requestingState: 'DE',
    requestingAuthority: 'Bundeskriminalamt, 24/7',
    channel: '24/7',
    assistanceType: 'emergency_data',
    urgency: 'emergency',
    urgencyJustification: 'A threat to life announced on a forum hosted in Baku',
    factsSummary: 'Subscriber of the account that posted the threat',
    ...overrides,
  };
}

describe('the central authority: forwarding, referral, statistics, notifications, 24/7 assistance', () => {
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
    handler = await service.token(uniqueSub('desk'), central, 'prosecutor');
    partnerAgency = uniqueAgency('DE');
    partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
  });

  const submitted = (json: Record<string, unknown>, token = partner) => submitOrder(service, token, json);

  /** Moves the order, expecting the move to succeed. */
  async function move(id: string, token: string, to: string, extra: Record<string, unknown> = {}) {
    const response = await moveOrder(service, id, token, to, extra);
    expect(response.status, `${to}: ${response.text}`).to.equal(200);
    return response;
  }

  /** The notifications of `token`'s agency about the order, oldest first. */
  async function noticesAbout(token: string, orderId: string) {
    const response = await service.call('GET', `/v1/notifications?limit=100&orderId=${orderId}`, { token });
    expect(response.status, response.text).to.equal(200);
    return (
      response.body.items as Array<{ orderId: string; kind: string; payload: Record<string, unknown> }>
    ).reverse();
  }

  async function chainLength(id: string): Promise<number> {
    return (await service.call('GET', `/v1/orders/${id}/chain`, { token: handler })).body.entries.length;
  }

  describe('forwarding to the executing agency (UN Art. 40(13))', () => {
    it('when the central authority forwards a request, then the executing agency handles it, other agencies still get 404, and the requester learns that it was forwarded but not to whom', async () => {
      const id = await submitted(mlaBody());
      const executing = uniqueAgency('POL');
      const executor = await service.token(uniqueSub('police'), executing, 'investigator');
      const stranger = await service.token(uniqueSub('other'), uniqueAgency('OTH'), 'prosecutor');
      expect((await service.call('GET', `/v1/orders/${id}`, { token: executor })).status).to.equal(404);

      const forwarded = await service.call('POST', `/v1/orders/${id}/forward`, {
        token: handler,
        json: { executingAgency: executing, reason: 'Cybercrime unit holds the case' },
      });
      expect(forwarded.status, forwarded.text).to.equal(200);
      expect(forwarded.body.order).to.deep.equal({ id, status: 'received', executingAgency: executing });
      const info = (await service.call('GET', '/v1/log/info')).body;
      const receipt = await verifyReceipt(forwarded.body.receipt, {
        jwks: (await service.call('GET', '/.well-known/jwks.json')).body,
        logKey: parseVerifierKey(info.vkey),
      });
      expect(receipt.valid).to.equal(true);
      expect(receipt.payload?.entry).to.deep.include({ type: 'order.forwarded', seq: 2 });

      // The executing agency sees the whole order and moves it; the owner keeps it.
      const seen = await service.call('GET', `/v1/orders/${id}`, { token: executor });
      expect(seen.status).to.equal(200);
      expect(seen.body.order).to.include({
        ownerAgency: central,
        executingAgency: executing,
        statusOnly: false,
      });
      await move(id, executor, 'under_assessment');
      expect((await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order.status).to.equal(
        'under_assessment',
      );
      // Forwarding is the owner's: the executing agency cannot pass the order on.
      const onward = await service.call('POST', `/v1/orders/${id}/forward`, {
        token: executor,
        json: { executingAgency: uniqueAgency('X') },
      });
      expect([onward.status, onward.body.code]).to.deep.equal([403, 'FORBIDDEN_ROLE']);

      // Need-to-know: any other agency is told nothing, whatever it asks.
      for (const [method, path] of [
        ['GET', `/v1/orders/${id}`],
        ['POST', `/v1/orders/${id}/forward`],
      ] as const) {
        const response = await service.call(method, path, {
          token: stranger,
          ...(method === 'POST' ? { json: { executingAgency: uniqueAgency('X') } } : {}),
        });
        expect([response.status, response.body.code], path).to.deep.equal([404, 'NOT_FOUND']);
      }
      const listed = await service.call('GET', '/v1/orders', { token: stranger });
      expect(listed.body.items.map((order: { id: string }) => order.id)).to.not.include(id);

      // The requester reads that it was forwarded, with nothing that names the agency.
      const chain = await service.call('GET', `/v1/orders/${id}/chain`, { token: partner });
      const entry = chain.body.entries.find(
        (view: { entry: { type: string } }) => view.entry.type === 'order.forwarded',
      );
      expect(entry.disclosures).to.deep.equal([]);
      expect(revealed(entry).data).to.not.have.property('executingAgency');
      const told = await noticesAbout(partner, id);
      expect(told.map((notice) => notice.kind)).to.deep.equal([
        'order.received',
        'order.forwarded',
        'order.status_changed',
      ]);
      expect(JSON.stringify(told)).to.not.include(executing);
      const assigned = await noticesAbout(executor, id);
      expect(assigned.map((notice) => [notice.kind, notice.payload.reason])).to.deep.equal([
        ['order.assigned', 'Cybercrime unit holds the case'],
      ]);
    });

    it('when a request is forwarded to its own owner, or has ended, then it is refused (422, 409 ORDER_ENDED) and nothing is recorded', async () => {
      const id = await submitted(mlaBody());
      const self = await service.call('POST', `/v1/orders/${id}/forward`, {
        token: handler,
        json: { executingAgency: central },
      });
      expect([self.status, self.body.code]).to.deep.equal([422, 'VALIDATION_FAILED']);
      expect(self.body.errors).to.deep.equal([
        { pointer: '/executingAgency', reason: 'handles_the_order_already' },
      ]);
      const requester = await service.call('POST', `/v1/orders/${id}/forward`, {
        token: handler,
        json: { executingAgency: partnerAgency },
      });
      expect(requester.body.errors).to.deep.equal([
        { pointer: '/executingAgency', reason: 'is_the_requester' },
      ]);
      const badCode = await service.call('POST', `/v1/orders/${id}/forward`, {
        token: handler,
        json: { executingAgency: 'not an agency' },
      });
      expect([badCode.status, badCode.body.errors[0].pointer]).to.deep.equal([422, '/executingAgency']);

      await move(id, partner, 'withdrawn');
      const ended = await service.call('POST', `/v1/orders/${id}/forward`, {
        token: handler,
        json: { executingAgency: uniqueAgency('POL') },
      });
      expect([ended.status, ended.body.code, ended.body.type]).to.deep.equal([
        409,
        'ORDER_ENDED',
        'urn:custody-ledger:problem:order-ended',
      ]);
      expect(await chainLength(id)).to.equal(2);
    });
  });

  describe('referral to the extradition authority (Budapest Art. 35(2)(b); UN Arts 37, 41)', () => {
    it('when a handler refers a request, then the order records it and the Ministry of Justice has a notification, and still cannot read the order', async () => {
      const id = await submitted(mlaBody());
      const ministry = await service.token(uniqueSub('moj'), 'AZ-MOJ', 'prosecutor');
      const referred = await service.call('POST', `/v1/orders/${id}/referrals`, {
        token: handler,
        json: { reason: 'The suspect is sought for extradition' },
      });
      expect(referred.status, referred.text).to.equal(201);
      expect(referred.body.referral).to.deep.equal({ order: id, authority: 'AZ-MOJ' });
      const chain = (await service.call('GET', `/v1/orders/${id}/chain`, { token: handler })).body.entries;
      expect(revealed(chain.at(-1))).to.deep.include({
        type: 'order.referred',
        data: { authority: 'AZ-MOJ', reason: 'The suspect is sought for extradition' },
      });
      const [notice] = await noticesAbout(ministry, id);
      expect(notice?.kind).to.equal('order.referred');
      expect(notice?.payload).to.include({
        order: id,
        kind: 'mla',
        requestingState: 'DE',
        referredBy: central,
        reason: 'The suspect is sought for extradition',
      });
      expect((await service.call('GET', `/v1/orders/${id}`, { token: ministry })).status).to.equal(404);
    });

    it('when the referral names an authority that is not configured, then it is 422 naming the ones allowed, and nothing is recorded', async () => {
      const id = await submitted(mlaBody());
      const refused = await service.call('POST', `/v1/orders/${id}/referrals`, {
        token: handler,
        json: { authority: 'AZ-POLICE', reason: 'Wrong door' },
      });
      expect([refused.status, refused.body.code]).to.deep.equal([422, 'VALIDATION_FAILED']);
      expect(refused.body.errors).to.deep.equal([
        { pointer: '/authority', reason: 'not_a_referral_authority', allowed: ['AZ-MOJ'] },
      ]);
      expect(await chainLength(id)).to.equal(1);
      const police = await service.token(uniqueSub('police'), 'AZ-POLICE', 'prosecutor');
      expect(await noticesAbout(police, id)).to.deep.equal([]);
    });
  });

  describe('notifications to the requesting party (UN Art. 40; Budapest Art. 27(7))', () => {
    it('when a request is received and then refused, then the requester has both notices with the reasons it is owed, pages through them and acknowledges them', async () => {
      // Under Budapest Art. 27(6) the refusal needs no consultation first, so the requester's notices are these three.
      const id = await submitted(mlaBody({ legalBasis: { instrument: 'BUDAPEST', article: '27' } }));
      await move(id, handler, 'under_assessment');
      await move(id, handler, 'refused', {
        reasonCode: 'ESSENTIAL_INTERESTS',
        reason: 'Sovereignty (Art. 27(4)(b))',
      });
      const told = await noticesAbout(partner, id);
      expect(told.map((notice) => notice.kind)).to.deep.equal([
        'order.received',
        'order.status_changed',
        'order.status_changed',
      ]);
      expect(told[0]?.payload).to.include({ order: id, status: 'received' });
      expect(told[2]?.payload).to.deep.include({
        from: 'under_assessment',
        status: 'refused',
        reasonCode: 'ESSENTIAL_INTERESTS',
        reason: 'Sovereignty (Art. 27(4)(b))',
      });
      // Never who handled it.
      expect(JSON.stringify(told)).to.not.include('desk-');

      // Newest first, a page at a time.
      const first = await service.call('GET', '/v1/notifications?limit=2', { token: partner });
      expect(first.body.items.map((item: { kind: string }) => item.kind)).to.deep.equal([
        'order.status_changed',
        'order.status_changed',
      ]);
      expect(first.body.items[0].payload.status).to.equal('refused');
      const second = await service.call(
        'GET',
        `/v1/notifications?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
        { token: partner },
      );
      expect(second.body.items.map((item: { kind: string }) => item.kind)).to.deep.equal(['order.received']);
      expect(second.body.nextCursor).to.equal(null);
      const bad = await service.call('GET', '/v1/notifications?cursor=nonsense', { token: partner });
      expect([bad.status, bad.body.code, bad.body.errors[0].pointer]).to.deep.equal([
        400,
        'INVALID_PARAMETER',
        '/cursor',
      ]);

      const noticeId = first.body.items[0].id;
      const stranger = await service.token(uniqueSub('other'), uniqueAgency('FR'), 'partner');
      const theirs = await service.call('POST', `/v1/notifications/${noticeId}/ack`, { token: stranger });
      expect([theirs.status, theirs.body.code]).to.deep.equal([404, 'NOT_FOUND']);
      const acked = await service.call('POST', `/v1/notifications/${noticeId}/ack`, { token: partner });
      expect(acked.status, acked.text).to.equal(200);
      expect(acked.body.notification.acknowledgedAt).to.be.a('string');
      const again = await service.call('POST', `/v1/notifications/${noticeId}/ack`, { token: partner });
      expect(again.body.notification.acknowledgedAt).to.equal(acked.body.notification.acknowledgedAt);
    });

    it('when notifications are listed for one order, then only the caller’s own about that order are given, and a stranger naming it gets none', async () => {
      const id = await submitted(mlaBody());
      const other = await submitted(mlaBody());
      await move(id, handler, 'under_assessment');
      const about = async (token: string, orderId: string) => {
        const response = await service.call('GET', `/v1/notifications?orderId=${orderId}`, { token });
        expect(response.status, response.text).to.equal(200);
        return response.body.items.map((item: { orderId: string; kind: string }) => [
          item.orderId,
          item.kind,
        ]);
      };
      expect(await about(partner, id)).to.deep.equal([
        [id, 'order.status_changed'],
        [id, 'order.received'],
      ]);
      expect(await about(partner, other)).to.deep.equal([[other, 'order.received']]);
      const stranger = await service.token(uniqueSub('other'), uniqueAgency('FR'), 'partner');
      expect(await about(stranger, id)).to.deep.equal([]);
      const bad = await service.call('GET', '/v1/notifications?orderId=42', { token: partner });
      expect([bad.status, bad.body.code, bad.body.errors[0].pointer]).to.deep.equal([
        400,
        'INVALID_PARAMETER',
        '/orderId',
      ]);
    });

    it('when a court clerk or an operator asks for notifications, then it is 403 FORBIDDEN_ROLE', async () => {
      for (const role of ['court', 'custodian', 'admin'] as const) {
        const token = await service.token(uniqueSub(role), central, role);
        const response = await service.call('GET', '/v1/notifications', { token });
        expect([response.status, response.body.code], role).to.deep.equal([403, 'FORBIDDEN_ROLE']);
      }
    });
  });

  describe('statistics for implementation review (UN Art. 57)', () => {
    it('when an agency reads its statistics, then it counts exactly its own orders by kind, direction, state and partner state, and nothing of other agencies', async () => {
      const agency = uniqueAgency('ST');
      const desk = await service.token(uniqueSub('desk'), agency, 'prosecutor');
      const auditor = await service.token(uniqueSub('audit'), agency, 'auditor');
      const incoming = { requestingState: 'DE' };
      const a = await submitted(mlaBody(incoming), desk);
      await submitted(mlaBody({ requestingState: 'FR' }), desk);
      await submitted(mlaBody(incoming), desk);
      const out = await submitted(
        mlaBody({ direction: 'outgoing', requestingState: 'AZ', requestedState: 'TR' }),
        desk,
      );
      await move(a, desk, 'under_assessment');
      await move(a, desk, 'accepted');
      await move(out, desk, 'under_assessment');
      await move(out, desk, 'refused', {
        reasonCode: 'DOMESTIC_LAW_PROHIBITS',
        reason: 'Not a criminal matter there',
      });
      // Another agency's order is not counted; one it forwarded to this agency is, where it is executed.
      await submitted(mlaBody(incoming), handler);
      const forwarded = await submitted(mlaBody(incoming));
      const forwarding = await service.call('POST', `/v1/orders/${forwarded}/forward`, {
        token: handler,
        json: { executingAgency: agency },
      });
      expect(forwarding.status, forwarding.text).to.equal(200);

      const response = await service.call('GET', '/v1/orders/stats', { token: auditor });
      expect(response.status, response.text).to.equal(200);
      const stats = response.body;
      expect(stats).to.deep.include({
        from: null,
        to: null,
        total: 5,
        byKind: { mla: 5 },
        byDirection: { incoming: 4, outgoing: 1 },
        byStatus: { received: 3, accepted: 1, refused: 1 },
        incomingByRequestingState: { DE: 3, FR: 1 },
        outgoingByRequestedState: { TR: 1 },
      });
      expect(stats.responseTimes.decided).to.equal(2);
      expect(Object.keys(stats.responseTimes.byKind)).to.deep.equal(['mla']);
      expect(stats.responseTimes.byDirection.incoming.decided).to.equal(1);
      expect(stats.responseTimes.medianSeconds).to.be.a('number').and.at.least(0);

      // A range that ends before these orders were received counts none of them.
      const none = await service.call('GET', '/v1/orders/stats?to=2020-01-01T00:00:00Z', { token: desk });
      expect(none.body).to.deep.include({ total: 0, to: '2020-01-01T00:00:00.000Z' });
      expect(none.body.responseTimes).to.deep.include({ decided: 0, medianSeconds: null, p90Seconds: null });
    });

    it('when the range is malformed or reversed, or a partner asks, then it is 400 INVALID_PARAMETER or 403 FORBIDDEN_ROLE', async () => {
      const reversed = await service.call(
        'GET',
        '/v1/orders/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
        { token: handler },
      );
      expect([reversed.status, reversed.body.code, reversed.body.errors[0].pointer]).to.deep.equal([
        400,
        'INVALID_PARAMETER',
        '/to',
      ]);
      const malformed = await service.call('GET', '/v1/orders/stats?from=yesterday', { token: handler });
      expect([malformed.status, malformed.body.errors[0].pointer]).to.deep.equal([400, '/from']);
      const byPartner = await service.call('GET', '/v1/orders/stats', { token: partner });
      expect([byPartner.status, byPartner.body.code]).to.deep.equal([403, 'FORBIDDEN_ROLE']);
    });
  });

  describe('the 24/7 point beyond preservation (UN Art. 41; Budapest Art. 35(1))', () => {
    it('when a partner asks the 24/7 point for data to avert an emergency, then it has an act-by deadline, is answered or refused, and the requester is told', async () => {
      const response = await service.call('POST', '/v1/orders', { token: partner, json: assistanceBody() });
      expect(response.status, response.text).to.equal(201);
      const order = response.body.order;
      expect(order).to.include({ kind: 'assistance_24_7', status: 'received' });
      expect(order.deadlines.rule).to.equal('act_by');
      expect(Date.parse(order.deadlines.at) - Date.parse(order.receivedAt)).to.equal(8 * HOUR);
      // Warned halfway to an act-by shorter than the lead time.
      expect(Date.parse(order.deadlines.warningAt) - Date.parse(order.receivedAt)).to.equal(4 * HOUR);

      const advice = await service.call('POST', '/v1/orders', {
        token: partner,
        json: assistanceBody({
          assistanceType: 'technical_advice',
          urgency: 'normal',
          urgencyJustification: undefined,
        }),
      });
      expect(Date.parse(advice.body.order.deadlines.at) - Date.parse(advice.body.order.receivedAt)).to.equal(
        24 * HOUR,
      );

      const wrongMove = await service.call('POST', `/v1/orders/${order.id}/transitions`, {
        token: handler,
        json: { to: 'under_assessment' },
      });
      expect([wrongMove.status, wrongMove.body.code]).to.deep.equal([409, 'ORDER_TRANSITION_INVALID']);
      await move(order.id, handler, 'answered');
      const told = await noticesAbout(partner, order.id);
      expect(told.map((notice) => [notice.kind, notice.payload.status])).to.deep.equal([
        ['order.received', 'received'],
        ['order.status_changed', 'answered'],
      ]);
    });

    it('when a 24/7 assistance request lacks its type, comes through another channel, or is domestic, then it is 422 naming the field', async () => {
      for (const [overrides, pointer] of [
        [{ assistanceType: undefined }, '/assistanceType'],
        [{ channel: 'central_authority' }, '/channel'],
        [{ direction: 'domestic' }, '/direction'],
      ] as const) {
        const response = await service.call('POST', '/v1/orders', {
          token: handler,
          json: assistanceBody(overrides),
        });
        expect([response.status, response.body.code], pointer).to.deep.equal([422, 'VALIDATION_FAILED']);
        expect(response.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal([
          pointer,
        ]);
      }
      const typed = await service.call('POST', '/v1/orders', {
        token: partner,
        json: { ...mlaBody(), assistanceType: 'legal_information' },
      });
      expect(typed.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal([
        '/assistanceType',
      ]);
    });
  });

  describe('spontaneous information (UN Art. 40(4)-(5); Budapest Art. 26)', () => {
    it('when a partner sends information unasked with conditions of confidentiality and use, then it is recorded and receipted with them, and acknowledged', async () => {
      const response = await service.call('POST', '/v1/orders', {
        token: partner,
        json: {
          kind: 'spontaneous_information',
          direction: 'incoming',
          legalBasis: { instrument: 'BUDAPEST', article: '26' },
          requestingState: 'DE',
          requestingAuthority: 'Bundeskriminalamt',
          channel: '24/7',
          factsSummary: 'A botnet controller in Baku, seen in our investigation',
          confidential: true,
          specialityConditions: 'Use only to open an investigation; not as evidence without an MLA request',
        },
      });
      expect(response.status, response.text).to.equal(201);
      expect(response.body.receipt).to.be.a('string');
      const id = response.body.order.id;
      const full = (await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order;
      expect(full).to.deep.include({ kind: 'spontaneous_information', status: 'received' });
      expect(full.safeguards).to.deep.include({
        confidential: true,
        specialityConditions: 'Use only to open an investigation; not as evidence without an MLA request',
      });
      expect(full.deadlines.at).to.equal(null);
      await move(id, handler, 'acknowledged');

      const domestic = await service.call('POST', '/v1/orders', {
        token: handler,
        json: {
          kind: 'spontaneous_information',
          direction: 'domestic',
          legalBasis: { instrument: 'DOMESTIC' },
          requestingAuthority: 'Prosecutor General',
          channel: 'direct',
        },
      });
      expect([domestic.status, domestic.body.errors[0].pointer]).to.deep.equal([422, '/direction']);
    });
  });

  it('when an incoming preservation is preserved, then its view shows when the early warning is due: ten days before the 60 days end', async () => {
    const id = await submitted(
      art42Body({ requestedState: undefined, channel: 'central_authority', urgency: undefined }),
    );
    for (const to of ['under_assessment', 'ordered']) await move(id, handler, to);
    const preserved = (await move(id, handler, 'preserved')).body.order;
    expect(Date.parse(preserved.deadlines.at) - Date.parse(preserved.deadlines.warningAt)).to.equal(10 * DAY);
    const seen = (await service.call('GET', `/v1/orders/${id}`, { token: partner })).body.order;
    expect(seen.deadlines.warningAt).to.equal(preserved.deadlines.warningAt);
  });
});

describe('the central authority with an injected clock: response times, overdue alerts, early warnings', () => {
  /** The sweep's early warnings with the default lead: ten days before a deadline. */
  const tenDaysAhead = (db: DataSource) =>
    new DeadlineWarnings(
      db,
      new CentralAuthorityRepository(db),
      new OrderRepository(db),
      new NotificationRepository(db),
      { days: 10 },
    );

  /** The notifications stored for the order, in the order they were written. */
  async function outbox(db: DataSource, orderId: string, leaving: readonly string[] = []) {
    const rows: Array<{ recipient_agency: string; kind: string; created_at: Date }> = await db.query(
      `SELECT recipient_agency, kind, created_at FROM notifications WHERE order_id = $1 AND kind <> ALL($2)
        ORDER BY created_at, kind, recipient_agency`,
      [orderId, leaving],
    );
    return rows.map((row) => [row.recipient_agency, row.kind, row.created_at.toISOString()]);
  }

  it('when orders are decided 2, 4 and 10 hours after receipt and one is not, then the median is 4 hours and the 90th percentile 8.8 hours', async () => {
    await withOrders(async ({ db, orders, desk, advance, orderIn }) => {
      const outgoing = {
        ...mlaRequest,
        direction: 'outgoing' as const,
        requestingState: 'AZ',
        requestedState: 'NL',
      };
      // Budapest Art. 27(6): refused without a consultation first (the UN's Art. 40 would ask for one).
      const budapest = { ...mlaRequest, legalBasis: { instrument: 'BUDAPEST', article: '27' } };
      const a = await orderIn(mlaRequest, []);
      const b = await orderIn(budapest, []);
      const c = await orderIn(outgoing, []);
      await orderIn(mlaRequest, ['under_assessment']);
      advance(HOUR);
      await orders.transition(desk, a, { to: 'under_assessment' });
      await orders.transition(desk, b, { to: 'under_assessment' });
      await orders.transition(desk, c, { to: 'under_assessment' });
      advance(HOUR);
      await orders.transition(desk, a, { to: 'accepted' });
      advance(2 * HOUR);
      await orders.transition(desk, b, {
        to: 'refused',
        reasonCode: 'ESSENTIAL_INTERESTS',
        reason: 'Not covered',
      });
      advance(6 * HOUR);
      await orders.transition(desk, c, {
        to: 'postponed',
        reasonCode: 'ONGOING_PROCEEDINGS',
        reason: 'Their own inquiry',
      });
      await orders.transition(desk, c, { to: 'under_assessment' });
      await orders.transition(desk, c, { to: 'accepted' });

      const stats = await new CentralAuthorityRepository(db).statistics('AZ-SSS', {}, DECISION_STATES);
      expect(stats.total).to.equal(4);
      expect(stats.byStatus).to.deep.equal({ accepted: 2, refused: 1, under_assessment: 1 });
      // Percentiles interpolate (percentile_cont): 4 h + 0.8 × (10 h − 4 h) = 8.8 h; 2 h + 0.9 × 2 h = 3.8 h.
      const rounded = ({ decided, medianSeconds, p90Seconds }: ResponseTimes) => ({
        decided,
        medianSeconds,
        p90Seconds: p90Seconds === null ? null : Math.round(p90Seconds * 1000) / 1000,
      });
      const { byKind, byDirection, ...overall } = stats.responseTimes;
      expect(rounded(overall)).to.deep.equal({ decided: 3, medianSeconds: 4 * 3600, p90Seconds: 31_680 });
      expect(Object.keys(byKind)).to.deep.equal(['mla']);
      expect(rounded(byKind.mla as ResponseTimes)).to.deep.equal(rounded(overall));
      expect(rounded(byDirection.outgoing as ResponseTimes)).to.deep.equal({
        decided: 1,
        medianSeconds: 10 * 3600,
        p90Seconds: 10 * 3600,
      });
      expect(rounded(byDirection.incoming as ResponseTimes)).to.deep.equal({
        decided: 2,
        medianSeconds: 3 * 3600,
        p90Seconds: 13_680,
      });
      const later = await new CentralAuthorityRepository(db).statistics(
        'AZ-SSS',
        { from: new Date(START.getTime() + 1) },
        DECISION_STATES,
      );
      expect(later.total).to.equal(0);
    });
  });

  it('when an MLA request’s requested date passes, then the sweep’s order.overdue entry and the owner’s alert commit together, and the requester gets no alert', async () => {
    await withOrders(async ({ db, orders, now, setClock, orderIn, chain }) => {
      const id = await orderIn({ ...mlaRequest, requestedBy: new Date(START.getTime() + DAY) }, []);
      const sweep = new DeadlineSweep(orders, logger, 0, now);
      setClock(new Date(START.getTime() + 2 * DAY));
      expect((await sweep.sweep()).overdue).to.deep.equal([id]);
      expect((await chain(id)).at(-1)?.type).to.equal('order.overdue');
      expect(await outbox(db, id)).to.deep.equal([
        ['DE-BKA', 'order.received', START.toISOString()],
        ['AZ-SSS', 'order.overdue', new Date(START.getTime() + 2 * DAY).toISOString()],
      ]);
      // Recorded once: a second pass writes neither an entry nor an alert.
      await sweep.sweep();
      expect(await outbox(db, id)).to.have.length(2);
    });
  });

  it('when a production order’s date passes, then the sweep’s move into overdue alerts its owner', async () => {
    await withOrders(async ({ db, orders, now, setClock, orderIn }) => {
      const production = {
        ...mlaRequest,
        kind: 'production' as const,
        direction: 'domestic' as const,
        legalBasis: { instrument: 'DOMESTIC', article: '27' },
        requestingState: undefined,
        channel: 'direct',
        details: productionContents,
        safeguards: courtAuthorisation,
        requestedBy: new Date(START.getTime() + DAY),
      };
      const id = await orderIn(production, ['served']);
      setClock(new Date(START.getTime() + 2 * DAY));
      expect((await new DeadlineSweep(orders, logger, 0, now).sweep()).overdue).to.deep.equal([id]);
      expect(await outbox(db, id)).to.deep.equal([
        ['AZ-SSS', 'order.overdue', new Date(START.getTime() + 2 * DAY).toISOString()],
      ]);
    });
  });

  it('when an international preservation nears its 60 days, then the sweep warns the central authority and the requester once, ten days ahead, and the view shows when', async () => {
    await withOrders(async ({ db, orders, desk, now, setClock, orderIn }) => {
      const id = await orderIn(art42Request, ['under_assessment', 'ordered', 'preserved']);
      const warnings = tenDaysAhead(db);
      const sweep = new DeadlineSweep(orders, logger, 0, now, 200, warnings);
      const warningAt = new Date(START.getTime() + 50 * DAY);
      expect(warnings.warningAt(await orders.get(desk, id))).to.deep.equal(warningAt);

      // The requester's notices of the moves on its request are not what this test is about.
      const moves = ['order.status_changed'];
      setClock(new Date(warningAt.getTime() - 1));
      await sweep.sweep();
      expect(await outbox(db, id, moves)).to.deep.equal([['DE-BKA', 'order.received', START.toISOString()]]);
      setClock(warningAt);
      await sweep.sweep();
      setClock(new Date(warningAt.getTime() + DAY));
      await sweep.sweep();
      expect(await outbox(db, id, moves)).to.deep.equal([
        ['DE-BKA', 'order.received', START.toISOString()],
        ['AZ-SSS', 'order.deadline_near', warningAt.toISOString()],
        ['DE-BKA', 'order.deadline_near', warningAt.toISOString()],
      ]);
    });
  });

  it('when the formal confirmation of an urgent request sent ahead is not in by its due date, then the sweep reminds the central authority and the requester once, and not once it has come', async () => {
    await withOrders(async ({ db, orders, desk, now, setClock, orderIn }) => {
      const urgent = {
        ...art42Request,
        details: { ...art42Request.details, formalConfirmationToFollow: true },
      };
      const late = await orderIn(urgent, ['under_assessment']);
      const confirmed = await orderIn(urgent, ['under_assessment']);
      const due = (await orders.get(desk, late)).formalConfirmationDue as Date;
      expect(due.getTime() - START.getTime()).to.equal(30 * DAY);
      // The confirmation where the supplement route keeps it (order-contents.test.ts records it through the API).
      await db.query(
        `UPDATE orders SET details = details || '{"formalConfirmation": {"reference": "BMJ 9350/26", "receivedAt": "2028-02-10T09:00:00Z"}}'
          WHERE id = $1`,
        [confirmed],
      );
      const warnings = tenDaysAhead(db);
      const sweep = new DeadlineSweep(orders, logger, 0, now, 200, warnings);
      const reminders = async (id: string) =>
        (await outbox(db, id)).filter(([, kind]) => kind === 'order.formal_confirmation_overdue');
      setClock(new Date(due.getTime() - 1));
      await sweep.sweep();
      expect(await reminders(late)).to.deep.equal([]);
      setClock(due);
      await sweep.sweep();
      setClock(new Date(due.getTime() + DAY));
      await sweep.sweep();
      expect(await reminders(late)).to.deep.equal([
        ['AZ-SSS', 'order.formal_confirmation_overdue', due.toISOString()],
        ['DE-BKA', 'order.formal_confirmation_overdue', due.toISOString()],
      ]);
      expect(await reminders(confirmed)).to.deep.equal([]);
    });
  });
});
