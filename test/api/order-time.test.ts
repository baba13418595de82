import { expect } from 'chai';
import { parseVerifierKey } from '../../src/ledger';
import { verifyReceipt } from '../../src/verify';
import { testDatabase } from '../support/database';
import { art42Body } from '../support/order-requests';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const HOUR = 3_600_000;
const VALIDATION_FAILED = 'urn:custody-ledger:problem:validation-failed';

describe('orders: time as the law counts it (legal-requirements rows 14, 59, 60)', () => {
  let service: TestService;
  let central: string;
  let handler: string;
  let partnerAgency: string;
  let partner: string;

  before(async () => {
    central = uniqueAgency('SSS');
    service = await startTestService({ CENTRAL_AUTHORITY: central, TIME_ZONE: 'Asia/Baku' });
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    handler = await service.token(uniqueSub('desk'), central, 'prosecutor');
    partnerAgency = uniqueAgency('DE');
    partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
  });

  /** The data of the entry a receipt stands for, as `token` reads it. */
  async function entryData(receipt: string, token: string) {
    const info = (await service.call('GET', '/v1/log/info')).body;
    const trust = {
      jwks: (await service.call('GET', '/.well-known/jwks.json')).body,
      logKey: parseVerifierKey(info.vkey),
    };
    const index = (await verifyReceipt(receipt, trust)).payload?.index as number;
    const read = await service.call('GET', `/v1/log/entries/${index}`, { token });
    expect(read.status, read.text).to.equal(200);
    return revealed(read.body).data;
  }

  async function ordersOf(agency: string): Promise<number> {
    const [row] = await testDatabase().db.query(
      'SELECT count(*)::int AS n FROM orders WHERE submitted_by_agency = $1',
      [agency],
    );
    return row.n;
  }

  async function submit(json: Record<string, unknown>, token: string) {
    return service.call('POST', '/v1/orders', { token, json });
  }

  it('when a German request names its zone, then the order keeps it, its entry records it, and the deadline is shown on the Baku and Berlin clocks', async () => {
    const response = await submit(art42Body({ timeZone: 'europe/berlin' }), partner);
    expect(response.status, response.text).to.equal(201);
    const order = response.body.order;
    expect(order.timeZone).to.equal('Europe/Berlin');
    expect(order.deadlines.rule).to.equal('act_by');
    expect(order.deadlines.local.map((local: { zone: string }) => local.zone)).to.deep.equal([
      'Asia/Baku',
      'Europe/Berlin',
    ]);
    for (const local of order.deadlines.local) {
      expect(Date.parse(local.at)).to.equal(Date.parse(order.deadlines.at));
      expect(local.at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d$/);
    }
    expect(order.deadlines.local[0].at).to.match(/\+04:00$/);
    expect(order.deadlines.local[1].at).to.match(/\+0[12]:00$/);
    expect((await entryData(response.body.receipt, handler)).timeZone).to.equal('Europe/Berlin');

    const read = await service.call('GET', `/v1/orders/${order.id}`, { token: handler });
    expect(read.body.order).to.deep.include({ timeZone: 'Europe/Berlin' });
  });

  it('when a request names no zone, then the deployment’s applies and the deadline is shown once', async () => {
    const response = await submit(art42Body(), partner);
    expect(response.status, response.text).to.equal(201);
    expect(response.body.order.timeZone).to.equal('Asia/Baku');
    expect(response.body.order.deadlines.local).to.have.length(1);
  });

  it('when the zone is not an IANA zone, then 422 VALIDATION_FAILED unknown_time_zone and no order is recorded', async () => {
    for (const timeZone of ['Europe/Atlantis', '+01:00', 'CET time']) {
      const response = await submit(art42Body({ timeZone }), partner);
      expect(response.status, timeZone).to.equal(422);
      expect(response.body).to.include({ code: 'VALIDATION_FAILED', type: VALIDATION_FAILED });
      expect(response.body.errors).to.deep.equal([{ pointer: '/timeZone', reason: 'unknown_time_zone' }]);
    }
    expect(await ordersOf(partnerAgency)).to.equal(0);
  });

  it('when the desk states the receipt time from its 24/7 log, then the clock starts then, and the entry and the order say where that time comes from', async () => {
    const receivedAt = new Date(Date.now() - 3 * HOUR);
    const response = await submit(
      art42Body({
        receivedAt: receivedAt.toISOString(),
        receivedAtSource: '24/7_desk_log',
        receivedAtReason: 'Received by telephone at night; entered at the start of the shift',
      }),
      handler,
    );
    expect(response.status, response.text).to.equal(201);
    const order = response.body.order;
    expect(order.receivedAt).to.equal(receivedAt.toISOString());
    expect(order).to.deep.include({
      receivedAtSource: '24/7_desk_log',
      receivedAtReason: 'Received by telephone at night; entered at the start of the shift',
    });
    // Urgent through the 24/7 point: act within 24 hours of the real receipt.
    expect(order.deadlines).to.deep.include({
      rule: 'act_by',
      at: new Date(receivedAt.getTime() + 24 * HOUR).toISOString(),
    });
    expect(await entryData(response.body.receipt, handler)).to.deep.include({
      receivedAt: receivedAt.toISOString(),
      receivedAtSource: '24/7_desk_log',
      receivedAtReason: 'Received by telephone at night; entered at the start of the shift',
    });
  });

  it('when a stated receipt time is in the future, too old, without its source or reason, or stated by the sender, then 422 VALIDATION_FAILED naming why, and no order is recorded', async () => {
    const handlerAgency = uniqueAgency('SSS');
    const desk = await service.token(uniqueSub('desk'), handlerAgency, 'prosecutor');
    const stated = (at: number) => ({
      receivedAt: new Date(at).toISOString(),
      receivedAtSource: 'email',
      receivedAtReason: 'The e-mail arrived before the system was reachable',
    });
    const cases: Array<[Record<string, unknown>, string, unknown[]]> = [
      [stated(Date.now() + 10 * 60_000), desk, [{ pointer: '/receivedAt', reason: 'in_the_future' }]],
      [
        stated(Date.now() - 31 * 24 * HOUR),
        desk,
        [{ pointer: '/receivedAt', reason: 'too_far_in_the_past' }],
      ],
      [
        { receivedAt: new Date().toISOString() },
        desk,
        [
          { pointer: '/receivedAtSource', reason: 'stated_together' },
          { pointer: '/receivedAtReason', reason: 'stated_together' },
        ],
      ],
      [
        stated(Date.now() - HOUR),
        partner,
        [{ pointer: '/receivedAt', reason: 'stated_by_the_receiving_side' }],
      ],
    ];
    for (const [fields, token, errors] of cases) {
      const response = await submit(art42Body(fields), token);
      expect(response.status, response.text).to.equal(422);
      expect(response.body).to.include({ code: 'VALIDATION_FAILED', type: VALIDATION_FAILED });
      expect(response.body.errors).to.deep.equal(errors);
    }
    const unknownSource = await submit(
      art42Body({ ...stated(Date.now() - HOUR), receivedAtSource: 'rumour' }),
      desk,
    );
    expect(unknownSource.status).to.equal(422);
    expect(unknownSource.body.errors[0]).to.include({
      pointer: '/receivedAtSource',
      reason: 'invalid_value',
    });
    expect(await ordersOf(handlerAgency)).to.equal(0);
    expect(await ordersOf(partnerAgency)).to.equal(0);
  });

  it('when the custodian’s statement gives the preservation time, then the 60 days run from it, the move’s entry records it, and the requester learns it with its reason', async () => {
    const submitted = await submit(art42Body({ timeZone: 'Europe/Berlin' }), partner);
    const id = submitted.body.order.id;
    for (const to of ['under_assessment', 'ordered']) {
      const moved = await service.call('POST', `/v1/orders/${id}/transitions`, {
        token: handler,
        json: { to },
      });
      expect(moved.status, moved.text).to.equal(200);
    }
    const preservedAt = new Date(Math.max(Date.parse(submitted.body.order.receivedAt), Date.now() - HOUR));
    const statement = 'AzerHost took the snapshot at this time (letter of the custodian)';
    const preserved = await service.call('POST', `/v1/orders/${id}/transitions`, {
      token: handler,
      json: {
        to: 'preserved',
        preservedAt: preservedAt.toISOString(),
        preservedAtSource: 'custodian_statement',
        preservedAtReason: statement,
      },
    });
    expect(preserved.status, preserved.text).to.equal(200);
    const order = preserved.body.order;
    expect(order.deadlines.preservedAt).to.equal(preservedAt.toISOString());
    expect(order).to.deep.include({ preservedAtSource: 'custodian_statement', preservedAtReason: statement });
    // 60 calendar days in Berlin, at the same local hour.
    const local = order.deadlines.local.find((one: { zone: string }) => one.zone === 'Europe/Berlin');
    const berlinTime = (at: Date) =>
      at.toLocaleTimeString('en-GB', { timeZone: 'Europe/Berlin', hour12: false });
    expect(order.deadlines.rule).to.equal('preserve_at_least_until');
    expect(berlinTime(new Date(local.at))).to.equal(berlinTime(preservedAt));
    const span = Date.parse(order.deadlines.at) - preservedAt.getTime();
    expect(Math.abs(span - 60 * 24 * HOUR)).to.be.at.most(HOUR);

    const asRequester = await service.call('GET', `/v1/orders/${id}/chain`, { token: partner });
    expect(asRequester.status, asRequester.text).to.equal(200);
    const requesterView = revealed(asRequester.body.entries.at(-1)).data;
    expect(requesterView).to.deep.include({
      preservedAt: preservedAt.toISOString(),
      preservedAtSource: 'custodian_statement',
      preservedAtReason: statement,
    });
  });

  it('when a preservation time is stated before the receipt, in the future, or on another move, then 422 VALIDATION_FAILED and the order does not move', async () => {
    const submitted = await submit(art42Body(), partner);
    const id = submitted.body.order.id;
    const receivedAt = Date.parse(submitted.body.order.receivedAt);
    const stated = (at: number, to = 'preserved') => ({
      to,
      preservedAt: new Date(at).toISOString(),
      preservedAtSource: 'custodian_statement',
      preservedAtReason: 'Custodian letter',
    });
    const move = (json: Record<string, unknown>) =>
      service.call('POST', `/v1/orders/${id}/transitions`, { token: handler, json });
    const onAssessment = await move(stated(receivedAt, 'under_assessment'));
    expect(onAssessment.status).to.equal(422);
    expect(onAssessment.body.errors).to.deep.equal([
      { pointer: '/preservedAt', reason: 'only_for_preserved' },
    ]);
    for (const to of ['under_assessment', 'ordered']) expect((await move({ to })).status).to.equal(200);
    const early = await move(stated(receivedAt - 60_000));
    expect(early.body).to.include({ code: 'VALIDATION_FAILED', type: VALIDATION_FAILED });
    expect(early.body.errors).to.deep.equal([{ pointer: '/preservedAt', reason: 'before_receipt' }]);
    const future = await move(stated(Date.now() + 10 * 60_000));
    expect(future.body.errors).to.deep.equal([{ pointer: '/preservedAt', reason: 'in_the_future' }]);
    const read = await service.call('GET', `/v1/orders/${id}`, { token: handler });
    expect(read.body.order).to.deep.include({ status: 'ordered' });
    expect(read.body.order.deadlines.preservedAt).to.equal(null);
  });
});
