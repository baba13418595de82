import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { executedRequestFor, openCase, productionOrderBody, uploadItem } from '../support/fixtures';
import { domesticPreservationBody, mlaBody, outgoingMlaBody, submitOrder } from '../support/order-requests';
import { revealed, revealedChain } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const VALIDATION_FAILED = 'urn:custody-ledger:problem:validation-failed';

describe('orders: conditions that travel with the data (legal-requirements rows 23, 38, 39, 43)', function () {
  this.timeout(60_000);
  let service: TestService;
  /** The central authority: it receives the partners' requests and discloses under them. */
  const central = uniqueAgency('SSS');

  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: central });
  });
  after(async () => {
    await service.stop();
  });

  async function chainOf(type: 'orders' | 'evidence', id: string, token: string) {
    const read = await service.call('GET', `/v1/${type}/${id}/chain`, { token });
    expect(read.status, read.text).to.equal(200);
    return read.body.entries.map(revealed);
  }

  describe('prior authorisation of an onward transfer (UN Art. 36(1)-(3))', () => {
    /** A case with an item that came in under our own request to the Netherlands, which forbade passing it on. */
    async function receivedUnderCondition() {
      const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
      const caseId = await openCase(service, prosecutor);
      const evidenceId = await uploadItem(service, prosecutor, caseId);
      const orderId = await submitOrder(
        service,
        prosecutor,
        outgoingMlaBody(caseId, {
          onwardTransferAllowed: false,
          dataProtectionConditions: 'Erase two years after the proceedings end',
        }),
      );
      const linked = await service.call('POST', `/v1/orders/${orderId}/evidence`, {
        token: prosecutor,
        json: { evidenceId },
      });
      expect(linked.status, linked.text).to.equal(201);
      return { prosecutor, caseId, evidenceId, orderId };
    }

    const authorise = (orderId: string, token: string, json: Record<string, unknown>) =>
      service.call('POST', `/v1/orders/${orderId}/onward-authorisations`, { token, json });

    it('when the supplier authorised the transfer to that agency in that state, then the disclosure goes through and the supplier’s conditions and authorisation go with the data; to anyone else it stays 409 CONDITION_FORBIDS', async () => {
      const { prosecutor, caseId, evidenceId, orderId } = await receivedUnderCondition();
      const third = uniqueAgency('US');
      // The third agency's own executed request (requesting state DE, as the fixture has it).
      const request = await executedRequestFor(service, prosecutor, third, [evidenceId]);
      const disclose = () =>
        service.call('POST', `/v1/cases/${caseId}/disclosures`, {
          token: prosecutor,
          json: { recipientAgency: third, evidenceIds: [evidenceId], orderId: request },
        });
      expect((await disclose()).body.code).to.equal('CONDITION_FORBIDS');

      // Authorisations for another agency, or for the right agency in another state, do not cover it.
      for (const json of [
        { recipientAgency: uniqueAgency('US'), recipientState: 'DE', reference: 'NL-MOJ 2026/118' },
        { recipientAgency: third, recipientState: 'FR', reference: 'NL-MOJ 2026/119' },
      ]) {
        const recorded = await authorise(orderId, prosecutor, json);
        expect(recorded.status, recorded.text).to.equal(201);
        const refused = await disclose();
        expect(refused.status).to.equal(409);
        expect(refused.body).to.include({
          code: 'CONDITION_FORBIDS',
          type: 'urn:custody-ledger:problem:condition-forbids',
        });
      }

      const granted = await authorise(orderId, prosecutor, {
        recipientAgency: third,
        recipientState: 'DE',
        reference: 'NL-MOJ 2026/120',
      });
      expect(granted.status, granted.text).to.equal(201);
      expect(granted.body.onwardAuthorisation).to.deep.include({
        orderId,
        recipientAgency: third,
        recipientState: 'DE',
        reference: 'NL-MOJ 2026/120',
      });
      const onward = await disclose();
      expect(onward.status, onward.text).to.equal(201);

      const handOver = (await chainOf('evidence', evidenceId, prosecutor)).at(-1);
      expect(handOver?.type).to.equal('evidence.disclosed');
      expect(handOver?.data.receivedUnder).to.deep.equal([
        {
          order: orderId,
          dataProtectionConditions: 'Erase two years after the proceedings end',
          onwardAuthorisation: { id: granted.body.onwardAuthorisation.id, reference: 'NL-MOJ 2026/120' },
        },
      ]);
      const authorisations = (await chainOf('orders', orderId, prosecutor)).filter(
        (entry: { type: string }) => entry.type === 'order.onward_authorised',
      );
      expect(
        authorisations.map((entry: { data: { reference: unknown } }) => entry.data.reference),
      ).to.deep.equal(['NL-MOJ 2026/118', 'NL-MOJ 2026/119', 'NL-MOJ 2026/120']);
    });

    it('when an authorisation is recorded on a request that is not ours, by a non-handler, on another agency’s order or with a bad body, then it is refused and the order’s chain does not grow', async () => {
      const { prosecutor, orderId } = await receivedUnderCondition();
      const valid = { recipientAgency: uniqueAgency('US'), recipientState: 'US', reference: 'NL-MOJ 1' };
      const lengthBefore = (await chainOf('orders', orderId, prosecutor)).length;

      const auditor = await service.token(uniqueSub('aud'), central, 'auditor');
      const byAuditor = await authorise(orderId, auditor, valid);
      expect([byAuditor.status, byAuditor.body.code]).to.deep.equal([403, 'FORBIDDEN_ROLE']);
      const stranger = await service.token(uniqueSub('pros'), uniqueAgency('SSS'), 'prosecutor');
      const byStranger = await authorise(orderId, stranger, valid);
      expect([byStranger.status, byStranger.body.code]).to.deep.equal([404, 'NOT_FOUND']);
      const absent = await authorise(randomUUID(), prosecutor, valid);
      expect([absent.status, absent.body.code]).to.deep.equal([404, 'NOT_FOUND']);

      const bad = await authorise(orderId, prosecutor, { recipientAgency: 'us fbi', recipientState: 'USA' });
      expect(bad.status).to.equal(422);
      expect(bad.body).to.include({ code: 'VALIDATION_FAILED', type: VALIDATION_FAILED });
      expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).to.deep.equal([
        '/recipientAgency',
        '/recipientState',
        '/reference',
      ]);
      expect((await chainOf('orders', orderId, prosecutor)).length).to.equal(lengthBefore);

      // A request we received is not one whose supplier could authorise anything.
      const incoming = await executedRequestFor(service, prosecutor, uniqueAgency('DE'), []);
      const notOurs = await authorise(incoming, prosecutor, valid);
      expect(notOurs.status).to.equal(422);
      expect(notOurs.body.errors).to.deep.equal([{ pointer: '', reason: 'only_for_our_own_requests' }]);
    });
  });

  describe('the use ledger of a disclosure (Budapest Art. 28(2)(b), 28(4))', () => {
    /** A disclosure of one item to a partner agency under its own executed request. */
    async function disclosed() {
      const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
      const caseId = await openCase(service, prosecutor);
      const evidenceId = await uploadItem(service, prosecutor, caseId);
      const recipientAgency = uniqueAgency('DE');
      const orderId = await executedRequestFor(service, prosecutor, recipientAgency, [evidenceId]);
      const created = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: prosecutor,
        json: {
          recipientAgency,
          evidenceIds: [evidenceId],
          orderId,
          conditions: 'Only for the proceedings of the request',
        },
      });
      expect(created.status, created.text).to.equal(201);
      const recipient = await service.token(uniqueSub('bka'), recipientAgency, 'partner');
      return { prosecutor, caseId, recipient, disclosureId: created.body.disclosure.id as string };
    }

    const post = (disclosureId: string, what: string, token: string, json: Record<string, unknown>) =>
      service.call('POST', `/v1/disclosures/${disclosureId}/${what}`, { token, json });

    it('when the supplier asks how the data were used and the recipient answers, then both are entries on the case’s chain and both sides read the same ledger', async () => {
      const { prosecutor, caseId, recipient, disclosureId } = await disclosed();
      const inquiry = await post(disclosureId, 'use-inquiries', prosecutor, {
        question: 'Were the data used for any proceedings other than case 2026/44?',
      });
      expect(inquiry.status, inquiry.text).to.equal(201);
      const report = await post(disclosureId, 'use-reports', recipient, {
        inquiryId: inquiry.body.use.id,
        report: 'Used only as evidence in proceedings 2026/44 before the Landgericht Köln',
      });
      expect(report.status, report.text).to.equal(201);
      expect(report.body.use).to.deep.include({ kind: 'report', inquiryId: inquiry.body.use.id });

      const ledgers = [];
      for (const token of [prosecutor, recipient]) {
        const read = await service.call('GET', `/v1/disclosures/${disclosureId}/uses`, { token });
        expect(read.status, read.text).to.equal(200);
        ledgers.push(read.body.items);
      }
      expect(ledgers[0]).to.deep.equal(ledgers[1]);
      expect(ledgers[0].map((use: { kind: string; agency: string }) => [use.kind, use.agency])).to.deep.equal(
        [
          ['inquiry', central],
          ['report', report.body.use.agency],
        ],
      );

      const entries = (await revealedChain(testDatabase().db, 'case', caseId)).slice(-2);
      expect(entries.map((entry) => entry.type)).to.deep.equal([
        'disclosure.use_inquired',
        'disclosure.use_reported',
      ]);
      expect(entries[1]?.data).to.deep.include({
        disclosure: disclosureId,
        inquiry: inquiry.body.use.id,
        report: 'Used only as evidence in proceedings 2026/44 before the Landgericht Köln',
      });
      expect(entries[1]?.actor).to.deep.include({ role: 'partner' });
    });

    it('when the wrong side asks or answers, someone outside asks, or an answer names no inquiry of this disclosure, then it is refused and the ledger stays as it was', async () => {
      const { prosecutor, recipient, disclosureId } = await disclosed();
      const other = await disclosed();
      const foreignInquiry = await post(other.disclosureId, 'use-inquiries', other.prosecutor, {
        question: 'Q',
      });
      expect(foreignInquiry.status).to.equal(201);

      const refusals: Array<[string, string, Record<string, unknown>, number, string]> = [
        ['use-inquiries', recipient, { question: 'Q' }, 403, 'FORBIDDEN_ROLE'],
        ['use-reports', prosecutor, { report: 'R' }, 403, 'FORBIDDEN_ROLE'],
        ['use-inquiries', other.prosecutor, { question: 'Q' }, 404, 'NOT_FOUND'],
        ['use-reports', other.recipient, { report: 'R' }, 404, 'NOT_FOUND'],
        [
          'use-reports',
          recipient,
          { report: 'R', inquiryId: foreignInquiry.body.use.id },
          422,
          'VALIDATION_FAILED',
        ],
        ['use-inquiries', prosecutor, { question: '   ' }, 422, 'VALIDATION_FAILED'],
      ];
      for (const [what, token, json, status, code] of refusals) {
        const response = await post(disclosureId, what, token, json);
        expect([response.status, response.body.code], `${what} ${JSON.stringify(json)}`).to.deep.equal([
          status,
          code,
        ]);
      }
      const unknown = await post(disclosureId, 'use-reports', recipient, {
        report: 'R',
        inquiryId: foreignInquiry.body.use.id,
      });
      expect(unknown.body.errors).to.deep.equal([{ pointer: '/inquiryId', reason: 'no_such_inquiry' }]);
      const ledger = await service.call('GET', `/v1/disclosures/${disclosureId}/uses`, { token: prosecutor });
      expect(ledger.body.items).to.deep.equal([]);
      const absent = await service.call('GET', `/v1/disclosures/${randomUUID()}/uses`, { token: prosecutor });
      expect(absent.status).to.equal(404);
    });
  });

  describe('need-to-know inside the agency for confidential requests (Budapest Art. 27(8))', () => {
    const read = (id: string, token: string) => service.call('GET', `/v1/orders/${id}`, { token });
    const listed = async (id: string, token: string) =>
      (await service.call('GET', '/v1/orders?limit=100', { token })).body.items.some(
        (order: { id: string }) => order.id === id,
      );
    const assign = (id: string, token: string, sub: string) =>
      service.call('POST', `/v1/orders/${id}/assignees`, { token, json: { sub } });

    it('when a handler records a confidential order, then only it, those it assigns and the agency’s auditors know of it; other handlers get 404 and do not see it listed', async () => {
      const recorderSub = uniqueSub('pros');
      const recorder = await service.token(recorderSub, central, 'prosecutor', 'investigator');
      const colleagueSub = uniqueSub('pros');
      const colleague = await service.token(colleagueSub, central, 'prosecutor');
      const auditor = await service.token(uniqueSub('aud'), central, 'auditor');
      const caseId = await openCase(service, recorder);
      const submit = (confidential: boolean) =>
        service.call('POST', '/v1/orders', {
          token: recorder,
          json: { ...productionOrderBody(caseId), confidential },
        });
      const secret = (await submit(true)).body.order.id as string;
      const open = (await submit(false)).body.order.id as string;

      expect((await read(open, colleague)).status).to.equal(200);
      const hidden = await read(secret, colleague);
      expect([hidden.status, hidden.body.code]).to.deep.equal([404, 'NOT_FOUND']);
      expect(await listed(secret, colleague)).to.equal(false);
      const selfAssigned = await assign(secret, colleague, colleagueSub);
      expect([selfAssigned.status, selfAssigned.body.code]).to.deep.equal([404, 'NOT_FOUND']);
      const blind = await service.call('POST', `/v1/orders/${secret}/transitions`, {
        token: colleague,
        json: { to: 'served' },
      });
      expect(blind.status).to.equal(404);
      for (const token of [recorder, auditor]) {
        expect((await read(secret, token)).status).to.equal(200);
        expect(await listed(secret, token)).to.equal(true);
      }
      const byAuditor = await assign(secret, auditor, colleagueSub);
      expect([byAuditor.status, byAuditor.body.code]).to.deep.equal([403, 'FORBIDDEN_ROLE']);

      const assigned = await assign(secret, recorder, colleagueSub);
      expect(assigned.status, assigned.text).to.equal(201);
      expect((await read(secret, colleague)).status).to.equal(200);
      expect(await listed(secret, colleague)).to.equal(true);
      const again = await assign(secret, recorder, colleagueSub);
      expect([again.status, again.body.code]).to.deep.equal([409, 'CONFLICT']);

      const entries = (await chainOf('orders', secret, recorder)).filter(
        (entry: { type: string }) => entry.type === 'order.assigned',
      );
      expect(entries.map((entry: { data: unknown }) => entry.data)).to.deep.equal([
        { assignee: { sub: colleagueSub, agency: central } },
      ]);
    });

    it('when a confidential request comes in from a partner, then the desk’s handlers know of it until it is assigned, and then only the assignees do; the partner keeps its status view', async () => {
      const partnerAgency = uniqueAgency('DE');
      const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
      const firstSub = uniqueSub('desk');
      const first = await service.token(firstSub, central, 'prosecutor');
      const second = await service.token(uniqueSub('desk'), central, 'prosecutor');
      const submitted = await service.call('POST', '/v1/orders', {
        token: partner,
        json: mlaBody({ requestedState: undefined, confidential: true }),
      });
      expect(submitted.status, submitted.text).to.equal(201);
      const id = submitted.body.order.id as string;
      for (const token of [first, second]) expect((await read(id, token)).status).to.equal(200);

      expect((await assign(id, second, firstSub)).status).to.equal(201);
      expect((await read(id, first)).status).to.equal(200);
      expect((await read(id, second)).status).to.equal(404);
      expect(await listed(id, second)).to.equal(false);
      const status = await read(id, partner);
      expect(status.status).to.equal(200);
      expect(status.body.order.statusOnly).to.equal(true);
    });

    it('when the requested side cannot keep a confidential request confidential, then it tells the requester why, and the requester decides whether it goes ahead', async () => {
      const partner = await service.token(uniqueSub('bka'), uniqueAgency('DE'), 'partner');
      const desk = await service.token(uniqueSub('desk'), central, 'prosecutor');
      const request = (confidential: boolean) =>
        service.call('POST', '/v1/orders', {
          token: partner,
          json: mlaBody({
            legalBasis: { instrument: 'BUDAPEST', article: '27' },
            requestedState: undefined,
            confidential,
          }),
        });
      const move = (id: string, token: string, json: Record<string, unknown>) =>
        service.call('POST', `/v1/orders/${id}/transitions`, { token, json });
      const open = (await request(false)).body.order.id as string;
      const secret = (await request(true)).body.order.id as string;
      for (const id of [open, secret])
        expect((await move(id, desk, { to: 'under_assessment' })).status).to.equal(200);

      const reason = 'The provider must be served openly: the account holder will learn of the request';
      const notConfidential = await move(open, desk, { to: 'confidentiality_notified', reason });
      expect([notConfidential.status, notConfidential.body.code]).to.deep.equal([
        409,
        'ORDER_TRANSITION_INVALID',
      ]);
      const unexplained = await move(secret, desk, { to: 'confidentiality_notified' });
      expect([unexplained.status, unexplained.body.errors]).to.deep.equal([
        422,
        [{ pointer: '/reason', reason: 'the_risk_is_explained' }],
      ]);
      expect((await move(secret, desk, { to: 'confidentiality_notified', reason })).status).to.equal(200);

      const told = (await chainOf('orders', secret, partner)).at(-1);
      expect(told.data).to.include({ to: 'confidentiality_notified', reason });
      // The desk cannot go on until the requester decides; the requester can.
      expect((await move(secret, desk, { to: 'accepted' })).body.code).to.equal('ORDER_TRANSITION_INVALID');
      const decided = await move(secret, partner, { to: 'proceed_confirmed' });
      expect(decided.status, decided.text).to.equal(200);
      expect((await move(secret, desk, { to: 'accepted' })).status).to.equal(200);
    });
  });

  describe('the custodian’s duty of confidentiality (UN Art. 25(3); Budapest Art. 16(3))', () => {
    const DAY = 86_400_000;

    const acknowledge = (id: string, token: string, confidentialUntil: string) =>
      service.call('POST', `/v1/orders/${id}/acknowledgements`, { token, json: { confidentialUntil } });

    it('when a preservation order states the custodian and its period of confidentiality, then that custodian acknowledges it once, on the order’s chain, and no one else can', async () => {
      const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
      const caseId = await openCase(service, prosecutor);
      const custodianAgency = uniqueAgency('MAIL');
      const until = new Date(Date.now() + 180 * DAY).toISOString();
      const submitted = await service.call('POST', '/v1/orders', {
        token: prosecutor,
        json: domesticPreservationBody(caseId, { custodianAgency, confidentialUntil: until }),
      });
      expect(submitted.status, submitted.text).to.equal(201);
      expect(submitted.body.order.safeguards).to.deep.include({ custodianAgency, confidentialUntil: until });
      const id = submitted.body.order.id as string;
      const custodian = await service.token(uniqueSub('mail'), custodianAgency, 'custodian');

      const wrongPeriod = await acknowledge(id, custodian, new Date(Date.now() + 90 * DAY).toISOString());
      expect(wrongPeriod.status).to.equal(422);
      expect(wrongPeriod.body.errors).to.deep.equal([
        { pointer: '/confidentialUntil', reason: 'not_the_period_ordered' },
      ]);
      const byHandler = await acknowledge(id, prosecutor, until);
      expect([byHandler.status, byHandler.body.code]).to.deep.equal([403, 'FORBIDDEN_ROLE']);
      const otherCustodian = await service.token(uniqueSub('mail'), uniqueAgency('MAIL'), 'custodian');
      const byOther = await acknowledge(id, otherCustodian, until);
      expect([byOther.status, byOther.body.code]).to.deep.equal([404, 'NOT_FOUND']);
      const notCustodian = await service.token(uniqueSub('mail'), custodianAgency, 'investigator');
      expect((await acknowledge(id, notCustodian, until)).status).to.equal(404);

      const acknowledged = await acknowledge(id, custodian, until);
      expect(acknowledged.status, acknowledged.text).to.equal(201);
      expect(acknowledged.body.acknowledgement).to.deep.include({
        orderId: id,
        custodianAgency,
        confidentialUntil: until,
      });
      const again = await acknowledge(id, custodian, until);
      expect([again.status, again.body.code]).to.deep.equal([409, 'CONFLICT']);
      const entries = (await chainOf('orders', id, prosecutor)).filter(
        (entry: { type: string }) => entry.type === 'order.custodian_acknowledged',
      );
      expect(entries).to.have.length(1);
      expect(entries[0].data).to.deep.equal({ custodianAgency, confidentialUntil: until });
      expect(entries[0].actor).to.deep.include({ agency: custodianAgency, role: 'custodian' });

      // The custodian learns nothing else of the order.
      expect((await service.call('GET', `/v1/orders/${id}`, { token: custodian })).status).to.equal(404);
    });

    it('when the duty is stated badly, then 422 VALIDATION_FAILED naming why, and no order is recorded', async () => {
      const agency = uniqueAgency('SSS');
      const prosecutor = await service.token(uniqueSub('pros'), agency, 'prosecutor', 'investigator');
      const caseId = await openCase(service, prosecutor);
      const custodianAgency = uniqueAgency('MAIL');
      const future = new Date(Date.now() + 30 * DAY).toISOString();
      const cases: Array<[Record<string, unknown>, unknown[]]> = [
        [
          domesticPreservationBody(caseId, {
            custodianAgency,
            confidentialUntil: new Date(Date.now() - DAY).toISOString(),
          }),
          [{ pointer: '/confidentialUntil', reason: 'in_the_past' }],
        ],
        [
          domesticPreservationBody(caseId, { custodianAgency }),
          [{ pointer: '/confidentialUntil', reason: 'stated_together' }],
        ],
        [
          { ...productionOrderBody(caseId), custodianAgency, confidentialUntil: future },
          [{ pointer: '/confidentialUntil', reason: 'only_for_preservation' }],
        ],
      ];
      for (const [json, errors] of cases) {
        const response = await service.call('POST', '/v1/orders', { token: prosecutor, json });
        expect(response.status, response.text).to.equal(422);
        expect(response.body).to.include({ code: 'VALIDATION_FAILED', type: VALIDATION_FAILED });
        expect(response.body.errors).to.deep.equal(errors);
      }
      const listed = await service.call('GET', '/v1/orders', { token: prosecutor });
      expect(listed.body.items).to.deep.equal([]);
    });
  });
});
