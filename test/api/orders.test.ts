import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { parseVerifierKey } from '../../src/ledger';
import { verifyReceipt } from '../../src/verify';
import { testDatabase } from '../support/database';
import { openCase, productionOrderBody } from '../support/fixtures';
import {
  art42Body,
  epocBody,
  mlaBody,
  movedThrough as movedThroughAll,
  moveOrder,
  submitOrder,
} from '../support/order-requests';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const DAY = 86_400_000;

/** The partner's Art. 42 request, confidential and not to be told to the user (safeguards these tests read back). */
function art42Request(overrides: Record<string, unknown> = {}) {
  return art42Body({ confidential: true, noUserNotification: true, ...overrides });
}

/**
 * The end of an EU period of `days` days from `receivedAt` in Baku (UTC+4 all
 * year), as Reg. 1182/71 Art. 3 counts it without public holidays: midnight
 * after the `days`-th day following receipt, or after the Monday when that
 * day is a Saturday or Sunday.
 */
function bakuEuPeriodEnd(receivedAt: number, days: number): string {
  const offset = 4 * 3_600_000;
  let last = (Math.floor((receivedAt + offset) / DAY) + days) * DAY;
  while ([0, 6].includes(new Date(last).getUTCDay())) last += DAY;
  return new Date(last + DAY - offset).toISOString();
}

