import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

describe('cases and need-to-know', () => {
  let service: TestService;
  let agency: string;
  let investigator: string;

  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    agency = uniqueAgency();
    investigator = await service.token(uniqueSub('alice'), agency, 'investigator');
  });

  async function openCase(token = investigator, reference = `REF-${randomUUID()}`) {
    const response = await service.call('POST', '/v1/cases', {
      token,
      json: { reference, title: 'Phishing campaign against a bank', legalBasis: 'UNCC Art. 25' },
    });
    expect(response.status, response.text).to.equal(201);
    return response.body.case;
  }

  it('when an investigator opens a case, then it belongs to their agency and says where it lives', async () => {
    const response = await service.call('POST', '/v1/cases', {
      token: investigator,
      json: { reference: 'AZ-2026-77', title: 'Ransomware' },
    });
    expect(response.status).to.equal(201);
    expect(response.body.case).to.include({ reference: 'AZ-2026-77', agency, legalBasis: null });
    expect(response.body.case.createdAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(response.headers.get('location')).to.equal(`/v1/cases/${response.body.case.id}`);
  });

  it('when a member of the same agency with a reading role asks, then the case is shown', async () => {
    const opened = await openCase();
    for (const role of ['investigator', 'custodian', 'prosecutor', 'court'] as const) {
      const token = await service.token(uniqueSub(role), agency, role);
      const response = await service.call('GET', `/v1/cases/${opened.id}`, { token });
      expect(response.status, role).to.equal(200);
      expect(response.body.case).to.deep.equal(opened);
    }
  });

  it('when a token of another agency asks, then the case does not exist for it (404, not 403)', async () => {
    const opened = await openCase();
    const outsider = await service.token(uniqueSub('bob'), uniqueAgency(), 'investigator');
    const response = await service.call('GET', `/v1/cases/${opened.id}`, { token: outsider });
    expect(response.status).to.equal(404);
    expect(response.body.code).to.equal('NOT_FOUND');
    const unknown = await service.call('GET', `/v1/cases/${randomUUID()}`, { token: outsider });
    expect({ ...unknown.body, requestId: null }).to.deep.equal({ ...response.body, requestId: null });
    const list = await service.call('GET', '/v1/cases', { token: outsider });
    expect(list.body.items).to.deep.equal([]);
  });

  it('when an admin or a partner of the owning agency asks, then the case is not shown', async () => {
    const opened = await openCase();
    for (const role of ['admin', 'partner'] as const) {
      const token = await service.token(uniqueSub(role), agency, role);
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token })).status, role).to.equal(404);
    }
  });

  it('when an auditor of any agency asks, then every case is readable but not writable', async () => {
    const opened = await openCase();
    const auditor = await service.token(uniqueSub('audit'), uniqueAgency(), 'auditor');
    expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: auditor })).status).to.equal(200);
    const write = await service.call('POST', '/v1/cases', {
      token: auditor,
      json: { reference: 'X', title: 'Y' },
    });
    expect(write.status).to.equal(403);
    expect(write.body.code).to.equal('FORBIDDEN_ROLE');
  });

  it('when a court or custodian token tries to open a case, then it is refused with FORBIDDEN_ROLE', async () => {
    for (const role of ['court', 'custodian', 'partner', 'admin'] as const) {
      const token = await service.token(uniqueSub(role), agency, role);
      const response = await service.call('POST', '/v1/cases', {
        token,
        json: { reference: 'R', title: 'T' },
      });
      expect(response.status, role).to.equal(403);
      expect(response.body.code).to.equal('FORBIDDEN_ROLE');
    }
    const rows = await testDatabase().db.query(
      'SELECT count(*)::int AS n FROM cases WHERE agency_code = $1',
      [agency],
    );
    expect(rows[0].n).to.equal(0);
  });

  it('when the agency reuses a case reference, then the second case is refused and nothing is stored', async () => {
    await openCase(investigator, 'DUP-1');
    const again = await service.call('POST', '/v1/cases', {
      token: investigator,
      json: { reference: 'DUP-1', title: 'T' },
    });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('CASE_REFERENCE_TAKEN');
    const other = await service.token(uniqueSub('carol'), uniqueAgency(), 'investigator');
    expect(
      (await service.call('POST', '/v1/cases', { token: other, json: { reference: 'DUP-1', title: 'T' } }))
        .status,
    ).to.equal(201);
  });

  it('when the case id is not a UUID, then the answer is 404', async () => {
    const response = await service.call('GET', '/v1/cases/not-a-uuid', { token: investigator });
    expect(response.status).to.equal(404);
    expect(response.body.code).to.equal('NOT_FOUND');
  });

  describe('grants', () => {
    it('when a case is shared with an agency through the partner role, then that agency’s partners see it', async () => {
      const opened = await openCase();
      const partnerAgency = uniqueAgency('DE');
      const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: partner })).status).to.equal(404);

      const granted = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: investigator,
        json: { agency: partnerAgency, role: 'partner' },
      });
      expect(granted.status).to.equal(201);
      expect(granted.body.grant).to.deep.include({
        caseId: opened.id,
        grantee: { agency: partnerAgency },
        role: 'partner',
      });

      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: partner })).status).to.equal(200);
      const list = await service.call('GET', '/v1/cases', { token: partner });
      expect(list.body.items.map((item: { id: string }) => item.id)).to.deep.equal([opened.id]);
      const otherRole = await service.token(uniqueSub('bka-inv'), partnerAgency, 'investigator');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: otherRole })).status).to.equal(
        404,
      );
    });

    it('when a case is shared with one principal, then only that principal sees it, through that role', async () => {
      const opened = await openCase();
      const judgeSub = uniqueSub('judge');
      const courtAgency = uniqueAgency('C');
      await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: investigator,
        json: { sub: judgeSub, role: 'court' },
      });
      const judge = await service.token(judgeSub, courtAgency, 'court');
      const colleague = await service.token(uniqueSub('judge2'), courtAgency, 'court');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: judge })).status).to.equal(200);
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: colleague })).status).to.equal(
        404,
      );
    });

    it('when a grant has ended, then the grantee no longer sees the case', async () => {
      const opened = await openCase();
      const partnerAgency = uniqueAgency('DE');
      const granted = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: investigator,
        json: { agency: partnerAgency, role: 'partner', until: new Date(Date.now() + 60_000).toISOString() },
      });
      const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: partner })).status).to.equal(200);
      await testDatabase().db.query(
        "UPDATE case_grants SET until = now() - interval '1 second' WHERE id = $1",
        [granted.body.grant.id],
      );
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: partner })).status).to.equal(404);
    });

    it('when a grant would end in the past, then it is refused with the failing field', async () => {
      const opened = await openCase();
      const response = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: investigator,
        json: { agency: 'DE-BKA', role: 'partner', until: '2020-01-01T00:00:00.000Z' },
      });
      expect(response.status).to.equal(422);
      expect(response.body.code).to.equal('VALIDATION_FAILED');
      expect(response.body.errors).to.deep.equal([{ pointer: '/until', reason: 'must be in the future' }]);
    });

    it('when a grant names both or neither grantee, or the admin role, then it is refused', async () => {
      const opened = await openCase();
      for (const json of [
        { role: 'partner' },
        { agency: 'DE-BKA', sub: 'x', role: 'partner' },
        { agency: 'DE-BKA', role: 'admin' },
        { agency: 'not an agency', role: 'partner' },
      ]) {
        const response = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
          token: investigator,
          json,
        });
        expect(response.status, JSON.stringify(json)).to.equal(422);
        expect(response.body.code).to.equal('VALIDATION_FAILED');
      }
      const rows = await testDatabase().db.query(
        'SELECT count(*)::int AS n FROM case_grants WHERE case_id = $1',
        [opened.id],
      );
      expect(rows[0].n).to.equal(0);
    });

    it('when a grantee or a reader tries to share the case further, then it is refused', async () => {
      const opened = await openCase();
      const partnerAgency = uniqueAgency('DE');
      await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: investigator,
        json: { agency: partnerAgency, role: 'prosecutor' },
      });
      const foreignProsecutor = await service.token(uniqueSub('pros'), partnerAgency, 'prosecutor');
      const court = await service.token(uniqueSub('court'), agency, 'court');
      for (const token of [foreignProsecutor, court]) {
        const response = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
          token,
          json: { agency: uniqueAgency(), role: 'partner' },
        });
        expect(response.status).to.equal(403);
        expect(response.body.code).to.equal('FORBIDDEN_ROLE');
      }
    });

    it('when someone outside the case tries to share it, then the case does not exist for them', async () => {
      const opened = await openCase();
      const outsider = await service.token(uniqueSub('eve'), uniqueAgency(), 'investigator');
      const response = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: outsider,
        json: { agency: 'DE-BKA', role: 'partner' },
      });
      expect(response.status).to.equal(404);
      expect(response.body.code).to.equal('NOT_FOUND');
    });
  });

  describe('listing', () => {
    it('when there are more cases than the limit, then pages follow the cursor without gaps or repeats', async () => {
      const opened = [];
      for (let i = 0; i < 5; i++) opened.push((await openCase()).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const page = await service.call('GET', `/v1/cases${query}`, { token: investigator });
        expect(page.status).to.equal(200);
        expect(page.body.items.length).to.be.at.most(2);
        seen.push(...page.body.items.map((item: { id: string }) => item.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).to.equal(3);
      expect([...seen].sort()).to.deep.equal([...opened].sort());
      const single = await service.call('GET', '/v1/cases?limit=100', { token: investigator });
      expect(single.body.items.map((item: { id: string }) => item.id)).to.deep.equal(seen);
      expect(single.body.nextCursor).to.equal(null);
    });

    for (const query of ['?limit=0', '?limit=101', '?limit=ten', '?cursor=bm9wZQ', '?colour=blue']) {
      it(`when the listing is asked with ${query}, then the answer is 400 INVALID_PARAMETER`, async () => {
        const response = await service.call('GET', `/v1/cases${query}`, { token: investigator });
        expect(response.status).to.equal(400);
        expect(response.body.code).to.equal('INVALID_PARAMETER');
        expect(response.body.errors).to.be.an('array').that.is.not.empty;
      });
    }
  });
});
