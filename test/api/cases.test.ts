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

  function grant(caseId: string, json: Record<string, unknown>, token = investigator) {
    return service.call('POST', `/v1/cases/${caseId}/grants`, { token, json });
  }

  /** Grants of a case other than its lead membership. */
  async function memberGrants(caseId: string): Promise<number> {
    const rows = await testDatabase().db.query(
      'SELECT count(*)::int AS n FROM case_grants WHERE case_id = $1 AND NOT lead',
      [caseId],
    );
    return rows[0].n;
  }

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

  it('when a colleague of the same agency who is not a member asks, then the case does not exist for them', async () => {
    const opened = await openCase();
    for (const role of ['investigator', 'custodian', 'prosecutor', 'court'] as const) {
      const token = await service.token(uniqueSub(role), agency, role);
      const response = await service.call('GET', `/v1/cases/${opened.id}`, { token });
      expect(response.status, role).to.equal(404);
      expect((await service.call('GET', '/v1/cases', { token })).body.items, role).to.deep.equal([]);
    }
  });

  it('when members are added in each reading role, then each sees the case, and the opener leads it', async () => {
    const opened = await openCase();
    for (const role of ['investigator', 'custodian', 'court'] as const) {
      const sub = uniqueSub(role);
      const added = await grant(opened.id, { agency, sub, role });
      expect(added.status, role).to.equal(201);
      const token = await service.token(sub, agency, role);
      const response = await service.call('GET', `/v1/cases/${opened.id}`, { token });
      expect(response.status, role).to.equal(200);
      expect(response.body.case).to.deep.equal(opened);
    }
    const lead = await testDatabase().db.query(
      'SELECT grantee_sub, role FROM case_grants WHERE case_id = $1 AND lead',
      [opened.id],
    );
    expect(lead).to.deep.equal([{ grantee_sub: opened.createdBy, role: 'investigator' }]);
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

  it('when an auditor asks, then its own agency’s cases are readable (not writable) and other agencies’ are not', async () => {
    const opened = await openCase();
    const auditor = await service.token(uniqueSub('audit'), agency, 'auditor');
    expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: auditor })).status).to.equal(200);
    const content = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
      token: auditor,
      json: { agency, sub: uniqueSub('x'), role: 'court' },
    });
    expect(content.status).to.equal(403);
    const foreignAuditor = await service.token(uniqueSub('audit'), uniqueAgency(), 'auditor');
    expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: foreignAuditor })).status).to.equal(
      404,
    );
    const write = await service.call('POST', '/v1/cases', {
      token: auditor,
      json: { reference: 'X', title: 'Y' },
    });
    expect(write.status).to.equal(403);
    expect(write.body.code).to.equal('FORBIDDEN_ROLE');
    expect(write.body.needed).to.deep.equal(['investigator', 'prosecutor']);
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
    it('when a partner role or another agency’s investigator is granted, then it is refused and nothing is stored', async () => {
      const opened = await openCase();
      const foreign = uniqueAgency('DE');
      for (const json of [
        { agency: foreign, role: 'partner' },
        { agency: foreign, role: 'investigator' },
        { agency: foreign, sub: uniqueSub('bka'), role: 'prosecutor' },
      ]) {
        const response = await grant(opened.id, json);
        expect(response.status, JSON.stringify(json)).to.equal(422);
        expect(response.body.code).to.equal('VALIDATION_FAILED');
      }
      expect(await memberGrants(opened.id)).to.equal(0);
    });

    it('when a court is granted by agency, then its judges see the case, and other roles of that agency do not', async () => {
      const opened = await openCase();
      const court = uniqueAgency('C');
      expect((await grant(opened.id, { agency: court, role: 'court' })).status).to.equal(201);
      const judge = await service.token(uniqueSub('judge'), court, 'court');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: judge })).status).to.equal(200);
      const list = await service.call('GET', '/v1/cases', { token: judge });
      expect(list.body.items.map((item: { id: string }) => item.id)).to.deep.equal([opened.id]);
      const clerk = await service.token(uniqueSub('clerk'), court, 'custodian');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: clerk })).status).to.equal(404);
    });

    it('when a case is shared with one principal, then only that principal of that agency sees it', async () => {
      const opened = await openCase();
      const judgeSub = uniqueSub('judge');
      const courtAgency = uniqueAgency('C');
      await grant(opened.id, { agency: courtAgency, sub: judgeSub, role: 'court' });
      const judge = await service.token(judgeSub, courtAgency, 'court');
      const colleague = await service.token(uniqueSub('judge2'), courtAgency, 'court');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: judge })).status).to.equal(200);
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: colleague })).status).to.equal(
        404,
      );
    });

    it('when a grant has ended, then the grantee no longer sees the case', async () => {
      const opened = await openCase();
      const court = uniqueAgency('C');
      const granted = await grant(opened.id, {
        agency: court,
        role: 'court',
        until: new Date(Date.now() + 60_000).toISOString(),
      });
      const judge = await service.token(uniqueSub('judge'), court, 'court');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: judge })).status).to.equal(200);
      await testDatabase().db.query(
        "UPDATE case_grants SET until = now() - interval '1 second' WHERE id = $1",
        [granted.body.grant.id],
      );
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: judge })).status).to.equal(404);
    });

    it('when a grant is revoked, then the next request of the former member is 404, and the revocation is logged', async () => {
      const opened = await openCase();
      const sub = uniqueSub('carla');
      const granted = await grant(opened.id, { agency, sub, role: 'custodian' });
      const carla = await service.token(sub, agency, 'custodian');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: carla })).status).to.equal(200);

      const revoked = await service.call('DELETE', `/v1/cases/${opened.id}/grants/${granted.body.grant.id}`, {
        token: investigator,
      });
      expect(revoked.status).to.equal(200);
      expect(revoked.body.grant.revokedAt).to.be.a('string');
      expect((await service.call('GET', `/v1/cases/${opened.id}`, { token: carla })).status).to.equal(404);
      const entries = await testDatabase().db.query(
        "SELECT entry_type FROM log_entries WHERE subject_type = 'access' AND subject_id = $1 ORDER BY seq",
        [opened.id],
      );
      expect(entries.map((row: { entry_type: string }) => row.entry_type)).to.deep.equal([
        'access.granted',
        'access.revoked',
      ]);
      const again = await service.call('DELETE', `/v1/cases/${opened.id}/grants/${granted.body.grant.id}`, {
        token: investigator,
      });
      expect(again.status).to.equal(409);
    });

    it('when one grant is revoked by several requests at once, then one revocation is logged and the others are 409', async () => {
      const opened = await openCase();
      const granted = await grant(opened.id, { agency, sub: uniqueSub('dana'), role: 'custodian' });
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          service.call('DELETE', `/v1/cases/${opened.id}/grants/${granted.body.grant.id}`, {
            token: investigator,
          }),
        ),
      );
      expect(answers.map((answer) => answer.status).sort()).to.deep.equal([200, 409, 409, 409, 409]);
      for (const answer of answers.filter((a) => a.status === 409))
        expect(answer.body.code).to.equal('CONFLICT');
      const [{ revocations }] = await testDatabase().db.query(
        `SELECT count(*)::int AS revocations FROM log_entries
          WHERE subject_type = 'access' AND subject_id = $1 AND entry_type = 'access.revoked'`,
        [opened.id],
      );
      expect(revocations).to.equal(1);
    });

    it('when the lead’s own membership is to be revoked, or a grant of another case, then it is refused', async () => {
      const opened = await openCase();
      const [lead] = await testDatabase().db.query('SELECT id FROM case_grants WHERE case_id = $1 AND lead', [
        opened.id,
      ]);
      const response = await service.call('DELETE', `/v1/cases/${opened.id}/grants/${lead.id}`, {
        token: investigator,
      });
      expect(response.status).to.equal(409);
      const other = await openCase();
      const foreignGrant = await grant(other.id, { agency, sub: uniqueSub('x'), role: 'court' });
      const crossed = await service.call(
        'DELETE',
        `/v1/cases/${opened.id}/grants/${foreignGrant.body.grant.id}`,
        { token: investigator },
      );
      expect(crossed.status).to.equal(404);
    });

    it('when a grant would end in the past, then it is refused with the failing field', async () => {
      const opened = await openCase();
      const response = await grant(opened.id, {
        agency: uniqueAgency('C'),
        role: 'court',
        until: '2020-01-01T00:00:00.000Z',
      });
      expect(response.status).to.equal(422);
      expect(response.body.code).to.equal('VALIDATION_FAILED');
      expect(response.body.errors).to.deep.equal([{ pointer: '/until', reason: 'must be in the future' }]);
    });

    it('when a grant names no agency, or the admin role, or a malformed agency, then it is refused', async () => {
      const opened = await openCase();
      for (const json of [
        { role: 'court' },
        { sub: 'x', role: 'court' },
        { agency, role: 'admin' },
        { agency: 'not an agency', role: 'court' },
      ]) {
        const response = await grant(opened.id, json);
        expect(response.status, JSON.stringify(json)).to.equal(422);
        expect(response.body.code).to.equal('VALIDATION_FAILED');
      }
      expect(await memberGrants(opened.id)).to.equal(0);
    });

    it('when a member who may not share, or a granter reaching too far, tries to share, then it is refused with 403', async () => {
      const opened = await openCase();
      const courtSub = uniqueSub('court');
      await grant(opened.id, { agency, sub: courtSub, role: 'court' });
      const court = await service.token(courtSub, agency, 'court');
      const byCourt = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: court,
        json: { agency, sub: uniqueSub('y'), role: 'court' },
      });
      expect(byCourt.status).to.equal(403);
      expect(byCourt.body.code).to.equal('FORBIDDEN_ROLE');

      const prosecutorSub = uniqueSub('pros');
      await grant(opened.id, { agency, sub: prosecutorSub, role: 'prosecutor' });
      const prosecutor = await service.token(prosecutorSub, agency, 'prosecutor');
      const courtByProsecutor = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: prosecutor,
        json: { agency, sub: uniqueSub('z'), role: 'court' },
      });
      expect(courtByProsecutor.status).to.equal(201);

      const auditorSub = uniqueSub('aud');
      await grant(opened.id, { agency, sub: auditorSub, role: 'auditor' });
      const byAuditor = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: await service.token(auditorSub, agency, 'auditor'),
        json: { agency, sub: uniqueSub('w'), role: 'investigator' },
      });
      expect(byAuditor.status).to.equal(403);
    });

    it('when a court grant asks to open the bytes, then only a granter who can open them may give that', async () => {
      const opened = await openCase();
      const response = await grant(opened.id, { agency: uniqueAgency('C'), role: 'court', content: true });
      expect(response.status).to.equal(201);
      expect(response.body.grant).to.include({ role: 'court', content: true, lead: false });
      const plain = await grant(opened.id, { agency: uniqueAgency('C'), role: 'court' });
      expect(plain.body.grant.content).to.equal(false);
    });

    it('when someone outside the case tries to share it, then the case does not exist for them', async () => {
      const opened = await openCase();
      const outsider = await service.token(uniqueSub('eve'), uniqueAgency(), 'investigator');
      const response = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token: outsider,
        json: { agency: uniqueAgency('C'), role: 'court' },
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
