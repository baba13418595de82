import { expect } from 'chai';
import { openCase, productionOrderBody } from '../support/fixtures';
import { art42Body, epocBody, mlaBody, moveOrder, submitOrder } from '../support/order-requests';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/** A complete preservation request from Germany under `instrument` (Budapest Art. 29 unless told), of a Convention offence. */
function preservationRequest(overrides: Record<string, unknown> = {}) {
  return art42Body({
    legalBasis: { instrument: 'BUDAPEST', article: '29' },
    urgency: undefined,
    offenceCategory: 'computer_fraud',
    ...overrides,
  });
}

const UN_PRESERVATION = { legalBasis: { instrument: 'UNCC', article: '42' } };

/** A partner's MLA request without the UN Art. 40(15) contents (conducting authority, assistance sought, purpose), as these tests were written against it. */
function mlaRequest(overrides: Record<string, unknown> = {}) {
  return mlaBody({
    conductingAuthority: undefined,
    assistanceSought: undefined,
    purpose: undefined,
    ...overrides,
  });
}

describe('refusal grounds, reservations, consultation and legal bases of orders', () => {
  /** Settings as an Azerbaijani deployment has them by default: no reservation, no EU role. */
  let plain: TestService;
  /** A deployment that made the dual-criminality reservations, plays an EU provider's role and lists UN parties. */
  let reserving: TestService;
  let central: string;
  let handler: string;
  let partner: string;
  let partnerAgency: string;

  before(async () => {
    central = uniqueAgency('SSS');
    plain = await startTestService({ CENTRAL_AUTHORITY: central });
    reserving = await startTestService({
      CENTRAL_AUTHORITY: central,
      RESERVATIONS: 'BUDAPEST:29(4),UNCC:42(5)',
      EU_ROLES: 'service_provider',
      UNC_PARTIES: 'AZ,DE',
    });
  });
  after(async () => {
    await plain.stop();
    await reserving.stop();
  });
  beforeEach(async () => {
    handler = await plain.token(uniqueSub('desk'), central, 'prosecutor');
    partnerAgency = uniqueAgency('DE');
    partner = await plain.token(uniqueSub('bka'), partnerAgency, 'partner');
  });

  const submitted = (service: TestService, json: Record<string, unknown>, token = partner) =>
    submitOrder(service, token, json);
  const move = (service: TestService, id: string, to: string, extra: Record<string, unknown> = {}) =>
    moveOrder(service, id, handler, to, extra);

  async function assessed(service: TestService, json: Record<string, unknown>) {
    const id = await submitted(service, json);
    expect((await move(service, id, 'under_assessment')).status).to.equal(200);
    return id;
  }

  async function statusOf(service: TestService, id: string) {
    return (await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order.status;
  }

  /** The orders the partner's agency has on record (each test's agency is its own). */
  async function partnersOrders(service: TestService) {
    return (await service.call('GET', '/v1/orders', { token: partner })).body.items;
  }

  describe('closed grounds per instrument (Bud 29(5), 30(2), 27(4)-(5); UN 40(21)-(22); Reg 12)', () => {
    it('when a Budapest preservation request is refused as a political offence, then the refusal is recorded with its code; under the UN Convention the same code is 422 not_a_ground_under_uncc and nothing moves', async () => {
      const budapest = await assessed(plain, preservationRequest());
      const reason = 'The request concerns a political offence';
      const refused = await move(plain, budapest, 'refused', { reasonCode: 'POLITICAL_OFFENCE', reason });
      expect(refused.status, refused.text).to.equal(200);
      const last = (
        await plain.call('GET', `/v1/orders/${budapest}/chain`, { token: partner })
      ).body.entries.map(revealed);
      expect(last.at(-1).data).to.include({ to: 'refused', reasonCode: 'POLITICAL_OFFENCE', reason });

      const un = await assessed(plain, preservationRequest(UN_PRESERVATION));
      const political = await move(plain, un, 'refused', { reasonCode: 'POLITICAL_OFFENCE', reason });
      expect(political.status).to.equal(422);
      expect(political.body).to.include({
        code: 'VALIDATION_FAILED',
        type: 'urn:custody-ledger:problem:validation-failed',
      });
      const [field] = political.body.errors;
      expect(field).to.include({ pointer: '/reasonCode', reason: 'not_a_ground_under_uncc' });
      expect(field.allowed).to.include('ESSENTIAL_INTERESTS').and.not.include('POLITICAL_OFFENCE');
      expect(await statusOf(plain, un)).to.equal('under_assessment');
      const chain = (await plain.call('GET', `/v1/orders/${un}/chain`, { token: handler })).body.entries;
      expect(chain).to.have.length(2);
    });

    it('when a refusal or postponement states a ground of another instrument or of another move, then 422 naming the grounds that fit', async () => {
      const preservation = await assessed(plain, preservationRequest());
      const european = await move(plain, preservation, 'refused', {
        reasonCode: 'FUNDAMENTAL_RIGHTS',
        reason: 'A ground of the EU Regulation',
      });
      expect(european.status).to.equal(422);
      expect(european.body.errors[0]).to.include({ reason: 'not_a_ground_under_budapest' });
      expect(european.body.errors[0].allowed).to.have.members([
        'POLITICAL_OFFENCE',
        'ESSENTIAL_INTERESTS',
        'DUAL_CRIMINALITY',
      ]);

      const mla = await assessed(
        plain,
        mlaRequest({ legalBasis: { instrument: 'BUDAPEST', article: '27' } }),
      );
      const postponedAsRefused = await move(plain, mla, 'postponed', {
        reasonCode: 'ESSENTIAL_INTERESTS',
        reason: 'A ground of refusal is no ground of postponement',
      });
      expect(postponedAsRefused.status).to.equal(422);
      expect(postponedAsRefused.body.errors[0]).to.deep.equal({
        pointer: '/reasonCode',
        reason: 'not_a_ground_under_budapest',
        allowed: ['ONGOING_PROCEEDINGS'],
      });
      expect(await statusOf(plain, mla)).to.equal('under_assessment');
    });
  });

  describe('dual criminality and the reservations register (Bud 29(3)-(4); UN 42(4)-(5))', () => {
    const dualCriminality = {
      reasonCode: 'DUAL_CRIMINALITY',
      reason: 'Not an offence under Azerbaijani law; disclosure would fail for want of dual criminality',
    };

    it('when a preservation is refused for dual criminality and the state made no reservation, then 409 GROUND_NOT_AVAILABLE (no_reservation) and the request stays under assessment', async () => {
      const id = await assessed(plain, preservationRequest({ offenceCategory: 'other' }));
      const refused = await move(plain, id, 'refused', dualCriminality);
      expect(refused.status).to.equal(409);
      expect(refused.body).to.deep.include({
        code: 'GROUND_NOT_AVAILABLE',
        type: 'urn:custody-ledger:problem:ground-not-available',
        errors: [{ pointer: '/reasonCode', reason: 'no_reservation' }],
      });
      expect(await statusOf(plain, id)).to.equal('under_assessment');
    });

    it('when the state reserved the right, then a dual-criminality refusal stands only for an offence the Convention does not establish', async () => {
      const convention = await assessed(reserving, preservationRequest());
      const refusedConvention = await move(reserving, convention, 'refused', dualCriminality);
      expect(refusedConvention.status).to.equal(409);
      expect(refusedConvention.body.code).to.equal('GROUND_NOT_AVAILABLE');
      expect(refusedConvention.body.errors[0].reason).to.equal('convention_offence');

      const unknown = await assessed(reserving, preservationRequest({ offenceCategory: undefined }));
      const refusedUnknown = await move(reserving, unknown, 'refused', dualCriminality);
      expect(refusedUnknown.status).to.equal(409);
      expect(refusedUnknown.body.errors[0].reason).to.equal('offence_category_unknown');

      // Grooming is a UN Convention offence (Art. 15), not a Budapest one.
      const underUn = await assessed(
        reserving,
        preservationRequest({ ...UN_PRESERVATION, offenceCategory: 'grooming' }),
      );
      expect((await move(reserving, underUn, 'refused', dualCriminality)).status).to.equal(409);
      const underBudapest = await assessed(reserving, preservationRequest({ offenceCategory: 'grooming' }));
      const refused = await move(reserving, underBudapest, 'refused', dualCriminality);
      expect(refused.status, refused.text).to.equal(200);
      expect(refused.body.order.status).to.equal('refused');
    });
  });

  describe('consultation before refusing or postponing (Bud 27(6); UN 40(26))', () => {
    const consult = (service: TestService, id: string, token: string, json: Record<string, unknown>) =>
      service.call('POST', `/v1/orders/${id}/consultations`, { token, json });

    it('when a UN MLA request is refused before its requester was consulted, then 409 CONSULTATION_REQUIRED; once consulted, the refusal stands and the requester reads the consultation and its own answer in the history', async () => {
      const id = await assessed(plain, mlaRequest());
      const refusal = { reasonCode: 'ESSENTIAL_INTERESTS', reason: 'Prejudice to essential interests' };
      const early = await move(plain, id, 'refused', refusal);
      expect(early.status).to.equal(409);
      expect(early.body).to.include({
        code: 'CONSULTATION_REQUIRED',
        type: 'urn:custody-ledger:problem:consultation-required',
      });

      const unanswerable = await consult(plain, id, partner, { answer: 'accepts', message: 'Agreed' });
      expect(unanswerable.status).to.equal(409);
      expect(unanswerable.body.code).to.equal('CONFLICT');
      const proposal = {
        proposes: ['partial_execution', 'conditions'],
        conditions: 'Subscriber data only; no content',
        message: 'We could execute in part, under conditions',
      };
      const asAnswer = await consult(plain, id, handler, { ...proposal, answer: 'accepts' });
      expect(asAnswer.status).to.equal(422);
      expect(asAnswer.body.errors).to.deep.equal([
        { pointer: '/answer', reason: 'only_for_the_requesting_side' },
      ]);
      const proposed = await consult(plain, id, handler, proposal);
      expect(proposed.status, proposed.text).to.equal(201);
      expect(proposed.body.consultation).to.deep.equal({ order: id, side: 'requested' });
      const answered = await consult(plain, id, partner, {
        answer: 'declines',
        message: 'We need the content',
      });
      expect(answered.status, answered.text).to.equal(201);
      expect((await move(plain, id, 'refused', refusal)).status).to.equal(200);

      const history = (
        await plain.call('GET', `/v1/orders/${id}/chain`, { token: partner })
      ).body.entries.map(revealed);
      const consultations = history.filter((entry: { type: string }) => entry.type === 'order.consulted');
      expect(consultations.map((entry: { data: object }) => entry.data)).to.deep.equal([
        { side: 'requested', status: 'under_assessment', ...proposal },
        {
          side: 'requesting',
          status: 'under_assessment',
          answer: 'declines',
          message: 'We need the content',
        },
      ]);
      for (const entry of consultations) expect(entry.actor).to.not.have.property('sub');
    });

    it('when a Budapest MLA request is refused without consultation, then it stands: Art. 27(6) consults "where appropriate"', async () => {
      const id = await assessed(plain, mlaRequest({ legalBasis: { instrument: 'BUDAPEST', article: '27' } }));
      const refused = await move(plain, id, 'refused', {
        reasonCode: 'ESSENTIAL_INTERESTS',
        reason: 'Prejudice to essential interests',
      });
      expect(refused.status, refused.text).to.equal(200);
    });

    it('when another agency, or anyone about a domestic order, tries to consult, then 404 or 422 and nothing is recorded', async () => {
      const id = await assessed(plain, mlaRequest());
      const outsider = await plain.token(uniqueSub('fr'), uniqueAgency('FR'), 'partner');
      const hidden = await consult(plain, id, outsider, { answer: 'accepts', message: 'Agreed' });
      expect(hidden.status).to.equal(404);
      const caseId = await openCase(plain, handler);
      const domestic = await submitted(plain, productionOrderBody(caseId), handler);
      const own = await consult(plain, domestic, handler, {
        proposes: ['conditions'],
        message: 'Conditions?',
      });
      expect(own.status).to.equal(422);
      expect(own.body.errors[0]).to.include({
        pointer: '/direction',
        reason: 'consulted_by_the_requested_state',
      });
      for (const order of [id, domestic]) {
        const chain = (await plain.call('GET', `/v1/orders/${order}/chain`, { token: handler })).body.entries;
        expect(chain.map((entry: { entry: { type: string } }) => entry.entry.type)).to.not.include(
          'order.consulted',
        );
      }
    });
  });

  describe('legal basis, states and parties (row 64)', () => {
    it('when the legal basis does not fit the kind and direction, then 422 at /legalBasis or /direction and nothing is recorded', async () => {
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [
          preservationRequest({ legalBasis: { instrument: 'BUDAPEST', article: '30' } }),
          '/legalBasis/article',
          'not_an_article_for_preservation',
        ],
        [
          mlaRequest({ legalBasis: { instrument: 'DOMESTIC' } }),
          '/legalBasis/instrument',
          'not_a_basis_for_international_mla',
        ],
        [
          preservationRequest({ kind: 'production', legalBasis: { instrument: 'UNCC', article: '27' } }),
          '/direction',
          'no_incoming_production',
        ],
      ];
      for (const [json, pointer, reason] of cases) {
        const response = await plain.call('POST', '/v1/orders', { token: partner, json });
        expect(response.status, reason).to.equal(422);
        expect(response.body.code).to.equal('VALIDATION_FAILED');
        expect(
          response.body.errors.map((e: { pointer: string; reason: string }) => [e.pointer, e.reason]),
        ).to.deep.include([pointer, reason]);
      }
      expect(await partnersOrders(plain)).to.deep.equal([]);
    });

    it('when a request comes from a state not party to its instrument, or names this state on the wrong side, then 422 naming the state', async () => {
      const fromNonParty = await plain.call('POST', '/v1/orders', {
        token: partner,
        json: preservationRequest({ requestingState: 'RU' }),
      });
      expect(fromNonParty.status).to.equal(422);
      expect(fromNonParty.body.errors).to.deep.equal([
        { pointer: '/requestingState', reason: 'not_a_party_to_budapest' },
      ]);
      const fromHere = await plain.call('POST', '/v1/orders', {
        token: partner,
        json: preservationRequest({ requestingState: 'AZ' }),
      });
      expect(fromHere.body.errors).to.deep.equal([{ pointer: '/requestingState', reason: 'is_this_state' }]);
      const toHere = await plain.call('POST', '/v1/orders', {
        token: handler,
        json: preservationRequest({ direction: 'outgoing', requestingState: 'AZ', requestedState: 'AZ' }),
      });
      expect(toHere.body.errors).to.deep.equal([{ pointer: '/requestedState', reason: 'is_this_state' }]);

      // The UN Convention's parties are checked where the deployment lists them.
      const unPartner = await reserving.token(uniqueSub('fr'), uniqueAgency('FR'), 'partner');
      const fromFrance = await reserving.call('POST', '/v1/orders', {
        token: unPartner,
        json: preservationRequest({ ...UN_PRESERVATION, requestingState: 'FR' }),
      });
      expect(fromFrance.status).to.equal(422);
      expect(fromFrance.body.errors).to.deep.equal([
        { pointer: '/requestingState', reason: 'not_a_party_to_uncc' },
      ]);
      const fromGermany = await reserving.call('POST', '/v1/orders', {
        token: unPartner,
        json: preservationRequest(UN_PRESERVATION),
      });
      expect(fromGermany.status, fromGermany.text).to.equal(201);
      expect(await partnersOrders(plain)).to.deep.equal([]);
    });
  });

  describe('EU orders only where the deployment plays an EU role (Reg 1, 3, 7; Dir 2023/1544)', () => {
    it('when an EPOC reaches a deployment with no EU role, then 422 eu_instrument_not_applicable; a provider’s deployment receives it, and issues none', async () => {
      const refused = await plain.call('POST', '/v1/orders', { token: partner, json: epocBody('epoc') });
      expect(refused.status).to.equal(422);
      expect(refused.body.errors).to.deep.equal([
        {
          pointer: '/kind',
          reason: 'eu_instrument_not_applicable',
          allowed: ['enforcing_authority', 'service_provider', 'legal_representative'],
        },
      ]);
      const provider = await reserving.token(uniqueSub('provider'), central, 'prosecutor');
      const received = await reserving.call('POST', '/v1/orders', {
        token: provider,
        json: epocBody('epoc'),
      });
      expect(received.status, received.text).to.equal(201);
      const issued = await reserving.call('POST', '/v1/orders', {
        token: provider,
        json: epocBody('epoc', { direction: 'outgoing', requestingState: 'AZ', requestedState: 'IE' }),
      });
      expect(issued.status).to.equal(422);
      expect(issued.body.errors[0]).to.include({ pointer: '/kind', reason: 'eu_instrument_not_applicable' });
    });
  });

  describe('authorisation of domestic orders (UN 24; Bud 15)', () => {
    it('when a domestic production order names no authorising body and decision, then 422 naming both; with them it is recorded', async () => {
      const caseId = await openCase(plain, handler);
      const {
        authorisingBody: _body,
        authorisingReference: _reference,
        ...bare
      } = productionOrderBody(caseId);
      const unauthorised = await plain.call('POST', '/v1/orders', { token: handler, json: bare });
      expect(unauthorised.status).to.equal(422);
      expect(unauthorised.body.errors).to.deep.equal([
        { pointer: '/authorisingBody', reason: 'required_by_domestic_law' },
        { pointer: '/authorisingReference', reason: 'required_by_domestic_law' },
      ]);
      const listed = (await plain.call('GET', '/v1/orders', { token: handler })).body.items;
      expect(listed.filter((order: { caseId: string }) => order.caseId === caseId)).to.deep.equal([]);
      const authorised = await plain.call('POST', '/v1/orders', {
        token: handler,
        json: productionOrderBody(caseId),
      });
      expect(authorised.status, authorised.text).to.equal(201);
      expect(authorised.body.order.safeguards).to.include({
        authorisingBody: 'Baku Court of Serious Crimes',
      });
    });
  });
});
