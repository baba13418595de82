import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { openCase, productionOrderBody } from '../support/fixtures';
import { art42Body, epocBody, mlaBody, moveOrder, submitOrder } from '../support/order-requests';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const VALIDATION = 'urn:custody-ledger:problem:validation-failed';

const SHA256 = 'a'.repeat(64);

describe('order contents, supplements and forms', () => {
  let service: TestService;
  let central: string;
  let handler: string;
  let partner: string;

  before(async () => {
    central = uniqueAgency('SSS');
    service = await startTestService({ CENTRAL_AUTHORITY: central, EU_ROLES: 'service_provider' });
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    handler = await service.token(uniqueSub('desk'), central, 'prosecutor');
    partner = await service.token(uniqueSub('bka'), uniqueAgency('DE'), 'partner');
  });

  async function submit(json: Record<string, unknown>, token = partner) {
    return service.call('POST', '/v1/orders', { token, json });
  }

  const submitted = (json: Record<string, unknown>, token = partner) => submitOrder(service, token, json);

  function supplement(id: string, token: string, json: unknown) {
    return service.call('POST', `/v1/orders/${id}/supplement`, { token, json });
  }

  const move = (id: string, token: string, to: string, extra: Record<string, unknown> = {}) =>
    moveOrder(service, id, token, to, extra);

  async function chainTypes(id: string): Promise<string[]> {
    const chain = await service.call('GET', `/v1/orders/${id}/chain`, { token: handler });
    return chain.body.entries.map((view: { entry: { type: string } }) => view.entry.type);
  }

  async function orderRow(id: string) {
    const [row] = await testDatabase().db.query('SELECT status, details, missing FROM orders WHERE id = $1', [
      id,
    ]);
    return row;
  }

  describe('MLA request contents (UN Art. 40(15)) and supplements (row 3)', () => {
    it('when an incoming MLA request lacks 40(15) elements, then it waits in info_requested and its requester sees what is missing', async () => {
      const id = await submitted(
        mlaBody({ conductingAuthority: undefined, assistanceSought: undefined, purpose: undefined }),
      );
      const view = await service.call('GET', `/v1/orders/${id}`, { token: partner });
      expect(view.status, view.text).to.equal(200);
      expect(view.body.order).to.include({ status: 'info_requested', statusOnly: true });
      expect(view.body.order.missing).to.have.members(['conductingAuthority', 'assistanceSought', 'purpose']);
      const complete = await service.call('GET', `/v1/orders/${await submitted(mlaBody())}`, {
        token: partner,
      });
      expect(complete.body.order).to.include({ status: 'received' });
      expect(complete.body.order.missing).to.deep.equal([]);
    });

    it('when the requester supplies what was missing, then the supplement is on the chain, it receives it, and the request goes to assessment in the same change', async () => {
      const id = await submitted(mlaBody({ assistanceSought: undefined, purpose: undefined }));
      const partial = await supplement(id, partner, { assistanceSought: 'Production of the logs' });
      expect(partial.status, partial.text).to.equal(200);
      expect(partial.body.order).to.include({ status: 'info_requested', statusOnly: true });
      expect(partial.body.order.missing).to.deep.equal(['purpose']);

      const done = await supplement(id, partner, { purpose: 'Evidence in the proceedings' });
      expect(done.status, done.text).to.equal(200);
      expect(done.body.order).to.include({ status: 'under_assessment' });
      expect(done.body.order.missing).to.deep.equal([]);
      expect(await chainTypes(id)).to.deep.equal([
        'order.received',
        'order.supplemented',
        'order.supplemented',
        'order.transitioned',
      ]);
      // The two entries of the completing supplement are one change: consecutive log entries.
      const asHandler = (
        await service.call('GET', `/v1/orders/${id}/chain`, { token: handler })
      ).body.entries.map(revealed);
      expect(asHandler[3].data).to.include({ from: 'info_requested', to: 'under_assessment' });
      expect(asHandler[3].entry.seq).to.equal(asHandler[2].entry.seq + 1);

      const asRequester = (
        await service.call('GET', `/v1/orders/${id}/chain`, { token: partner })
      ).body.entries.map(revealed);
      expect(asRequester[1].data).to.deep.include({
        supplied: ['assistanceSought'],
        details: { assistanceSought: 'Production of the logs' },
        missing: ['purpose'],
        status: 'info_requested',
      });
      expect(asRequester[2].data).to.deep.include({ supplied: ['purpose'], missing: [] });
      for (const entry of asRequester) expect(entry.actor).not.to.have.property('sub');
      const row = await orderRow(id);
      expect(row.details).to.include({
        assistanceSought: 'Production of the logs',
        purpose: 'Evidence in the proceedings',
      });
    });

    it('when the central authority supplements on the requester’s behalf, then it may; an auditor who sees the order may not', async () => {
      const id = await submitted(mlaBody({ purpose: undefined }));
      const auditor = await service.token(uniqueSub('aud'), central, 'auditor');
      const refused = await supplement(id, auditor, { purpose: 'Evidence' });
      expect(refused.status).to.equal(403);
      expect(refused.body.code).to.equal('FORBIDDEN_ROLE');
      const done = await supplement(id, handler, { purpose: 'Evidence' });
      expect(done.status, done.text).to.equal(200);
      expect(done.body.order).to.include({ status: 'under_assessment', statusOnly: false });
    });

    it('when a stranger supplements a request, then it is 404 like an absent one and nothing is recorded', async () => {
      const id = await submitted(mlaBody({ purpose: undefined }));
      const stranger = await service.token(uniqueSub('fr'), uniqueAgency('FR'), 'partner');
      const hidden = await supplement(id, stranger, { purpose: 'Evidence' });
      const absent = await supplement(randomUUID(), stranger, { purpose: 'Evidence' });
      expect(hidden.status).to.equal(404);
      expect(hidden.body.code).to.equal('NOT_FOUND');
      expect({ ...hidden.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });
      expect(await chainTypes(id)).to.deep.equal(['order.received']);
      expect((await orderRow(id)).missing).to.deep.equal(['purpose']);
    });

    it('when a supplement names an unknown field, a field that is not content, or nothing, then it is VALIDATION_FAILED and nothing is left behind', async () => {
      const id = await submitted(mlaBody({ purpose: undefined }));
      const before = await orderRow(id);
      for (const [body, error] of [
        [
          { purpose: 'Evidence', colour: 'blue' },
          { pointer: '/', reason: 'unrecognized_keys' },
        ],
        [
          { purpose: 'Evidence', kind: 'production' },
          { pointer: '/', reason: 'unrecognized_keys' },
        ],
        [
          { purpose: 'Evidence', requestingAuthority: 'Other' },
          { pointer: '/', reason: 'unrecognized_keys' },
        ],
        [{}, { pointer: '/', reason: 'custom' }],
        [{ dataCategories: ['everything'] }, { pointer: '/dataCategories/0', reason: 'invalid_value' }],
      ] as const) {
        const response = await supplement(id, partner, body);
        expect(response.status, JSON.stringify(body)).to.equal(422);
        expect(response.body.code).to.equal('VALIDATION_FAILED');
        expect(response.body.type).to.equal(VALIDATION);
        expect(response.body.errors[0]).to.include(error);
      }
      expect(await chainTypes(id)).to.deep.equal(['order.received']);
      expect(await orderRow(id)).to.deep.equal(before);
    });

    it('when a finished order is supplemented, then it is 409 ORDER_CLOSED', async () => {
      const id = await submitted(mlaBody());
      expect((await move(id, partner, 'withdrawn')).status).to.equal(200);
      const response = await supplement(id, partner, { personsConcerned: [{ identity: 'J. Doe' }] });
      expect(response.status).to.equal(409);
      expect(response.body.code).to.equal('ORDER_CLOSED');
      expect(response.body.type).to.equal('urn:custody-ledger:problem:order-closed');
    });

    it('when our own MLA request lacks 40(15) elements, then it is refused naming each and no order is recorded', async () => {
      const authority = `Prosecutor General ${randomUUID()}`;
      const response = await submit(
        mlaBody({
          direction: 'outgoing',
          requestingState: 'AZ',
          requestedState: 'NL',
          requestingAuthority: authority,
          conductingAuthority: undefined,
          purpose: undefined,
        }),
        handler,
      );
      expect(response.status, response.text).to.equal(422);
      expect(response.body.code).to.equal('VALIDATION_FAILED');
      expect(response.body.errors).to.have.deep.members([
        { pointer: '/conductingAuthority', reason: 'required_by_un_40_15' },
        { pointer: '/purpose', reason: 'required_by_un_40_15' },
      ]);
      const rows = await testDatabase().db.query('SELECT 1 FROM orders WHERE requesting_authority = $1', [
        authority,
      ]);
      expect(rows).to.have.length(0);
    });
  });

  describe('production orders (UN Art. 27, Budapest Art. 18; row 25)', () => {
    it('when a domestic production order does not name its addressee and data, then it is refused naming each required field', async () => {
      const investigator = await service.token(uniqueSub('inv'), central, 'investigator', 'prosecutor');
      const caseId = await openCase(service, investigator);
      const bare = {
        kind: 'production',
        direction: 'domestic',
        legalBasis: { instrument: 'DOMESTIC', article: '27' },
        caseId,
        requestingAuthority: 'Prosecutor General',
        channel: 'direct',
      };
      const refused = await submit(bare, investigator);
      expect(refused.status, refused.text).to.equal(422);
      // Everything is named at once: what the order must say (UN 27) and the authorisation domestic law asks for.
      expect(refused.body.errors).to.have.deep.members([
        ...['addresseeType', 'addressee', 'dataCategories', 'dataDescription', 'dataPeriod'].map((field) => ({
          pointer: `/${field}`,
          reason: 'required_by_un_27',
        })),
        ...['authorisingBody', 'authorisingReference'].map((field) => ({
          pointer: `/${field}`,
          reason: 'required_by_domestic_law',
        })),
      ]);
      const complete = await submit({ ...productionOrderBody(caseId), format: 'CSV export' }, investigator);
      expect(complete.status, complete.text).to.equal(201);
      expect(complete.body.order.details).to.deep.include({
        addresseeType: 'person_in_territory',
        dataCategories: ['traffic'],
      });
    });

    it('when a service provider offering its services in the territory is ordered to produce more than subscriber information, then it is refused', async () => {
      const investigator = await service.token(uniqueSub('inv'), central, 'investigator', 'prosecutor');
      const caseId = await openCase(service, investigator);
      const provider = {
        ...productionOrderBody(caseId),
        addresseeType: 'service_provider_offering_services',
      };
      const refused = await submit({ ...provider, dataCategories: ['subscriber', 'content'] }, investigator);
      expect(refused.status, refused.text).to.equal(422);
      expect(refused.body.errors).to.deep.equal([
        { pointer: '/dataCategories', reason: 'subscriber_information_only' },
      ]);
      expect((await submit({ ...provider, dataCategories: ['subscriber'] }, investigator)).status).to.equal(
        201,
      );
      const backwards = await submit(
        { ...provider, dataPeriod: { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' } },
        investigator,
      );
      expect(backwards.status).to.equal(422);
      expect(backwards.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal([
        '/dataPeriod/to',
      ]);
    });
  });

  describe('languages and translations (UN Art. 40(14); row 33)', () => {
    it('when a request comes in a language the requested state does not accept and without a translation, then translation is missing until one is supplied', async () => {
      const id = await submitted(mlaBody({ language: 'de' }));
      const view = await service.call('GET', `/v1/orders/${id}`, { token: partner });
      expect(view.body.order).to.include({ status: 'info_requested' });
      expect(view.body.order.missing).to.deep.equal(['translation']);
      const useless = await supplement(id, partner, {
        translations: [{ language: 'fr', sha256: SHA256, title: 'Demande (FR)' }],
      });
      expect(useless.body.order.missing).to.deep.equal(['translation']);
      const translated = await supplement(id, partner, {
        translations: [{ language: 'en-GB', sha256: SHA256, title: 'Request (EN)' }],
      });
      expect(translated.status, translated.text).to.equal(200);
      expect(translated.body.order).to.include({ status: 'under_assessment' });
      expect(translated.body.order.missing).to.deep.equal([]);
    });

    it('when a request comes in an accepted language, or with an accepted translation, then nothing is missing; a malformed tag is refused', async () => {
      const english = await service.call(
        'GET',
        `/v1/orders/${await submitted(art42Body({ language: 'en-US' }))}`,
        {
          token: partner,
        },
      );
      expect(english.body.order).to.include({ status: 'received' });
      const german = await submitted(
        art42Body({ language: 'de', translations: [{ language: 'ru', sha256: SHA256, title: 'Запрос' }] }),
      );
      expect((await orderRow(german)).status).to.equal('received');
      const malformed = await submit(art42Body({ language: 'not a language' }));
      expect(malformed.status).to.equal(422);
      expect(malformed.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/language']);
    });
  });

  describe('formal confirmation to follow (Bud 25(3), 27(9); UN 40(14); row 34)', () => {
    it('when an urgent request sent ahead awaits its formal confirmation, then its view shows it outstanding until a supplement records it, once', async () => {
      const submittedAt = Date.now();
      const id = await submitted(art42Body({ formalConfirmationToFollow: true }));
      const waiting = (await service.call('GET', `/v1/orders/${id}`, { token: partner })).body.order;
      expect(waiting.formalConfirmation.outstanding).to.equal(true);
      const due = Date.parse(waiting.formalConfirmation.due) - Date.parse(waiting.receivedAt);
      expect(due).to.equal(30 * DAY);
      expect(Date.parse(waiting.receivedAt)).to.be.at.least(submittedAt - 1000);

      const confirmation = { reference: 'BfJ II 3 - 9350/26', receivedAt: '2026-12-01T10:00:00Z' };
      const recorded = await supplement(id, partner, { formalConfirmation: confirmation });
      expect(recorded.status, recorded.text).to.equal(200);
      expect(recorded.body.order.formalConfirmation).to.deep.include({ outstanding: false, ...confirmation });
      expect(recorded.body.order.status).to.equal('received');
      const again = await supplement(id, partner, { formalConfirmation: confirmation });
      expect(again.status).to.equal(422);
      expect(again.body.errors).to.deep.equal([
        { pointer: '/formalConfirmation', reason: 'no_formal_confirmation_outstanding' },
      ]);
      const plain = await submitted(art42Body());
      expect(
        (await service.call('GET', `/v1/orders/${plain}`, { token: partner })).body.order.formalConfirmation,
      ).to.equal(null);
    });

    it('when a request that is not urgent, or not sent through an expedited channel, says a confirmation follows, then it is refused', async () => {
      for (const overrides of [{ urgency: 'normal' }, { channel: 'central_authority' }]) {
        const response = await submit(art42Body({ formalConfirmationToFollow: true, ...overrides }));
        expect(response.status, response.text).to.equal(422);
        expect(response.body.errors).to.deep.equal([
          { pointer: '/formalConfirmationToFollow', reason: 'only_for_urgent_expedited_requests' },
        ]);
      }
    });
  });

  describe('vulnerable data (UN 44(3), Bud 31(3); row 41)', () => {
    it('when an MLA request states that the data are vulnerable, then it must be answered within the urgent act-by period, until it is', async () => {
      const id = await submitted(
        mlaBody({ dataVulnerable: true, vulnerabilityReason: 'The provider deletes logs after 7 days' }),
      );
      const order = (await service.call('GET', `/v1/orders/${id}`, { token: handler })).body.order;
      expect(order.deadlines.rule).to.equal('act_by');
      expect(Date.parse(order.deadlines.at) - Date.parse(order.receivedAt)).to.equal(24 * HOUR);
      const answered = await move(id, handler, 'under_assessment');
      expect(answered.body.order.deadlines.rule).to.equal('act_by');
      const accepted = await move(id, handler, 'accepted');
      expect(accepted.body.order.deadlines.rule).to.equal(null);

      const ordinary = (
        await service.call('GET', `/v1/orders/${await submitted(mlaBody())}`, { token: handler })
      ).body.order;
      expect(ordinary.deadlines.rule).to.equal(null);
    });

    it('when vulnerable data are stated without a reason, or for another kind of request, then it is refused', async () => {
      const unreasoned = await submit(mlaBody({ dataVulnerable: true }));
      expect(unreasoned.status).to.equal(422);
      expect(unreasoned.body.errors).to.deep.equal([
        { pointer: '/vulnerabilityReason', reason: 'required_for_data_vulnerable' },
      ]);
      const preservation = await submit(
        art42Body({ dataVulnerable: true, vulnerabilityReason: 'Logs rotate' }),
      );
      expect(preservation.body.errors).to.deep.equal([
        { pointer: '/dataVulnerable', reason: 'only_for_mla' },
      ]);
    });
  });

  describe('the requester decides after an at-risk notice (Bud 29(6); row 9)', () => {
    const RISK = { reason: 'The provider overwrites these logs hourly: preservation may come too late' };

    it('when the requested side said preservation is at risk, then only the requester’s go-ahead lets it preserve again', async () => {
      const id = await submitted(art42Body());
      for (const to of ['under_assessment', 'ordered', 'preserved'])
        expect((await move(id, handler, to)).status, to).to.equal(200);
      // The requester decides on the risk it is told of, so the notice says what it is.
      const unexplained = await move(id, handler, 'at_risk_notified');
      expect([unexplained.status, unexplained.body.errors]).to.deep.equal([
        422,
        [{ pointer: '/reason', reason: 'the_risk_is_explained' }],
      ]);
      expect((await move(id, handler, 'at_risk_notified', RISK)).status).to.equal(200);
      const early = await move(id, handler, 'preserved');
      expect(early.status).to.equal(409);
      expect(early.body.code).to.equal('ORDER_TRANSITION_INVALID');
      // The central authority may record the requester's decision on its behalf (received by letter).
      const onBehalf = await move(id, handler, 'proceed_confirmed');
      expect(onBehalf.status, onBehalf.text).to.equal(200);
      // Told before anything is preserved (while assessing), the requester goes ahead and the data are ordered kept.
      const id2 = await submitted(art42Body());
      expect((await move(id2, handler, 'under_assessment')).status).to.equal(200);
      expect((await move(id2, handler, 'at_risk_notified', RISK)).status).to.equal(200);
      const told = await service.call('GET', `/v1/orders/${id2}/chain`, { token: partner });
      expect(revealed(told.body.entries.at(-1)).data).to.include({
        to: 'at_risk_notified',
        reason: RISK.reason,
      });
      const decided = await move(id2, partner, 'proceed_confirmed');
      expect(decided.status, decided.text).to.equal(200);
      expect(decided.body.order).to.include({ status: 'proceed_confirmed', statusOnly: true });
      expect((await move(id2, partner, 'ordered')).status).to.equal(403);
      expect((await move(id2, handler, 'ordered')).status).to.equal(200);
      const preserved = await move(id2, handler, 'preserved');
      expect(preserved.status, preserved.text).to.equal(200);
    });
  });

  describe('EPOC and EPOC-PR clarification (Reg. 2023/1543 Arts 10(5), 11(4), Annex III; row 52)', () => {
    it('when an EPOC-PR goes back for clarification, then the data stay preserved, its period runs on from receipt, and a clarified order is preserved again', async () => {
      const id = await submitted(epocBody('epoc_pr'));
      const asked = await move(id, handler, 'clarification_requested');
      expect(asked.status, asked.text).to.equal(200);
      const order = asked.body.order;
      expect(order.status).to.equal('clarification_requested');
      expect(order.deadlines.preservedAt).to.be.a('string');
      expect(order.deadlines.rule).to.equal('preservation_order_ends');
      // The 60 days from receipt, ended as Reg. 1182/71 Art. 3 ends them (the calendar rules have their own tests).
      const sinceReceipt = Date.parse(order.deadlines.at) - Date.parse(order.receivedAt);
      expect(sinceReceipt).to.be.within(60 * DAY, 64 * DAY);
      const clarified = await move(id, handler, 'preserved');
      expect(clarified.status, clarified.text).to.equal(200);
      expect(clarified.body.order.deadlines).to.deep.include({
        preservedAt: order.deadlines.preservedAt,
        at: order.deadlines.at,
      });
      const early = await move(id, handler, 'expired');
      expect(early.body.code).to.equal('ORDER_DEADLINE_NOT_REACHED');
    });

    it('when an EPOC goes back for clarification, then its production deadline waits, and it goes on as a received certificate once clarified', async () => {
      const id = await submitted(epocBody('epoc'));
      const asked = await move(id, handler, 'clarification_requested');
      expect(asked.status, asked.text).to.equal(200);
      expect(asked.body.order.deadlines.rule).to.equal(null);
      const unnotified = await move(id, handler, 'enforcing_confirmed');
      expect(unnotified.status).to.equal(409);
      expect(unnotified.body.code).to.equal('ORDER_TRANSITION_INVALID');
      const notified = await move(id, handler, 'enforcing_notified');
      expect(notified.status, notified.text).to.equal(200);
      expect(notified.body.order.deadlines.rule).to.equal('produce_by');
      expect((await move(id, handler, 'clarification_requested')).status).to.equal(200);
      // Notified before: production from clarification still waits for the enforcing authority's window.
      const early = await move(id, handler, 'produced');
      expect(early.status).to.equal(409);
      expect(early.body.code).to.equal('ORDER_DEADLINE_NOT_REACHED');
    });
  });

  describe('request forms (row 67)', () => {
    it('when a signed-in caller asks for the forms of a kind, then each direction lists its fields with their legal source and what happens when they lack', async () => {
      const response = await service.call('GET', '/v1/orders/templates/mla', { token: partner });
      expect(response.status, response.text).to.equal(200);
      expect(response.body.kind).to.equal('mla');
      const forms = Object.fromEntries(
        response.body.forms.map((form: { direction: string }) => [form.direction, form]),
      );
      expect(forms.incoming.whenLacking).to.equal('info_requested');
      expect(forms.outgoing.whenLacking).to.equal('refused');
      const sought = forms.incoming.fields.find(
        (field: { name: string }) => field.name === 'assistanceSought',
      );
      expect(sought).to.include({ required: true });
      expect(sought.source).to.match(/^UN 40\(15\)\(d\)/);
      const production = await service.call('GET', '/v1/orders/templates/production', { token: handler });
      const domestic = production.body.forms.find(
        (form: { direction: string }) => form.direction === 'domestic',
      );
      expect(domestic.whenLacking).to.equal('refused');
      expect(
        domestic.fields
          .filter((field: { required: boolean }) => field.required)
          .map((f: { name: string }) => f.name),
      ).to.include.members(['addresseeType', 'addressee', 'dataCategories', 'dataDescription', 'dataPeriod']);
    });

    it('when the forms of an unknown kind are asked for, then it is 400 INVALID_PARAMETER; without a token 401', async () => {
      const unknown = await service.call('GET', '/v1/orders/templates/extradition', { token: partner });
      expect(unknown.status).to.equal(400);
      expect(unknown.body.code).to.equal('INVALID_PARAMETER');
      const anonymous = await service.call('GET', '/v1/orders/templates/mla');
      expect(anonymous.status).to.equal(401);
    });
  });
});
