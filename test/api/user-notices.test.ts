import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { art42Body, submitOrder } from '../support/order-requests';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const DAY = 86_400_000;

describe('telling the person an order concerns', () => {
  let service: TestService;
  const central = uniqueAgency('SSS');
  let handler: string;
  let partner: string;

  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: central });
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    handler = await service.token(uniqueSub('desk'), central, 'prosecutor');
    partner = await service.token(uniqueSub('bka'), uniqueAgency('DE'), 'partner');
  });

  /** A complete Art. 42 request from the partner, not urgent and naming no requested state; `noUserNotification` as given. */
  const art42 = (noUserNotification: boolean) =>
    submitOrder(
      service,
      partner,
      art42Body({ requestedState: undefined, urgency: undefined, noUserNotification }),
    );

  const decide = (id: string, json: Record<string, unknown>, token = handler) =>
    service.call('POST', `/v1/orders/${id}/user-notice`, { token, json });

  async function noticeRows(id: string): Promise<number> {
    const [row] = await testDatabase().db.query(
      'SELECT count(*)::int AS n FROM order_user_notices WHERE order_id = $1',
      [id],
    );
    return row.n;
  }

  it('when the requester asked that the user not be notified, then notifying is 409 CONDITION_FORBIDS and not notifying on that ground is receipted on the order’s chain', async () => {
    const id = await art42(true);
    const notifying = await decide(id, { decision: 'notified', reason: 'Letter sent to the account holder' });
    expect(notifying.status).to.equal(409);
    expect(notifying.body).to.include({
      code: 'CONDITION_FORBIDS',
      type: 'urn:custody-ledger:problem:condition-forbids',
    });
    expect(await noticeRows(id)).to.equal(0);

    const kept = await decide(id, {
      decision: 'not_notified',
      ground: 'REQUESTER_ASKED',
      reason: 'Germany asked for confidentiality in its Art. 42 request',
    });
    expect(kept.status, kept.text).to.equal(201);
    expect(kept.body.receipt).to.be.a('string');
    expect(kept.body.userNotice).to.include({
      decision: 'not_notified',
      ground: 'REQUESTER_ASKED',
      until: null,
    });

    const chain = await service.call('GET', `/v1/orders/${id}/chain`, { token: handler });
    const last = revealed(chain.body.entries.at(-1));
    expect(last.type).to.equal('order.user_notice');
    expect(last.data).to.deep.include({
      decision: 'not_notified',
      ground: 'REQUESTER_ASKED',
      reason: 'Germany asked for confidentiality in its Art. 42 request',
    });
    // The reason is the handling side's: the requester reads the decision, not the reasoning.
    const asRequester = await service.call('GET', `/v1/orders/${id}/chain`, { token: partner });
    const theirs = revealed(asRequester.body.entries.at(-1));
    expect(theirs.data).to.deep.include({ decision: 'not_notified' });
    expect(theirs.data).to.not.have.property('reason');
  });

  it('when a deferral names no ground or no end, ends in the past or after a year, then 422 names each field and nothing is recorded', async () => {
    const id = await art42(false);
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ until: new Date(Date.now() + 30 * DAY).toISOString() }, '/ground', 'required_for_deferred'],
      [{ ground: 'OBSTRUCT_INQUIRIES' }, '/until', 'required_for_deferred'],
      [
        { ground: 'OBSTRUCT_INQUIRIES', until: new Date(Date.now() - DAY).toISOString() },
        '/until',
        'not_in_the_future',
      ],
      [
        { ground: 'OBSTRUCT_INQUIRIES', until: new Date(Date.now() + 400 * DAY).toISOString() },
        '/until',
        'longer_than_a_year',
      ],
    ];
    for (const [fields, pointer, reason] of cases) {
      const refused = await decide(id, { decision: 'deferred', reason: 'Ongoing covert inquiry', ...fields });
      expect(refused.status, JSON.stringify(fields)).to.equal(422);
      expect(refused.body.code).to.equal('VALIDATION_FAILED');
      expect(refused.body.errors).to.deep.include({ pointer, reason });
    }
    const unknownGround = await decide(id, { decision: 'not_notified', ground: 'CONVENIENCE', reason: 'x' });
    expect(unknownGround.status).to.equal(422);
    expect(unknownGround.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/ground']);
    expect(await noticeRows(id)).to.equal(0);
  });

  it('when a deferral runs out, then the decision that stands shows it due for review until a new decision is made', async () => {
    const id = await art42(false);
    const deferred = await decide(id, {
      decision: 'deferred',
      ground: 'PREJUDICE_PROCEEDINGS',
      until: new Date(Date.now() + 30 * DAY).toISOString(),
      reason: 'Suspects not yet identified',
    });
    expect(deferred.status, deferred.text).to.equal(201);
    let current = await service.call('GET', `/v1/orders/${id}/user-notice`, { token: handler });
    expect(current.body.userNotice).to.include({ decision: 'deferred', reviewDue: false });

    await testDatabase().db.query(
      `UPDATE order_user_notices SET until = now() - interval '1 hour' WHERE order_id = $1`,
      [id],
    );
    current = await service.call('GET', `/v1/orders/${id}/user-notice`, { token: handler });
    expect(current.body.userNotice).to.include({ decision: 'deferred', reviewDue: true });

    const told = await decide(id, {
      decision: 'notified',
      reason: 'Letter of 2026-12-30 to the account holder',
    });
    expect(told.status, told.text).to.equal(201);
    current = await service.call('GET', `/v1/orders/${id}/user-notice`, { token: handler });
    expect(current.body.userNotice).to.include({ decision: 'notified', ground: null, reviewDue: false });
  });

  it('when the requester, or a handler of another agency asks, then the decision is 404 to them and they cannot record one', async () => {
    const id = await art42(false);
    const elsewhere = await service.token(uniqueSub('desk'), uniqueAgency('SSS'), 'prosecutor');
    for (const token of [partner, elsewhere]) {
      const read = await service.call('GET', `/v1/orders/${id}/user-notice`, { token });
      expect(read.status).to.equal(404);
      expect(read.body.code).to.equal('NOT_FOUND');
      const write = await decide(
        id,
        { decision: 'not_notified', ground: 'OBSTRUCT_INQUIRIES', reason: 'x' },
        token,
      );
      expect(write.status).to.equal(404);
    }
    expect(await noticeRows(id)).to.equal(0);
    const none = await service.call('GET', `/v1/orders/${id}/user-notice`, { token: handler });
    expect(none.status).to.equal(200);
    expect(none.body.userNotice).to.equal(null);
  });
});
