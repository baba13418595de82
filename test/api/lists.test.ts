import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { executedRequestFor, openCase, productionOrderBody, uploadItem } from '../support/fixtures';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/** Every page of a listing as `token` reads it, `limit` at a time: the ids in order, and how many pages. */
async function allPages(
  service: TestService,
  token: string,
  route: string,
  limit: number,
  idOf: (item: never) => string = (item: { id: string }) => item.id,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  let cursor: string | null = null;
  const separator = route.includes('?') ? '&' : '?';
  do {
    const query: string = `${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await service.call('GET', `${route}${query}`, { token });
    expect(page.status, page.text).to.equal(200);
    expect(page.body.items.length).to.be.at.most(limit);
    ids.push(...page.body.items.map(idOf));
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor);
  return { ids, pages };
}

/** How many audit entries name this request, and the object the first names. */
async function auditOf(requestId: string): Promise<{ n: number; object: unknown }> {
  const rows = await testDatabase().db.query(
    `SELECT convert_from(leaf_data, 'UTF8')::jsonb #> '{data,object}' AS object FROM log_entries
      WHERE subject_type = 'audit' AND convert_from(leaf_data, 'UTF8')::jsonb #>> '{data,requestId}' = $1`,
    [requestId],
  );
  return { n: rows.length, object: rows[0]?.object };
}

