import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parseVerifierKey } from '../../src/ledger';
import { openBag, verifyBag } from '../../src/reports/bagit';
import { verifyReceipt } from '../../src/verify';
import { openCase, productionOrderBody, uploadItem } from '../support/fixtures';
import { art42Body, domesticPreservationBody, epocBody, mlaBody } from '../support/order-requests';
import { revealed } from '../support/revealed';
import {
  startTestService,
  type TestResponse,
  type TestService,
  uniqueAgency,
  uniqueSub,
} from '../support/service';

/**
 * The walk-throughs a legal review follows, through the API only: each party
 * acts with its own token, reads what it is owed at every step, and checks
 * every receipt it is given against the log's published keys.
 */
describe('legal walk-throughs', function () {
  this.timeout(120_000);
  let service: TestService;
  let dir: string;
  /** Azerbaijan's State Security Service: central authority and 24/7 point of contact. */
  const central = uniqueAgency('SSS');

  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: central });
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-walkthrough-'));
  });
  after(async () => {
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Every receipt a party was given, checked offline against the published keys before the test ends. */
  let receipts: string[];
  beforeEach(() => {
    receipts = [];
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'passed') return;
    const info = (await service.call('GET', '/v1/log/info')).body;
    const trust = {
      jwks: (await service.call('GET', '/.well-known/jwks.json')).body,
      logKey: parseVerifierKey(info.vkey),
    };
    for (const receipt of receipts) {
      const result = await verifyReceipt(receipt, trust);
      expect(result.reason, JSON.stringify(result.checks)).to.equal(undefined);
      expect(result.valid).to.equal(true);
    }
  });

  /** A write that must succeed with `status`; its receipt joins those checked at the end. */
  async function write(
    method: string,
    route: string,
    token: string,
    json: unknown,
    status = 200,
  ): Promise<TestResponse> {
    const response = await service.call(method, route, { token, json });
    expect(response.status, `${method} ${route}: ${response.text}`).to.equal(status);
    expect(response.body.receipt, `${route} gives a receipt`).to.be.a('string');
    receipts.push(response.body.receipt);
    return response;
  }

  const move = (id: string, token: string, to: string, extra: Record<string, unknown> = {}) =>
    write('POST', `/v1/orders/${id}/transitions`, token, { to, ...extra });

  /** What the requesting side sees of its request: the status view and the history owed to it. */
  async function requesterView(id: string, token: string) {
    const view = await service.call('GET', `/v1/orders/${id}`, { token });
    expect(view.status, view.text).to.equal(200);
    expect(view.body.order.statusOnly).to.equal(true);
    const chain = await service.call('GET', `/v1/orders/${id}/chain`, { token });
    expect(chain.status, chain.text).to.equal(200);
    return {
      order: view.body.order,
      history: (chain.body.entries as Parameters<typeof revealed>[0][]).map(revealed),
    };
  }

  it('when Germany asks Azerbaijan to preserve, then to disclose traffic data, then for the data, then each step is receipted, the requester follows it, and the package it receives verifies', async () => {
    const bka = await service.token(uniqueSub('bka'), uniqueAgency('DE'), 'partner');
    const desk = await service.token(uniqueSub('desk'), central, 'prosecutor', 'investigator');

    // Art. 42: the 24/7 point of contact receives the request; the receipt is the acknowledgement.
    const received = await write(
      'POST',
      '/v1/orders',
      bka,
      art42Body({
        dataToPreserve: 'Logs of host 203.0.113.7, 2026-11-01 to 2026-11-27',
        confidential: true,
        noUserNotification: true,
      }),
      201,
    );
    const preservation: string = received.body.order.id;
    let seen = await requesterView(preservation, bka);
    expect(seen.order).to.include({ status: 'received' });
    expect(seen.order.registryNumber).to.match(new RegExp(`^${central}/\\d{4}/IN/\\d{6}$`));
    expect(seen.order.deadlines.rule).to.equal('act_by');

    // Preservation: assessed, ordered, the custodian's copy taken into the case and linked.
    const caseId = await openCase(service, desk, 'Phishing kit, AzerHost');
    const logs = await uploadItem(service, desk, caseId, randomBytes(30_000));
    await move(preservation, desk, 'under_assessment');
    await move(preservation, desk, 'ordered');
    await write('POST', `/v1/orders/${preservation}/evidence`, desk, { evidenceId: logs }, 201);
    await move(preservation, desk, 'preserved');
    seen = await requesterView(preservation, bka);
    expect(seen.order).to.include({ status: 'preserved' });
    expect(seen.order.deadlines.rule).to.equal('preserve_at_least_until');
    expect(seen.history.map((entry) => entry.data.to ?? entry.type)).to.deep.equal([
      'order.received',
      'under_assessment',
      'ordered',
      'order.evidence_linked',
      'preserved',
    ]);

    // The domestic order through which the request is carried out here (UN 25(2) with 42(4)), in the same matter.
    const domestic: string = (
      await write(
        'POST',
        '/v1/orders',
        desk,
        domesticPreservationBody(caseId, {
          requestingAuthority: 'Prosecutor General of Azerbaijan',
          dataToPreserve: 'Logs of host 203.0.113.7, 2026-11-01 to 2026-11-27',
          relatedOrderId: preservation,
          relation: 'executes',
        }),
        201,
      )
    ).body.order.id;
    for (const to of ['under_assessment', 'ordered', 'preserved']) await move(domestic, desk, to);
    const handled = await service.call('GET', `/v1/orders/${preservation}/matter`, { token: desk });
    expect(handled.body.orders.map((o: { id: string }) => o.id)).to.have.members([preservation, domestic]);
    const standing = handled.body.orders.find((o: { id: string }) => o.id === preservation);
    expect(standing.execution.standing).to.be.oneOf(['in_force', 'renewal_needed']);

    // Art. 43: the path, two providers in two states, goes to the requester; no content, no subscriber data.
    const hops = [
      {
        provider: 'AzerHost LLC',
        country: 'AZ',
        from: '2026-11-20T08:00:00Z',
        until: '2026-11-20T09:00:00Z',
        fields: ['source_address', 'timestamps', 'next_hop_provider'],
      },
      {
        provider: 'Example Hosting B.V.',
        country: 'NL',
        from: '2026-11-20T08:00:00Z',
        until: '2026-11-20T09:00:00Z',
        fields: ['destination_address', 'route'],
      },
    ];
    await write(
      'POST',
      `/v1/orders/${preservation}/traffic-disclosures`,
      desk,
      { hops, contentDisclosed: false, subscriberDisclosed: false },
      201,
    );
    seen = await requesterView(preservation, bka);
    const traced = seen.history.at(-1);
    expect(traced?.type).to.equal('order.traffic_disclosed');
    expect(traced?.data).to.deep.include({
      hopCount: 2,
      contentDisclosed: false,
      subscriberDisclosed: false,
    });
    expect(traced?.data.hops).to.deep.equal(hops);
    // The requester is owed the path, not who traced it.
    expect(traced?.actor).to.not.have.property('sub');

    // Art. 44: the request for the data arrives at the central authority and holds the preserved data.
    const mla: string = (
      await write(
        'POST',
        '/v1/orders',
        bka,
        mlaBody({
          assistanceSought: 'The access logs preserved under the Art. 42 request, with their digests',
          relatedOrderId: preservation,
          relation: 'follows',
        }),
        201,
      )
    ).body.order.id;
    expect((await requesterView(mla, bka)).order).to.include({ status: 'received' });
    await move(preservation, desk, 'pending_mla_decision', { mlaOrderId: mla });
    expect((await requesterView(preservation, bka)).order.deadlines.rule).to.equal('preserve_until_decided');

    // Execution: a production order served on the provider here, then the data go to the requester in a
    // package under its own request, and nowhere else.
    for (const to of ['under_assessment', 'accepted', 'executing']) await move(mla, desk, to);
    expect((await requesterView(mla, bka)).order.status).to.equal('executing');
    const production: string = (
      await write(
        'POST',
        '/v1/orders',
        desk,
        {
          ...productionOrderBody(caseId),
          relatedOrderId: mla,
          relation: 'executes',
          requestedBy: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        },
        201,
      )
    ).body.order.id;
    await move(production, desk, 'served');
    const produced = await uploadItem(service, desk, caseId, randomBytes(25_000));
    await write('POST', `/v1/orders/${production}/evidence`, desk, { evidenceId: produced }, 201);
    await move(production, desk, 'produced');
    for (const item of [logs, produced])
      await write('POST', `/v1/orders/${mla}/evidence`, desk, { evidenceId: item }, 201);
    await move(mla, desk, 'executed');
    await move(preservation, desk, 'produced');
    const bkaAgency = seen.order.submittedByAgency as string;
    const disclosure = await write(
      'POST',
      `/v1/cases/${caseId}/disclosures`,
      desk,
      {
        recipientAgency: bkaAgency,
        evidenceIds: [logs, produced],
        orderId: mla,
        conditions: 'Speciality: use only in proceedings 4711 Js 1/26',
      },
      201,
    );
    expect((await requesterView(mla, bka)).order.status).to.equal('executed');
    expect((await requesterView(preservation, bka)).order.status).to.equal('produced');
    // The requester's matter is its own two requests, as status views: not the orders that carried them out.
    const theirs = await service.call('GET', `/v1/orders/${preservation}/matter`, { token: bka });
    expect(theirs.status).to.equal(200);
    expect(
      theirs.body.orders.map((o: { id: string; statusOnly: boolean }) => [o.id, o.statusOnly]),
    ).to.have.deep.members([
      [preservation, true],
      [mla, true],
    ]);

    const packageResponse = await fetch(
      new URL(`/v1/disclosures/${disclosure.body.disclosure.id}/package`, service.url),
      { headers: { authorization: `Bearer ${bka}` } },
    );
    expect(packageResponse.status).to.equal(200);
    const file = path.join(dir, 'de-package.zip');
    await writeFile(file, Buffer.from(await packageResponse.arrayBuffer()));
    const bag = await openBag(file);
    try {
      const { checks } = await verifyBag(bag);
      expect(checks.filter((check) => !check.ok)).to.deep.equal([]);
    } finally {
      bag.close();
    }
  });

  it('when Azerbaijan asks the Netherlands to preserve and then for the data, then its requests carry what the Netherlands needs, every answer is receipted, and data received under "no onward transfer" do not go on to a third state', async () => {
    const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
    const caseId = await openCase(service, prosecutor, 'Servers in Amsterdam');
    const outgoing = {
      direction: 'outgoing',
      caseId,
      requestingState: 'AZ',
      requestedState: 'NL',
      requestingAuthority: 'Prosecutor General of Azerbaijan',
      offence: 'Computer fraud (Criminal Code of Azerbaijan, Art. 273-1)',
      factsSummary: 'Phishing proceeds laundered through accounts hosted in Amsterdam',
      conductingAuthority: 'Prosecutor General of Azerbaijan, cybercrime department',
    };
    const preservationRequest = {
      ...outgoing,
      kind: 'preservation',
      legalBasis: { instrument: 'UNCC', article: '42' },
      channel: '24/7',
      urgency: 'urgent',
      dataToPreserve: 'Account and access logs of mail.example.nl, 2026-10-01 to 2026-11-27',
      relationToOffence: 'The phishing mails were sent from this account',
      custodian: 'Example Hosting B.V.',
      necessity: 'Access logs are deleted after 30 days',
      intendsMla: true,
    };

    // Without what Art. 42(3) requires, the Netherlands could not act: refused before anything is recorded.
    const { necessity: _, ...incomplete } = preservationRequest;
    const refused = await service.call('POST', '/v1/orders', { token: prosecutor, json: incomplete });
    expect(refused.status).to.equal(422);
    expect(refused.body.errors).to.deep.include({ pointer: '/necessity', reason: 'required_by_art_42' });

    const preservation: string = (await write('POST', '/v1/orders', prosecutor, preservationRequest, 201))
      .body.order.id;
    const ours = (await service.call('GET', `/v1/orders/${preservation}`, { token: prosecutor })).body.order;
    expect(ours.registryNumber).to.match(new RegExp(`^${central}/\\d{4}/OUT/\\d{6}$`));
    // The Netherlands' answers, as the desk records them.
    for (const to of ['under_assessment', 'ordered', 'preserved']) await move(preservation, prosecutor, to);

    const mla: string = (
      await write(
        'POST',
        '/v1/orders',
        prosecutor,
        {
          ...outgoing,
          kind: 'mla',
          legalBasis: { instrument: 'UNCC', article: '44' },
          channel: 'central_authority',
          assistanceSought: 'Production of the preserved account and access logs',
          purpose: 'Evidence in the criminal proceedings in Baku',
          onwardTransferAllowed: false,
        },
        201,
      )
    ).body.order.id;
    await move(preservation, prosecutor, 'pending_mla_decision', { mlaOrderId: mla });
    for (const to of ['under_assessment', 'accepted', 'executing']) await move(mla, prosecutor, to);
    // The Netherlands' production arrives and enters the case under the request that obtained it.
    const received = await uploadItem(service, prosecutor, caseId, randomBytes(20_000));
    await write('POST', `/v1/orders/${mla}/evidence`, prosecutor, { evidenceId: received }, 201);
    await move(mla, prosecutor, 'executed');
    await move(preservation, prosecutor, 'produced');

    // The United States ask for the same data: the supplier's condition refuses it.
    const usAgency = uniqueAgency('US');
    const fbi = await service.token(uniqueSub('fbi'), usAgency, 'partner');
    const usRequest = (
      await write(
        'POST',
        '/v1/orders',
        fbi,
        {
          kind: 'mla',
          direction: 'incoming',
          legalBasis: { instrument: 'UNCC', article: '44' },
          requestingState: 'US',
          requestedState: 'AZ',
          requestingAuthority: 'US Department of Justice, OIA',
          channel: 'central_authority',
          offence: 'Wire fraud',
          conductingAuthority: 'US Attorney, Southern District of New York',
          factsSummary: 'The same phishing campaign',
          assistanceSought: 'The logs Azerbaijan obtained from the Netherlands',
          purpose: 'Evidence at trial',
        },
        201,
      )
    ).body.order.id;
    for (const to of ['under_assessment', 'accepted', 'executing']) await move(usRequest, prosecutor, to);
    await write('POST', `/v1/orders/${usRequest}/evidence`, prosecutor, { evidenceId: received }, 201);
    await move(usRequest, prosecutor, 'executed');
    const onward = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json: { recipientAgency: usAgency, evidenceIds: [received], orderId: usRequest },
    });
    expect(onward.status).to.equal(409);
    expect(onward.body.code).to.equal('CONDITION_FORBIDS');
  });

  describe('under Regulation 2023/1543, at a service provider', () => {
    /** The provider's deployment: it receives EU orders (Reg. Art. 7), so EU kinds apply to it. */
    let outside: TestService;
    before(async () => {
      outside = service;
      service = await startTestService({ CENTRAL_AUTHORITY: central, EU_ROLES: 'service_provider' });
    });
    after(async () => {
      await service.stop();
      service = outside;
    });

    /** A German issuing authority's certificate to the provider, with the contents Annexes I and II ask for. */
    function certificate(kind: 'epoc' | 'epoc_pr', extra: Record<string, unknown> = {}) {
      return epocBody(kind, {
        addressee: 'AzerHost LLC, through its legal representative in Amsterdam',
        dataCategories: ['traffic'],
        dataDescription: 'Connection logs of mailbox victim@example.az, 2026-11-01 to 2026-11-27',
        offence: 'Extortion (StGB § 253)',
        ...extra,
      });
    }

    it('when an emergency EPOC is produced at once and the enforcing authority then objects within its 96 hours, then the data must be deleted or restricted, nothing more is handed over, and the issuing authority reads why', async () => {
      const issuer = await service.token(uniqueSub('sta'), uniqueAgency('DE'), 'partner');
      const enforcingAgency = uniqueAgency('NL');
      const enforcer = await service.token(uniqueSub('om'), enforcingAgency, 'partner');
      const provider = await service.token(uniqueSub('desk'), central, 'prosecutor', 'investigator');

      const epoc: string = (
        await write(
          'POST',
          '/v1/orders',
          issuer,
          certificate('epoc', {
            urgency: 'emergency',
            urgencyJustification: 'Imminent threat to the life of the victim (Art. 10(4))',
            enforcingAgency,
          }),
          201,
        )
      ).body.order.id;
      let seen = await requesterView(epoc, issuer);
      expect(seen.order.deadlines.rule).to.equal('produce_by');
      expect(Date.parse(seen.order.deadlines.at) - Date.parse(seen.order.receivedAt)).to.equal(8 * 3_600_000);

      // The provider records the notification (Art. 8) and, in an emergency, produces at once.
      await move(epoc, provider, 'enforcing_notified');
      const notified = await service.call('GET', `/v1/orders/${epoc}`, { token: enforcer });
      expect(notified.status).to.equal(200);
      expect(notified.body.order).to.include({ status: 'enforcing_notified', statusOnly: true });
      const caseId = await openCase(service, provider, 'EPOC from Köln');
      const logs = await uploadItem(service, provider, caseId, randomBytes(10_000));
      await write('POST', `/v1/orders/${epoc}/evidence`, provider, { evidenceId: logs }, 201);
      await move(epoc, provider, 'produced');
      const issuerAgency = seen.order.submittedByAgency as string;
      await write(
        'POST',
        `/v1/cases/${caseId}/disclosures`,
        provider,
        { recipientAgency: issuerAgency, evidenceIds: [logs], orderId: epoc },
        201,
      );

      // Only the enforcing authority objects; another state's authority does not even see the order.
      const stranger = await service.token(uniqueSub('x'), uniqueAgency('FR'), 'partner');
      const objection = {
        to: 'deletion_or_restriction_required',
        reasonCode: 'FUNDAMENTAL_RIGHTS',
        reason: 'Manifest breach of the right to private life (Art. 12(1)(b))',
      };
      const byStranger = await service.call('POST', `/v1/orders/${epoc}/transitions`, {
        token: stranger,
        json: objection,
      });
      expect(byStranger.status).to.equal(404);
      const byIssuer = await service.call('POST', `/v1/orders/${epoc}/transitions`, {
        token: issuer,
        json: objection,
      });
      expect([byIssuer.status, byIssuer.body.code]).to.deep.equal([403, 'FORBIDDEN_ROLE']);
      await write('POST', `/v1/orders/${epoc}/transitions`, enforcer, objection);

      seen = await requesterView(epoc, issuer);
      expect(seen.order.status).to.equal('deletion_or_restriction_required');
      const objected = seen.history.at(-1);
      expect(objected?.data).to.deep.include({
        from: 'produced',
        to: 'deletion_or_restriction_required',
        reasonCode: 'FUNDAMENTAL_RIGHTS',
        reason: objection.reason,
      });
      expect(objected?.actor).to.include({ agency: enforcingAgency });
      // The data may not go out again under this order.
      const again = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: provider,
        json: { recipientAgency: issuerAgency, evidenceIds: [logs], orderId: epoc },
      });
      expect([again.status, again.body.code]).to.deep.equal([409, 'LEGAL_BASIS_INVALID']);
    });

    it('when an EPOC-PR is preserved, then extended and confirmed by its issuing authority, then the data stay until produced and the issuer follows each step', async () => {
      const issuer = await service.token(uniqueSub('sta'), uniqueAgency('DE'), 'partner');
      const provider = await service.token(uniqueSub('desk'), central, 'prosecutor', 'investigator');
      const pr: string = (await write('POST', '/v1/orders', issuer, certificate('epoc_pr'), 201)).body.order
        .id;
      await move(pr, provider, 'preserved');
      let seen = await requesterView(pr, issuer);
      expect(seen.order.status).to.equal('preserved');
      expect(seen.order.deadlines.rule).to.equal('preservation_order_ends');
      const sixty = Date.parse(seen.order.deadlines.at);

      // The extension is the issuing authority's act (Annex VI), within the 60 days, and on the record as its own.
      await move(pr, issuer, 'extended');
      seen = await requesterView(pr, issuer);
      expect(Date.parse(seen.order.deadlines.at)).to.be.greaterThan(sixty);
      expect(seen.history.at(-1)?.actor).to.include({ agency: seen.order.submittedByAgency });

      // Annex V: production is confirmed, so the data are kept until produced, whatever the period.
      await move(pr, issuer, 'production_confirmed');
      seen = await requesterView(pr, issuer);
      expect(seen.order.status).to.equal('production_confirmed');
      expect(seen.order.deadlines.untilDecided).to.equal(true);
      await move(pr, provider, 'produced');
      seen = await requesterView(pr, issuer);
      // The provider's own record of having produced: no other issuing authority can move it.
      const other = await service.token(uniqueSub('sta'), uniqueAgency('DE'), 'partner');
      const foreign = await service.call('POST', `/v1/orders/${pr}/transitions`, {
        token: other,
        json: { to: 'closed' },
      });
      expect(foreign.status).to.equal(404);
      expect(seen.history.map((entry) => entry.data.to ?? entry.type)).to.deep.equal([
        'order.received',
        'preserved',
        'extended',
        'production_confirmed',
        'produced',
      ]);
    });
  });
});