describe('legal orders', () => {
  /** A log entry as `token` reads it, with the disclosures it receives applied. */
  async function revealedEntry(index: number, token: string) {
    const read = await service.call('GET', `/v1/log/entries/${index}`, { token });
    expect(read.status, read.text).to.equal(200);
    return revealed(read.body);
  }

  let service: TestService;
  let central: string;
  let handler: string;
  let partnerAgency: string;
  let partner: string;

  before(async () => {
    central = uniqueAgency('SSS');
    // A provider's deployment, so that the EPOCs of these tests apply to it (Reg. 2023/1543 Art. 7).
    service = await startTestService({ CENTRAL_AUTHORITY: central, EU_ROLES: 'service_provider' });
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    handler = await service.token(uniqueSub('desk'), central, 'prosecutor');
    partnerAgency = uniqueAgency('DE');
    partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
  });

  async function trust() {
    const info = (await service.call('GET', '/v1/log/info')).body;
    return {
      jwks: (await service.call('GET', '/.well-known/jwks.json')).body,
      logKey: parseVerifierKey(info.vkey),
    };
  }

  const move = (id: string, token: string, to: string, extra: Record<string, unknown> = {}) =>
    moveOrder(service, id, token, to, extra);
  const newOrder = (json: Record<string, unknown>, token = partner) => submitOrder(service, token, json);
  const movedThrough = (id: string, moves: readonly string[]) => movedThroughAll(service, id, handler, moves);

  it('when the listing names a status no order kind has, then the answer is 400 INVALID_PARAMETER listing the statuses', async () => {
    const response = await service.call('GET', '/v1/orders?status=bogus', { token: handler });
    expect(response.status).to.equal(400);
    expect(response.body.code).to.equal('INVALID_PARAMETER');
    const [field] = response.body.errors;
    expect(field.pointer).to.equal('/status');
    expect(field.allowed).to.include.members([
      'received',
      'preserved',
      'served',
      'enforcing_notified',
      'closed',
    ]);
    expect(field.allowed).to.not.include('bogus');
  });

  it('when the submitting partner reads its request, then it sees the status view, never the handling or the facts', async () => {
    const submitted = await service.call('POST', '/v1/orders', { token: partner, json: art42Request() });
    const id = submitted.body.order.id;
    expect((await move(id, handler, 'under_assessment')).status).to.equal(200);
    const view = await service.call('GET', `/v1/orders/${id}`, { token: partner });
    expect(view.status).to.equal(200);
    expect(view.body.order).to.include({ status: 'under_assessment', statusOnly: true });
    for (const hidden of ['caseId', 'details', 'safeguards', 'ownerAgency', 'createdBy']) {
      expect(view.body.order, hidden).to.not.have.property(hidden);
    }
    const listed = await service.call('GET', '/v1/orders', { token: partner });
    expect(listed.body.items.map((order: { id: string }) => order.id)).to.include(id);
    expect(listed.body.items.every((order: { statusOnly: boolean }) => order.statusOnly)).to.equal(true);
    const { index } = JSON.parse(Buffer.from(submitted.body.receipt.split('.')[1], 'base64url').toString());
    const entry = await service.call('GET', `/v1/log/entries/${index}`, { token: partner });
    expect(entry.status, 'the order’s entries stay with its handlers').to.equal(404);
    expect((await service.call('GET', `/v1/log/entries/${index}`, { token: handler })).status).to.equal(200);
  });

  it('when read-only roles of either side try to move an order, then they are refused and nothing moves', async () => {
    const submitted = await service.call('POST', '/v1/orders', { token: partner, json: art42Request() });
    const id = submitted.body.order.id;
    for (const role of ['court', 'auditor', 'custodian'] as const) {
      for (const agency of [central, partnerAgency]) {
        const token = await service.token(uniqueSub(role), agency, role);
        const response = await move(id, token, 'withdrawn');
        expect([403, 404], `${role} of ${agency}`).to.include(response.status);
      }
    }
    const auditor = await service.token(uniqueSub('audit'), central, 'auditor');
    const overseen = await service.call('GET', `/v1/orders/${id}`, { token: auditor });
    expect(overseen.body.order).to.include({ status: 'received', statusOnly: false });
    const withdrawn = await move(id, partner, 'withdrawn');
    expect(withdrawn.status).to.equal(200);
    expect(withdrawn.body.order).to.include({ status: 'withdrawn', statusOnly: true });
  });

  it('when the partner reads its request’s history, then it gets what it submitted and the reasons it is owed, never who handled it, while the handling side gets everything', async () => {
    const submitted = await service.call('POST', '/v1/orders', { token: partner, json: art42Request() });
    expect(submitted.status, submitted.text).to.equal(201);
    const id = submitted.body.order.id;
    expect((await move(id, handler, 'under_assessment')).status).to.equal(200);
    const reason = 'Execution would prejudice the essential interests of the State';
    const refused = await move(id, handler, 'refused', { reasonCode: 'ESSENTIAL_INTERESTS', reason });
    expect(refused.status, refused.text).to.equal(200);

    const asRequester = await service.call('GET', `/v1/orders/${id}/chain`, { token: partner });
    expect(asRequester.status, asRequester.text).to.equal(200);
    const seen = asRequester.body.entries.map(revealed);
    expect(seen.map((e: { type: string }) => e.type)).to.deep.equal([
      'order.received',
      'order.transitioned',
      'order.transitioned',
    ]);
    expect(seen[0].data).to.include({ requestingAuthority: 'Bundeskriminalamt, SO 43' });
    expect(seen[2].data).to.include({ to: 'refused', reasonCode: 'ESSENTIAL_INTERESTS', reason });
    for (const entry of seen) expect(entry.actor).not.to.have.property('sub');

    const asHandler = (
      await service.call('GET', `/v1/orders/${id}/chain`, { token: handler })
    ).body.entries.map(revealed);
    expect(asHandler.every((entry: { withheld: number }) => entry.withheld === 0)).to.equal(true);
    expect(asHandler[2].actor.sub).to.be.a('string');

    const outsider = await service.token(uniqueSub('fr'), uniqueAgency('FR'), 'partner');
    const hidden = await service.call('GET', `/v1/orders/${id}/chain`, { token: outsider });
    const absent = await service.call('GET', `/v1/orders/${randomUUID()}/chain`, { token: outsider });
    expect(hidden.status).to.equal(404);
    expect({ ...hidden.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });
  });

  it('when a partner sends a complete Art. 42 request, then it is received by the central authority and the receipt acknowledges it', async () => {
    const response = await service.call('POST', '/v1/orders', { token: partner, json: art42Request() });
    expect(response.status).to.equal(201);
    expect(response.body.order).to.deep.include({
      kind: 'preservation',
      status: 'received',
      submittedByAgency: partnerAgency,
      statusOnly: true,
    });
    const handled = await service.call('GET', `/v1/orders/${response.body.order.id}`, { token: handler });
    expect(handled.body.order).to.deep.include({ ownerAgency: central, statusOnly: false });
    const receipt = await verifyReceipt(response.body.receipt, await trust());
    expect(receipt.valid).to.equal(true);
    expect(receipt.payload?.entry).to.deep.include({ type: 'order.received', seq: 1 });
    expect((await revealedEntry(receipt.payload?.index as number, handler)).data.safeguards).to.deep.equal({
      confidential: true,
      noUserNotification: true,
    });
  });

  it('when an Art. 42 request lacks elements, then it waits in info_requested naming them', async () => {
    const response = await service.call('POST', '/v1/orders', {
      token: partner,
      json: art42Request({ necessity: undefined, intendsMla: false }),
    });
    expect(response.status).to.equal(201);
    expect(response.body.order.status).to.equal('info_requested');
    const receipt = await verifyReceipt(response.body.receipt, await trust());
    expect(receipt.payload?.entry.data.missing).to.deep.equal(['necessity', 'intendsMla']);
  });

  it('when another partner agency asks for the request, then it does not exist for it', async () => {
    const id = (await service.call('POST', '/v1/orders', { token: partner, json: art42Request() })).body.order
      .id;
    const other = await service.token(uniqueSub('fr'), uniqueAgency('FR'), 'partner');
    const response = await service.call('GET', `/v1/orders/${id}`, { token: other });
    expect(response.status).to.equal(404);
    expect(response.body.code).to.equal('NOT_FOUND');
    expect((await service.call('GET', '/v1/orders', { token: other })).body.items).to.deep.equal([]);
    expect((await service.call('GET', `/v1/orders/${id}`, { token: partner })).status).to.equal(200);
  });

  it('when a request goes through preservation, extension, MLA and production, then deadlines follow and every receipt verifies', async () => {
    const submitted = await service.call('POST', '/v1/orders', { token: partner, json: art42Request() });
    const id = submitted.body.order.id;
    const receipts = [submitted.body.receipt];
    const step = async (token: string, to: string) => {
      const response = await move(id, token, to);
      expect(response.status, `${to}: ${response.text}`).to.equal(200);
      receipts.push(response.body.receipt);
      return response.body.order;
    };
    await step(handler, 'under_assessment');
    await step(handler, 'ordered');
    const preserved = await step(handler, 'preserved');
    const preservedAt = Date.parse(preserved.deadlines.preservedAt);
    expect(preserved.deadlines.rule).to.equal('preserve_at_least_until');
    expect(Date.parse(preserved.deadlines.at) - preservedAt).to.equal(60 * DAY);

    const due = await service.call(
      'GET',
      `/v1/orders?dueBefore=${new Date(Date.now() + 61 * DAY).toISOString()}`,
      {
        token: handler,
      },
    );
    expect(due.body.items.map((order: { id: string }) => order.id)).to.include(id);
    const preservedOnly = await service.call('GET', '/v1/orders?status=preserved', { token: handler });
    expect(preservedOnly.status).to.equal(200);
    expect(preservedOnly.body.items.map((order: { id: string }) => order.id)).to.include(id);
    expect(
      preservedOnly.body.items.every((order: { status: string }) => order.status === 'preserved'),
    ).to.equal(true);

    await step(partner, 'extension_requested');
    const extended = await step(handler, 'extended');
    expect(Date.parse(extended.deadlines.at) - preservedAt).to.equal(120 * DAY);
    const mla = await newOrder(mlaBody());
    const held = await move(id, handler, 'pending_mla_decision', { mlaOrderId: mla });
    expect(held.status, held.text).to.equal(200);
    receipts.push(held.body.receipt);
    const pending = held.body.order;
    expect(pending.linkedMlaId).to.equal(mla);
    expect(pending.deadlines).to.deep.include({
      rule: 'preserve_until_decided',
      at: null,
      untilDecided: true,
    });
    await movedThrough(mla, ['under_assessment', 'accepted', 'executing', 'executed']);
    await step(handler, 'produced');
    const closed = await step(handler, 'closed');
    expect(closed.deadlines.at).to.equal(null);

    const trusted = await trust();
    const entries = [];
    for (const receipt of receipts) {
      const result = await verifyReceipt(receipt, trusted);
      expect(result.valid).to.equal(true);
      entries.push(result.payload?.entry);
    }
    expect(entries.map((entry) => entry?.seq)).to.deep.equal(entries.map((_, i) => i + 1));
    expect(entries.slice(1).map((entry) => entry?.data.to)).to.deep.equal([
      'under_assessment',
      'ordered',
      'preserved',
      'extension_requested',
      'extended',
      'pending_mla_decision',
      'produced',
      'closed',
    ]);
  });

  it('when a transition is not in the table, then 409 ORDER_TRANSITION_INVALID and nothing changes', async () => {
    const id = (await service.call('POST', '/v1/orders', { token: partner, json: art42Request() })).body.order
      .id;
    const response = await move(id, handler, 'produced');
    expect(response.status).to.equal(409);
    expect(response.body.code).to.equal('ORDER_TRANSITION_INVALID');
    expect(response.body).to.include({ from: 'received', to: 'produced' });
    expect((await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order.status).to.equal(
      'received',
    );
  });

  it('when a refusal has no reason, then 422; with one it is recorded', async () => {
    const id = (await service.call('POST', '/v1/orders', { token: partner, json: art42Request() })).body.order
      .id;
    await move(id, handler, 'under_assessment');
    const bare = await move(id, handler, 'refused');
    expect(bare.status).to.equal(422);
    expect(bare.body.code).to.equal('VALIDATION_FAILED');
    const reasoned = await move(id, handler, 'refused', {
      reasonCode: 'ESSENTIAL_INTERESTS',
      reason: 'Execution would prejudice essential interests',
    });
    expect(reasoned.status).to.equal(200);
    const receipt = await verifyReceipt(reasoned.body.receipt, await trust());
    expect(receipt.payload?.entry.data).to.deep.include({ reasonCode: 'ESSENTIAL_INTERESTS', to: 'refused' });
  });

  it('when a partner tries a move that belongs to the requested side, then 403; it may withdraw its own request', async () => {
    const id = (await service.call('POST', '/v1/orders', { token: partner, json: art42Request() })).body.order
      .id;
    const response = await move(id, partner, 'under_assessment');
    expect(response.status).to.equal(403);
    expect(response.body.code).to.equal('FORBIDDEN_ROLE');
    expect((await move(id, partner, 'withdrawn')).status).to.equal(200);
  });

  describe('allowedMoves', () => {
    interface AllowedMove {
      to: string;
      reasonRequired: boolean;
      groundsRequired?: Array<{ code: string; article: string }>;
      consultationRequired?: true;
    }
    const allowedMoves = async (id: string, token: string): Promise<AllowedMove[]> => {
      const read = await service.call('GET', `/v1/orders/${id}`, { token });
      expect(read.status, read.text).to.equal(200);
      return read.body.order.allowedMoves;
    };
    const mlaUnderAssessment = async () => {
      const id = await newOrder(mlaBody());
      await movedThrough(id, ['under_assessment']);
      return id;
    };
    /** The request `allowed` describes, with what it says it must state. */
    const moveAsAllowed = async (id: string, token: string, allowed: AllowedMove) => {
      if (allowed.consultationRequired) {
        const consulted = await service.call('POST', `/v1/orders/${id}/consultations`, {
          token,
          json: { proposes: ['conditions'], message: 'Could conditions meet the concern?' },
        });
        expect(consulted.status, consulted.text).to.equal(201);
      }
      return move(id, token, allowed.to, {
        ...(allowed.reasonRequired ? { reason: 'Stated for the requester' } : {}),
        ...(allowed.groundsRequired ? { reasonCode: allowed.groundsRequired[0]?.code } : {}),
      });
    };

    it('when the desk and the requester read an MLA request under assessment, then each is offered its own moves, and each move offered succeeds as described', async () => {
      const id = await mlaUnderAssessment();
      const desk = await allowedMoves(id, handler);
      expect(desk.map((m) => m.to)).to.have.members([
        'accepted',
        'refused',
        'postponed',
        'info_requested',
        'withdrawn',
      ]);
      const refusal = desk.find((m) => m.to === 'refused');
      expect(refusal).to.deep.include({ reasonRequired: true, consultationRequired: true });
      expect(refusal?.groundsRequired).to.be.an('array').that.is.not.empty;
      expect(desk.find((m) => m.to === 'accepted')).to.deep.equal({ to: 'accepted', reasonRequired: false });
      expect(await allowedMoves(id, partner)).to.deep.equal([{ to: 'withdrawn', reasonRequired: false }]);

      for (const allowed of desk) {
        const fresh = await mlaUnderAssessment();
        const moved = await moveAsAllowed(fresh, handler, allowed);
        expect(moved.status, `${allowed.to}: ${moved.text}`).to.equal(200);
      }
      const withdrawn = await moveAsAllowed(id, partner, { to: 'withdrawn', reasonRequired: false });
      expect(withdrawn.status, withdrawn.text).to.equal(200);
    });

    it('when a move is not offered, then the transition route refuses it; once the consultation is held, the desk is no longer told to hold one', async () => {
      const id = await mlaUnderAssessment();
      // Only a confidential request can be one whose confidentiality cannot be kept.
      const notice = await move(id, handler, 'confidentiality_notified', {
        reason: 'A court may order it disclosed',
      });
      expect([notice.status, notice.body.code]).to.deep.equal([409, 'ORDER_TRANSITION_INVALID']);
      const byPartner = await move(id, partner, 'accepted');
      expect([byPartner.status, byPartner.body.code]).to.deep.equal([403, 'FORBIDDEN_ROLE']);
      const early = await move(id, handler, 'refused', {
        reasonCode: 'ESSENTIAL_INTERESTS',
        reason: 'Essential interests',
      });
      expect([early.status, early.body.code]).to.deep.equal([409, 'CONSULTATION_REQUIRED']);

      const consulted = await service.call('POST', `/v1/orders/${id}/consultations`, {
        token: handler,
        json: { proposes: ['postponement'], message: 'Would a postponement do?' },
      });
      expect(consulted.status, consulted.text).to.equal(201);
      const after = await allowedMoves(id, handler);
      expect(after.filter((m) => m.consultationRequired)).to.deep.equal([]);
      expect(after.map((m) => m.to)).to.include('postponed');

      const confidential = await newOrder(mlaBody({ confidential: true }));
      await movedThrough(confidential, ['under_assessment']);
      expect(await allowedMoves(confidential, handler)).to.deep.include({
        to: 'confidentiality_notified',
        reasonRequired: true,
      });
      const stranger = await service.token(uniqueSub('fr'), uniqueAgency('FR'), 'partner');
      const hidden = await service.call('GET', `/v1/orders/${id}`, { token: stranger });
      expect([hidden.status, hidden.body.code]).to.deep.equal([404, 'NOT_FOUND']);
    });
  });

  it('when a partner submits an outgoing order, or a court submits anything, then it is refused', async () => {
    const outgoing = await service.call('POST', '/v1/orders', {
      token: partner,
      json: art42Request({ direction: 'outgoing' }),
    });
    expect(outgoing.status).to.equal(422);
    const court = await service.token(uniqueSub('judge'), central, 'court');
    expect(
      (await service.call('POST', '/v1/orders', { token: court, json: art42Request() })).status,
    ).to.equal(403);
  });

  it('when our own preservation request to another state lacks an Art. 42 element, then it is refused naming each, and a complete one is recorded', async () => {
    const outgoing = (overrides: Record<string, unknown>) =>
      service.call('POST', '/v1/orders', {
        token: handler,
        json: art42Request({
          direction: 'outgoing',
          requestingState: 'AZ',
          requestedState: 'NL',
          requestingAuthority: 'State Security Service of Azerbaijan',
          ...overrides,
        }),
      });
    const incomplete = await outgoing({ necessity: undefined, custodian: undefined, intendsMla: false });
    expect(incomplete.status, incomplete.text).to.equal(422);
    expect(incomplete.body.code).to.equal('VALIDATION_FAILED');
    expect(incomplete.body.errors.map((e: { pointer: string }) => e.pointer)).to.have.members([
      '/custodian',
      '/necessity',
      '/intendsMla',
    ]);
    const complete = await outgoing({});
    expect(complete.status, complete.text).to.equal(201);
    expect(complete.body.order).to.include({ direction: 'outgoing', status: 'received' });
  });

  it('when an MLA request is postponed, then the move needs its reason, and the requesting agency reads it', async () => {
    const submitted = await service.call('POST', '/v1/orders', { token: partner, json: mlaBody() });
    expect(submitted.status, submitted.text).to.equal(201);
    const id = submitted.body.order.id;
    expect((await move(id, handler, 'under_assessment')).status).to.equal(200);
    const unreasoned = await move(id, handler, 'postponed');
    expect(unreasoned.status).to.equal(422);
    expect(unreasoned.body.code).to.equal('VALIDATION_FAILED');
    expect(unreasoned.body.errors[0]).to.include({ pointer: '/reasonCode', reason: 'a_refusal_is_reasoned' });
    const reason = 'Execution would prejudice the trial under way in Baku';
    // UN Art. 40(26): the requesting state is consulted before the postponement.
    const consulted = await service.call('POST', `/v1/orders/${id}/consultations`, {
      token: handler,
      json: { proposes: ['postponement'], message: reason },
    });
    expect(consulted.status, consulted.text).to.equal(201);
    expect(
      (await move(id, handler, 'postponed', { reasonCode: 'ONGOING_PROCEEDINGS', reason })).status,
    ).to.equal(200);
    const history = (
      await service.call('GET', `/v1/orders/${id}/chain`, { token: partner })
    ).body.entries.map(revealed);
    expect(history.at(-1)?.data).to.include({ to: 'postponed', reason });
  });

  it('when requests and orders are registered, then each gets its own registry number, quoted to the requester and recorded in its entry', async () => {
    const first = await service.call('POST', '/v1/orders', { token: partner, json: art42Request() });
    const second = await service.call('POST', '/v1/orders', { token: partner, json: mlaBody() });
    const year = new Date().getUTCFullYear();
    const incoming = new RegExp(`^${central}/${year}/IN/\\d{6}$`);
    expect(first.body.order.registryNumber).to.match(incoming);
    expect(second.body.order.registryNumber).to.match(incoming);
    const sequence = (number: string) => Number(number.split('/').at(-1));
    expect(sequence(second.body.order.registryNumber)).to.be.greaterThan(
      sequence(first.body.order.registryNumber),
    );
    const statusView = await service.call('GET', `/v1/orders/${first.body.order.id}`, { token: partner });
    expect(statusView.body.order).to.include({
      statusOnly: true,
      registryNumber: first.body.order.registryNumber,
    });
    const entry = (await verifyReceipt(first.body.receipt, await trust())).payload?.entry;
    expect(entry?.data.registryNumber).to.equal(first.body.order.registryNumber);

    const caseId = await openCase(service, handler);
    const domestic = await service.call('POST', '/v1/orders', {
      token: handler,
      json: productionOrderBody(caseId),
    });
    expect(domestic.status, domestic.text).to.equal(201);
    expect(domestic.body.order.registryNumber).to.match(new RegExp(`^${central}/${year}/DOM/\\d{6}$`));
  });

  it('when an EPOC arrives as an emergency, then production is due in 8 hours', async () => {
    const response = await service.call('POST', '/v1/orders', {
      token: handler,
      json: epocBody('epoc', {
        legalBasis: { instrument: 'EU_2023_1543', article: '10(4)' },
        urgency: 'emergency',
        urgencyJustification: 'Imminent threat to life',
      }),
    });
    expect(response.status).to.equal(201);
    const order = response.body.order;
    expect(Date.parse(order.deadlines.at) - Date.parse(order.receivedAt)).to.equal(8 * 3_600_000);
  });

  it('when evidence is linked to an order and the order reaches a hand-over state, then the order records the link and the item records no hand-over: the disclosure that carries the data does', async () => {
    const investigator = await service.token(uniqueSub('inv'), central, 'investigator');
    const caseId = (
      await service.call('POST', '/v1/cases', {
        token: investigator,
        json: { reference: uniqueSub('R'), title: 'T' },
      })
    ).body.case.id;
    const form = new FormData();
    form.append(
      'metadata',
      JSON.stringify({
        exhibitNumber: 'EX-1',
        description: 'Server logs',
        source: 'AzerHost',
        acquiredAt: '2026-11-27T10:00:00Z',
        acquiredBy: 'desk',
      }),
    );
    form.append('file', new Blob(['log line 1\nlog line 2\n']), 'logs.txt');
    const uploaded = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${investigator}` },
      body: form,
    });
    const evidenceId = ((await uploaded.json()) as { evidence: { id: string } }).evidence.id;

    const id = (await service.call('POST', '/v1/orders', { token: partner, json: art42Request() })).body.order
      .id;
    for (const to of ['under_assessment', 'ordered', 'preserved'])
      expect((await move(id, handler, to)).status).to.equal(200);
    const linked = await service.call('POST', `/v1/orders/${id}/evidence`, {
      token: investigator,
      json: { evidenceId },
    });
    expect(linked.status, linked.text).to.equal(201);
    const linkPayload = (await verifyReceipt(linked.body.receipt, await trust())).payload;
    expect(linkPayload?.entry).to.deep.include({ type: 'order.evidence_linked' });
    expect((await revealedEntry(linkPayload?.index as number, handler)).data).to.deep.include({
      evidence: evidenceId,
      exhibitNumber: 'EX-1',
    });

    const mla = await newOrder(mlaBody());
    expect((await move(id, handler, 'pending_mla_decision', { mlaOrderId: mla })).status).to.equal(200);
    await movedThrough(mla, ['under_assessment', 'accepted', 'executing', 'executed']);
    expect((await move(id, handler, 'produced')).status).to.equal(200);
    const chain = (await service.call('GET', `/v1/evidence/${evidenceId}/chain`, { token: investigator }))
      .body.entries;
    expect(chain.map((e: { entry: { type: string } }) => e.entry.type)).to.deep.equal(['evidence.acquired']);
  });

  it('when traffic data are disclosed, then exactly which fields is recorded, and never content or subscriber data', async () => {
    const id = (
      await service.call('POST', '/v1/orders', {
        token: partner,
        json: art42Request({ kind: 'traffic_disclosure', legalBasis: { instrument: 'UNCC', article: '43' } }),
      })
    ).body.order.id;
    expect((await move(id, handler, 'under_assessment')).status).to.equal(200);
    expect((await move(id, handler, 'disclosed')).status).to.equal(422);
    const disclosure = {
      fields: ['source_address', 'timestamps', 'time_zone', 'next_hop_provider'],
      nextHopProvider: 'Hetzner Online GmbH',
      nextHopCountry: 'DE',
      contentDisclosed: false,
      subscriberDisclosed: false,
    };
    expect(
      (await move(id, handler, 'disclosed', { disclosure: { ...disclosure, contentDisclosed: true } }))
        .status,
    ).to.equal(422);
    const done = await move(id, handler, 'disclosed', { disclosure });
    expect(done.status).to.equal(200);
    const index = (await verifyReceipt(done.body.receipt, await trust())).payload?.index as number;
    expect((await revealedEntry(index, handler)).data.disclosure).to.deep.equal(disclosure);
  });

  it('when a domestic preservation order is moved to wait for an MLA request, then 409 ORDER_TRANSITION_INVALID: it cannot be held beyond its term', async () => {
    const id = await newOrder(
      art42Request({
        direction: 'domestic',
        legalBasis: { instrument: 'DOMESTIC', article: '25' },
        requestingState: undefined,
        channel: 'direct',
      }),
      handler,
    );
    await movedThrough(id, ['under_assessment', 'ordered', 'preserved']);
    const response = await move(id, handler, 'pending_mla_decision');
    expect(response.status).to.equal(409);
    expect(response.body).to.include({
      code: 'ORDER_TRANSITION_INVALID',
      type: 'urn:custody-ledger:problem:order-transition-invalid',
      from: 'preserved',
      to: 'pending_mla_decision',
    });
    expect((await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order.status).to.equal(
      'preserved',
    );
  });

  it('when preserved data are to wait for an MLA request, then the move names that request: without it 422, with it the order links it and its entry records it', async () => {
    const id = await newOrder(art42Request());
    await movedThrough(id, ['under_assessment', 'ordered', 'preserved']);
    const bare = await move(id, handler, 'pending_mla_decision');
    expect(bare.status).to.equal(422);
    expect(bare.body.code).to.equal('VALIDATION_FAILED');
    expect(bare.body.errors).to.deep.equal([
      { pointer: '/mlaOrderId', reason: 'required_for_pending_mla_decision' },
    ]);
    const mla = await newOrder(mlaBody());
    const held = await move(id, handler, 'pending_mla_decision', { mlaOrderId: mla });
    expect(held.status, held.text).to.equal(200);
    const view = (await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order;
    expect(view).to.deep.include({ status: 'pending_mla_decision', linkedMlaId: mla });
    const index = (await verifyReceipt(held.body.receipt, await trust())).payload?.index as number;
    expect((await revealedEntry(index, handler)).data).to.deep.include({ to: 'pending_mla_decision', mla });
  });

  it('when an EPOC names its enforcing authority, then that agency reads its status and alone besides the provider records its refusal; naming one on another kind is 422', async () => {
    const enforcingAgency = uniqueAgency('NL');
    const enforcer = await service.token(uniqueSub('om'), enforcingAgency, 'partner');
    const id = await newOrder(epocBody('epoc', { enforcingAgency }));
    expect((await service.call('GET', `/v1/orders/${id}`, { token: enforcer })).body.order).to.include({
      status: 'received',
      statusOnly: true,
    });
    await movedThrough(id, ['enforcing_notified']);
    const refusal = { reasonCode: 'NE_BIS_IN_IDEM', reason: 'Judged in Rotterdam, 2025' };
    // The issuing authority cannot refuse its own certificate; another agency does not see it.
    expect((await move(id, partner, 'refused_by_enforcing', refusal)).status).to.equal(403);
    const stranger = await service.token(uniqueSub('x'), uniqueAgency('BE'), 'partner');
    expect((await move(id, stranger, 'refused_by_enforcing', refusal)).status).to.equal(404);
    // Only its own decisions: the enforcing authority does not produce or withdraw.
    expect((await move(id, enforcer, 'produced')).status).to.equal(403);
    const refused = await move(id, enforcer, 'refused_by_enforcing', refusal);
    expect(refused.status, refused.text).to.equal(200);
    expect(refused.body.order).to.include({ status: 'refused_by_enforcing', statusOnly: true });

    const misplaced = await service.call('POST', '/v1/orders', {
      token: partner,
      json: epocBody('epoc_pr', { enforcingAgency }),
    });
    expect(misplaced.status).to.equal(422);
    expect(misplaced.body.errors).to.deep.include({ pointer: '/enforcingAgency', reason: 'custom' });
  });

  it('when an EPOC notified to the enforcing authority is produced at once, then 409 ORDER_DEADLINE_NOT_REACHED naming the end of its window; once it confirms, production goes ahead', async () => {
    const id = await newOrder(epocBody('epoc'));
    await movedThrough(id, ['enforcing_notified']);
    const early = await move(id, handler, 'produced');
    expect(early.status).to.equal(409);
    expect(early.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const receivedAt = Date.parse(
      (await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order.receivedAt,
    );
    expect(early.body).to.deep.include({
      code: 'ORDER_DEADLINE_NOT_REACHED',
      type: 'urn:custody-ledger:problem:order-deadline-not-reached',
      from: 'enforcing_notified',
      to: 'produced',
      deadline: { rule: 'enforcing_window_ends', at: bakuEuPeriodEnd(receivedAt, 10) },
    });
    await movedThrough(id, ['enforcing_confirmed', 'produced']);
  });

  it('when an EPOC-PR’s 60 days from receipt (and any weekend they end on) have passed and no sweep has run, then its extension is 409 ORDER_DEADLINE_PASSED and nothing moves', async () => {
    const id = await newOrder(epocBody('epoc_pr'));
    await movedThrough(id, ['preserved']);
    await testDatabase().db.query(
      `UPDATE orders SET received_at = received_at - interval '65 days', deadline_at = deadline_at - interval '65 days'
        WHERE id = $1`,
      [id],
    );
    const late = await move(id, handler, 'extended');
    expect(late.status).to.equal(409);
    expect(late.body).to.include({
      code: 'ORDER_DEADLINE_PASSED',
      type: 'urn:custody-ledger:problem:order-deadline-passed',
      from: 'preserved',
      to: 'extended',
    });
    expect(late.body.deadline.rule).to.equal('preservation_order_ends');
    const order = (await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order;
    expect(order).to.deep.include({ status: 'preserved' });
    expect(order.deadlines.extensions).to.equal(0);
  });
});