describe('the lists a console needs', function () {
  this.timeout(120_000);
  let service: TestService;
  /** The central authority: it receives the partners' requests and discloses under them. */
  const central = uniqueAgency('SSS');
  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: central });
  });
  after(async () => {
    await service.stop();
  });

  describe('GET /v1/disclosures', () => {
    let prosecutor: string;
    let caseId: string;
    let otherCaseId: string;
    const partnerAgency = uniqueAgency('DE');
    const otherPartnerAgency = uniqueAgency('FR');
    /** Disclosures to the first partner, oldest first; then one of another case to the second. */
    const toPartner: string[] = [];
    let toOther: string;
    /** The partner's executed request the disclosures to it answer. */
    let partnerOrder: string;

    async function disclose(inCase: string, recipient: string, evidenceId: string, orderId: string) {
      const created = await service.call('POST', `/v1/cases/${inCase}/disclosures`, {
        token: prosecutor,
        json: { recipientAgency: recipient, evidenceIds: [evidenceId], orderId, conditions: 'Speciality' },
      });
      expect(created.status, created.text).to.equal(201);
      return created.body.disclosure.id as string;
    }

    before(async () => {
      prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
      caseId = await openCase(service, prosecutor, 'Disclosing case');
      const item = await uploadItem(service, prosecutor, caseId);
      const order = await executedRequestFor(service, prosecutor, partnerAgency, [item]);
      partnerOrder = order;
      for (let i = 0; i < 3; i++) toPartner.push(await disclose(caseId, partnerAgency, item, order));
      otherCaseId = await openCase(service, prosecutor, 'Second case');
      const otherItem = await uploadItem(service, prosecutor, otherCaseId);
      const otherOrder = await executedRequestFor(service, prosecutor, otherPartnerAgency, [otherItem]);
      toOther = await disclose(otherCaseId, otherPartnerAgency, otherItem, otherOrder);
    });

    it('when a member pages through its disclosures, then it gets every one once, newest first, each as the single view shows it', async () => {
      const { ids, pages } = await allPages(service, prosecutor, '/v1/disclosures', 2);
      expect(ids).to.deep.equal([toOther, ...[...toPartner].reverse()]);
      expect(pages).to.equal(2);
      const listed = await service.call('GET', '/v1/disclosures?limit=1', { token: prosecutor });
      const single = await service.call('GET', `/v1/disclosures/${toOther}`, { token: prosecutor });
      expect(listed.body.items).to.deep.equal([single.body.disclosure]);
      expect(listed.body.items[0]).to.include({ caseId: otherCaseId, recipientAgency: otherPartnerAgency });
    });

    it('when a member filters by case and direction, then only that case’s disclosures it sent are listed, and nothing as received', async () => {
      const ofCase = await allPages(service, prosecutor, `/v1/disclosures?caseId=${caseId}`, 10);
      expect(ofCase.ids).to.deep.equal([...toPartner].reverse());
      const sent = await allPages(service, prosecutor, '/v1/disclosures?direction=sent', 10);
      expect(sent.ids).to.deep.equal([toOther, ...[...toPartner].reverse()]);
      const received = await service.call('GET', '/v1/disclosures?direction=received', { token: prosecutor });
      expect(received.body).to.deep.equal({ items: [], nextCursor: null });
    });

    it('when a partner lists, then it sees only what its own agency received, without the case or who disclosed, and filters by case as if the case did not exist', async () => {
      const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
      const { ids } = await allPages(service, partner, '/v1/disclosures', 2);
      expect(ids).to.deep.equal([...toPartner].reverse());
      const page = await service.call('GET', '/v1/disclosures?direction=received&limit=1', {
        token: partner,
      });
      const single = await service.call('GET', `/v1/disclosures/${toPartner[2]}`, { token: partner });
      expect(page.body.items).to.deep.equal([single.body.disclosure]);
      expect(page.body.items[0]).to.not.have.any.keys('caseId', 'createdBy');
      const sent = await service.call('GET', '/v1/disclosures?direction=sent', { token: partner });
      expect(sent.body.items).to.deep.equal([]);
      // A partner is never a member: naming the disclosing case is naming an unknown one.
      const byCase = await service.call('GET', `/v1/disclosures?caseId=${caseId}`, { token: partner });
      const byAbsent = await service.call('GET', `/v1/disclosures?caseId=${randomUUID()}`, {
        token: partner,
      });
      expect([byCase.status, byCase.body.code]).to.deep.equal([404, 'NOT_FOUND']);
      expect({ ...byCase.body, requestId: null }).to.deep.equal({ ...byAbsent.body, requestId: null });
      // A colleague of the recipient agency in another role holds no disclosure.
      const investigator = await service.token(uniqueSub('inv'), partnerAgency, 'investigator');
      expect(
        (await service.call('GET', '/v1/disclosures', { token: investigator })).body.items,
      ).to.deep.equal([]);
    });

    it('when disclosures are listed, then each carries its order’s kind, legal basis and status only for a reader who may know that order', async () => {
      const view = (await service.call('GET', `/v1/orders/${partnerOrder}`, { token: prosecutor })).body
        .order;
      const summary = {
        id: partnerOrder,
        registryNumber: view.registryNumber,
        kind: 'mla',
        legalBasis: { instrument: 'UNCC', article: '44' },
        status: 'executed',
      };
      expect(view.registryNumber).to.be.a('string');
      const orders = async (token: string, query = '') =>
        (await service.call('GET', `/v1/disclosures${query}`, { token })).body.items.map(
          (item: { id: string; orderId: string; order?: unknown }) => [item.id, item.orderId, item.order],
        );
      // The handling desk, a member of the disclosing case, knows the order.
      expect(await orders(prosecutor, `?caseId=${caseId}`)).to.deep.equal(
        [...toPartner].reverse().map((id) => [id, partnerOrder, summary]),
      );
      // The requesting agency knows its own request through its status view.
      const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
      expect(await orders(partner)).to.deep.equal(
        [...toPartner].reverse().map((id) => [id, partnerOrder, summary]),
      );
      // A court granted the case reads its disclosures, but an incoming request outside its case is no order of its.
      const courtAgency = uniqueAgency('C');
      const granted = await service.call('POST', `/v1/cases/${caseId}/grants`, {
        token: prosecutor,
        json: { agency: courtAgency, role: 'court' },
      });
      expect(granted.status, granted.text).to.equal(201);
      const court = await service.token(uniqueSub('judge'), courtAgency, 'court');
      expect((await service.call('GET', `/v1/orders/${partnerOrder}`, { token: court })).status).to.equal(
        404,
      );
      expect(await orders(court)).to.deep.equal(
        [...toPartner].reverse().map((id) => [id, partnerOrder, undefined]),
      );
      const single = await service.call('GET', `/v1/disclosures/${toPartner[0]}`, { token: court });
      expect(single.body.disclosure).to.include({ orderId: partnerOrder }).and.not.have.property('order');
    });

    it('when a stranger lists, then it sees nothing, and naming a case it may not know is 404 on the record against that case', async () => {
      const stranger = await service.token(uniqueSub('eve'), uniqueAgency(), 'prosecutor', 'partner');
      expect((await service.call('GET', '/v1/disclosures', { token: stranger })).body).to.deep.equal({
        items: [],
        nextCursor: null,
      });
      const colleague = await service.token(uniqueSub('col'), central, 'prosecutor');
      const refused = await service.call('GET', `/v1/disclosures?caseId=${caseId}`, { token: colleague });
      expect([refused.status, refused.body.code]).to.deep.equal([404, 'NOT_FOUND']);
      expect(await auditOf(refused.headers.get('x-request-id') as string)).to.deep.equal({
        n: 1,
        object: { type: 'case', id: caseId },
      });
      const read = await service.call('GET', `/v1/disclosures?caseId=${caseId}`, { token: prosecutor });
      expect(await auditOf(read.headers.get('x-request-id') as string)).to.deep.equal({
        n: 1,
        object: { type: 'case', id: caseId },
      });
    });

    it('when a disclosure is revoked, then it leaves the partner’s list and stays in the members’', async () => {
      const partner = await service.token(uniqueSub('bka'), otherPartnerAgency, 'partner');
      expect((await allPages(service, partner, '/v1/disclosures', 5)).ids).to.deep.equal([toOther]);
      const revoked = await service.call('DELETE', `/v1/disclosures/${toOther}`, { token: prosecutor });
      expect(revoked.status, revoked.text).to.equal(200);
      expect((await allPages(service, partner, '/v1/disclosures', 5)).ids).to.deep.equal([]);
      const members = await service.call('GET', `/v1/disclosures?caseId=${otherCaseId}`, {
        token: prosecutor,
      });
      expect(
        members.body.items.map((item: { id: string; revokedAt: string | null }) => item.id),
      ).to.deep.equal([toOther]);
      expect(members.body.items[0].revokedAt).to.be.a('string');
    });

    for (const query of ['?limit=0', '?cursor=bm9wZQ', '?direction=both', '?caseId=nope', '?colour=blue']) {
      it(`when the disclosures are listed with ${query}, then the answer is 400 INVALID_PARAMETER`, async () => {
        const response = await service.call('GET', `/v1/disclosures${query}`, { token: prosecutor });
        expect([response.status, response.body.code]).to.deep.equal([400, 'INVALID_PARAMETER']);
      });
    }
  });

  describe('GET /v1/cases?q=', () => {
    let investigator: string;
    let agency: string;

    async function openTitled(token: string, reference: string, title: string) {
      const response = await service.call('POST', '/v1/cases', { token, json: { reference, title } });
      expect(response.status, response.text).to.equal(201);
      return response.body.case.id as string;
    }

    before(async () => {
      agency = uniqueAgency();
      investigator = await service.token(uniqueSub('alice'), agency, 'investigator');
    });

    it('when the search holds % or _, then they match only themselves, and case is ignored', async () => {
      const percent = await openTitled(investigator, `Q-${randomUUID()}`, 'Fraud 100% refunded');
      const underscore = await openTitled(investigator, 'AZ_2026_Q7', 'Ransomware');
      const plain = await openTitled(investigator, `Q-${randomUUID()}`, 'Fraud 1000 refunded');
      const lookup = async (q: string) =>
        (await allPages(service, investigator, `/v1/cases?q=${encodeURIComponent(q)}`, 10)).ids;
      expect(await lookup('0% REF')).to.deep.equal([percent]);
      expect(await lookup('az_2026')).to.deep.equal([underscore]);
      expect(await lookup('AZ%2026')).to.deep.equal([]);
      expect(await lookup('z_2')).to.deep.equal([underscore]);
      expect((await lookup('fraud 10')).sort()).to.deep.equal([percent, plain].sort());
      expect(await lookup('\\')).to.deep.equal([]);
    });

    it('when more cases match than the limit, then the search pages like the listing', async () => {
      const marker = `M${randomUUID().slice(0, 8)}`;
      const matching: string[] = [];
      for (let i = 0; i < 3; i++)
        matching.push(await openTitled(investigator, `R-${randomUUID()}`, `${marker} ${i}`));
      await openTitled(investigator, `R-${randomUUID()}`, 'Unrelated');
      const { ids, pages } = await allPages(service, investigator, `/v1/cases?q=${marker.toLowerCase()}`, 2);
      expect(ids).to.deep.equal([...matching].reverse());
      expect(pages).to.equal(2);
    });

    it('when a colleague searches for a case it is not a member of, then the search finds nothing', async () => {
      const reference = `SECRET-${randomUUID()}`;
      await openTitled(investigator, reference, 'Sensitive');
      const colleague = await service.token(uniqueSub('bob'), agency, 'investigator', 'prosecutor');
      const stranger = await service.token(uniqueSub('eve'), uniqueAgency(), 'investigator');
      for (const token of [colleague, stranger]) {
        const response = await service.call('GET', `/v1/cases?q=${reference}`, { token });
        expect(response.body).to.deep.equal({ items: [], nextCursor: null });
      }
    });

    for (const q of ['', '%20%20', 'x'.repeat(201)]) {
      it(`when the search is ${q.length > 10 ? `${q.length} characters` : `"${q}"`}, then the answer is 400 INVALID_PARAMETER at /q`, async () => {
        const response = await service.call('GET', `/v1/cases?q=${q}`, { token: investigator });
        expect([response.status, response.body.code, response.body.errors[0].pointer]).to.deep.equal([
          400,
          'INVALID_PARAMETER',
          '/q',
        ]);
      });
    }
  });

  describe('GET /v1/transfers', () => {
    it('when an item is sent to a store’s custodians, then it is in their inbox and the sender’s list until one acknowledges it', async () => {
      const agency = uniqueAgency();
      const store = uniqueAgency('STORE');
      const investigator = await service.token(uniqueSub('alice'), agency, 'investigator');
      const custodian = await service.token(uniqueSub('carla'), store, 'custodian');
      const storeInvestigator = await service.token(uniqueSub('ivan'), store, 'investigator');
      const stranger = await service.token(uniqueSub('eve'), uniqueAgency(), 'custodian');
      const caseId = await openCase(service, investigator);
      const items = [];
      for (let i = 0; i < 3; i++) items.push(await uploadItem(service, investigator, caseId));
      for (const id of items) {
        const sent = await service.call('POST', `/v1/evidence/${id}/events`, {
          token: investigator,
          json: { type: 'custody.transferred', purpose: 'to the store', counterparty: { agency: store } },
        });
        expect(sent.status, sent.text).to.equal(201);
      }

      const inbox = await allPages(
        service,
        custodian,
        '/v1/transfers',
        2,
        (item: { evidence: { id: string } }) => item.evidence.id,
      );
      expect(inbox).to.deep.equal({ ids: [...items].reverse(), pages: 2 });
      const page = await service.call('GET', '/v1/transfers?limit=1', { token: custodian });
      const [first] = page.body.items;
      expect(first.evidence).to.include({ id: items[2], caseId });
      expect(first.evidence.custody).to.deep.include({
        status: 'in_transit',
        transferTo: { agency: store, sub: null },
      });
      expect(Date.parse(first.transferredAt)).to.be.a('number').and.not.NaN;
      const audit = await auditOf(page.headers.get('x-request-id') as string);
      expect(audit).to.deep.equal({ n: 1, object: { type: 'transfer-list', id: store } });
      const sending = await allPages(
        service,
        investigator,
        '/v1/transfers?side=sending',
        10,
        (item: { evidence: { id: string } }) => item.evidence.id,
      );
      expect(sending.ids).to.deep.equal([...items].reverse());

      // Named as a whole agency: its custodians receive, not its other roles; and no one else.
      for (const token of [storeInvestigator, stranger, investigator]) {
        expect((await service.call('GET', '/v1/transfers', { token })).body).to.deep.equal({
          items: [],
          nextCursor: null,
        });
      }
      expect(
        (await service.call('GET', '/v1/transfers?side=sending', { token: custodian })).body.items,
      ).to.deep.equal([]);

      const received = await service.call('POST', `/v1/evidence/${items[1]}/events`, {
        token: custodian,
        json: { type: 'custody.received', purpose: 'into the store' },
      });
      expect(received.status, received.text).to.equal(201);
      const after = await allPages(
        service,
        custodian,
        '/v1/transfers',
        10,
        (item: { evidence: { id: string } }) => item.evidence.id,
      );
      expect(after.ids).to.deep.equal([items[2], items[0]]);
      const stillSending = await allPages(
        service,
        investigator,
        '/v1/transfers?side=sending',
        10,
        (item: { evidence: { id: string } }) => item.evidence.id,
      );
      expect(stillSending.ids).to.deep.equal([items[2], items[0]]);
    });

    it('when items are in transit, then each row carries the transfer’s purpose only for a reader who receives that field of the entry', async () => {
      const agency = uniqueAgency();
      const store = uniqueAgency('STORE');
      const investigator = await service.token(uniqueSub('alice'), agency, 'investigator');
      const memberSub = uniqueSub('carla');
      const member = await service.token(memberSub, agency, 'custodian');
      const outsider = await service.token(uniqueSub('sam'), store, 'custodian');
      const caseId = await openCase(service, investigator);
      const granted = await service.call('POST', `/v1/cases/${caseId}/grants`, {
        token: investigator,
        json: { agency, sub: memberSub, role: 'custodian' },
      });
      expect(granted.status, granted.text).to.equal(201);
      const toMember = await uploadItem(service, investigator, caseId);
      const toStore = await uploadItem(service, investigator, caseId);
      for (const [id, counterparty, purpose] of [
        [toMember, { agency, sub: memberSub }, 'for imaging'],
        [toStore, { agency: store }, 'for long-term storage'],
      ] as const) {
        const sent = await service.call('POST', `/v1/evidence/${id}/events`, {
          token: investigator,
          json: { type: 'custody.transferred', purpose, counterparty },
        });
        expect(sent.status, sent.text).to.equal(201);
      }
      const rows = async (token: string, side = 'receiving') =>
        (await service.call('GET', `/v1/transfers?side=${side}`, { token })).body.items.map(
          (row: { evidence: { id: string }; purpose?: string }) => [row.evidence.id, row.purpose],
        );

      // A member of the case receives every withheld field; a store outside it receives none of them.
      expect(await rows(member)).to.deep.equal([[toMember, 'for imaging']]);
      expect(await rows(outsider)).to.deep.equal([[toStore, undefined]]);
      expect(await rows(investigator, 'sending')).to.deep.equal([
        [toStore, 'for long-term storage'],
        [toMember, 'for imaging'],
      ]);
      const chain = await service.call('GET', `/v1/evidence/${toStore}/chain`, { token: outsider });
      expect(chain.status, chain.text).to.equal(200);
      expect(chain.body.entries.at(-1).disclosures).to.deep.equal([]);
    });

    it('when an item is sent to one person, then only that person sees it, whatever the roles of its colleagues', async () => {
      const agency = uniqueAgency();
      const lab = uniqueAgency('LAB');
      const investigator = await service.token(uniqueSub('alice'), agency, 'investigator');
      const analyst = uniqueSub('lab');
      const caseId = await openCase(service, investigator);
      const id = await uploadItem(service, investigator, caseId);
      const sent = await service.call('POST', `/v1/evidence/${id}/events`, {
        token: investigator,
        json: {
          type: 'custody.transferred',
          purpose: 'analysis',
          counterparty: { agency: lab, sub: analyst },
        },
      });
      expect(sent.status, sent.text).to.equal(201);
      const named = await service.token(analyst, lab, 'investigator');
      const labCustodian = await service.token(uniqueSub('carla'), lab, 'custodian');
      const listed = await service.call('GET', '/v1/transfers', { token: named });
      expect(listed.body.items.map((item: { evidence: { id: string } }) => item.evidence.id)).to.deep.equal([
        id,
      ]);
      expect((await service.call('GET', '/v1/transfers', { token: labCustodian })).body.items).to.deep.equal(
        [],
      );
    });

    for (const query of ['?side=both', '?limit=101', '?cursor=bm9wZQ']) {
      it(`when the transfers are listed with ${query}, then the answer is 400 INVALID_PARAMETER`, async () => {
        const token = await service.token(uniqueSub('carla'), uniqueAgency(), 'custodian');
        const response = await service.call('GET', `/v1/transfers${query}`, { token });
        expect([response.status, response.body.code]).to.deep.equal([400, 'INVALID_PARAMETER']);
      });
    }
  });

  describe('GET /v1/orders', () => {
    let prosecutor: string;
    let caseId: string;
    /** Orders of the case by deadline: lapsed, soon, later, none (twice, newest first). */
    let byDeadline: string[];
    let otherCaseOrder: string;

    async function order(inCase: string, requestedBy?: string) {
      const response = await service.call('POST', '/v1/orders', {
        token: prosecutor,
        json: { ...productionOrderBody(inCase), ...(requestedBy ? { requestedBy } : {}) },
      });
      expect(response.status, response.text).to.equal(201);
      return response.body.order.id as string;
    }

    before(async () => {
      prosecutor = await service.token(uniqueSub('pros'), uniqueAgency(), 'prosecutor');
      caseId = await openCase(service, prosecutor);
      const day = 86_400_000;
      const later = await order(caseId, new Date(Date.now() + 9 * day).toISOString());
      const none1 = await order(caseId);
      const lapsed = await order(caseId, new Date(Date.now() - day).toISOString());
      const none2 = await order(caseId);
      const soon = await order(caseId, new Date(Date.now() + day).toISOString());
      byDeadline = [lapsed, soon, later, none2, none1];
      otherCaseOrder = await order(
        await openCase(service, prosecutor),
        new Date(Date.now() - 2 * day).toISOString(),
      );
    });

    it('when the orders of a case are paged by deadline, then lapsed come first, then the nearest, those without one last', async () => {
      const { ids, pages } = await allPages(
        service,
        prosecutor,
        `/v1/orders?caseId=${caseId}&sort=deadline`,
        2,
      );
      expect(ids).to.deep.equal(byDeadline);
      expect(pages).to.equal(3);
      const whole = await allPages(service, prosecutor, `/v1/orders?caseId=${caseId}`, 100);
      expect(whole).to.deep.equal({ ids: byDeadline, pages: 1 });
    });

    it('when the orders are paged newest first, then every order of the caller’s side comes once in creation order reversed', async () => {
      const { ids } = await allPages(service, prosecutor, `/v1/orders?caseId=${caseId}&sort=newest`, 2);
      expect(ids).to.have.length(5);
      expect(ids[0]).to.equal(byDeadline[1]);
      expect(ids.at(-1)).to.equal(byDeadline[2]);
      const all = await allPages(service, prosecutor, '/v1/orders?sort=newest', 4);
      expect(all.ids).to.deep.equal([otherCaseOrder, ...ids]);
      const due = await allPages(
        service,
        prosecutor,
        `/v1/orders?dueBefore=${encodeURIComponent(new Date().toISOString())}`,
        1,
      );
      expect(due.ids).to.deep.equal([otherCaseOrder, byDeadline[0]]);
    });

    it('when a cursor of one order is used with the other, or a case is out of reach, then the answer says so as it would for any listing', async () => {
      const byDeadlinePage = await service.call('GET', `/v1/orders?caseId=${caseId}&limit=1`, {
        token: prosecutor,
      });
      const newestPage = await service.call('GET', `/v1/orders?caseId=${caseId}&limit=1&sort=newest`, {
        token: prosecutor,
      });
      for (const [sort, cursor] of [
        ['newest', byDeadlinePage.body.nextCursor],
        ['deadline', newestPage.body.nextCursor],
      ]) {
        const response = await service.call(
          'GET',
          `/v1/orders?sort=${sort}&cursor=${encodeURIComponent(cursor as string)}`,
          { token: prosecutor },
        );
        expect([response.status, response.body.code, response.body.errors[0].pointer]).to.deep.equal([
          400,
          'INVALID_PARAMETER',
          '/cursor',
        ]);
      }
      const stranger = await service.token(uniqueSub('eve'), uniqueAgency(), 'prosecutor');
      expect(
        (await service.call('GET', `/v1/orders?caseId=${caseId}`, { token: stranger })).body,
      ).to.deep.equal({
        items: [],
        nextCursor: null,
      });
      const bad = await service.call('GET', '/v1/orders?sort=soon', { token: prosecutor });
      expect([bad.status, bad.body.code]).to.deep.equal([400, 'INVALID_PARAMETER']);
    });
  });
});
