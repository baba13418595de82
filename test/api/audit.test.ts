import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { openCase } from '../support/fixtures';
import { revealedChain } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

// biome-ignore lint/suspicious/noExplicitAny: entries are read back as plain JSON
type AuditEntry = Record<string, any>;

/** The audit entries recorded about one object, in order, with every withheld field revealed from its disclosure. */
async function auditOf(object: string): Promise<Array<AuditEntry>> {
  const chain = await revealedChain(testDatabase().db, 'audit', object);
  return chain.map(({ entry, actor, data }) => ({ ...entry, actor, data }));
}

describe('the audit trail (every read and every refusal, in the verifiable log)', () => {
  let service: TestService;
  let agency: string;
  let leadSub: string;
  let lead: string;
  let caseId: string;

  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    agency = uniqueAgency();
    leadSub = uniqueSub('alice');
    lead = await service.token(leadSub, agency, 'investigator');
    caseId = await openCase(service, lead, 'Audit');
  });

  it('when a member reads a case, then exactly one audit.read entry names who, what, when, how it ended and from where', async () => {
    const response = await service.call('GET', `/v1/cases/${caseId}`, {
      token: lead,
      headers: { 'x-request-id': 'audit-read-1' },
    });
    expect(response.status).to.equal(200);
    const entries = await auditOf(`case:${caseId}`);
    expect(entries).to.have.length(1);
    const [entry] = entries as [AuditEntry];
    expect(entry).to.deep.include({ type: 'audit.read', seq: 1, prev: null });
    expect(entry.subject).to.deep.equal({ type: 'audit', id: `case:${caseId}` });
    expect(entry.actor).to.deep.equal({ sub: leadSub, agency, role: 'investigator' });
    expect(entry.data).to.deep.equal({
      action: 'GET /v1/cases/:id',
      object: { type: 'case', id: caseId },
      outcome: 'read',
      roles: ['investigator'],
      requestId: 'audit-read-1',
      source: entry.data.source,
    });
    expect(entry.data.source).to.match(/127\.0\.0\.1|::1/);
    expect(Date.parse(entry.at)).to.be.closeTo(Date.now(), 60_000);
  });

  it('when an outsider asks for an existing case and for an absent one, then each refusal is recorded and both answers are the same', async () => {
    const outsiderSub = uniqueSub('eve');
    const outsider = await service.token(outsiderSub, uniqueAgency(), 'investigator');
    const absentId = randomUUID();
    const hidden = await service.call('GET', `/v1/cases/${caseId}`, { token: outsider });
    const absent = await service.call('GET', `/v1/cases/${absentId}`, { token: outsider });
    expect({ ...hidden.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });
    for (const [id, response] of [
      [caseId, hidden],
      [absentId, absent],
    ] as const) {
      const entries = await auditOf(`case:${id}`);
      expect(entries).to.have.length(1);
      expect(entries[0]?.type).to.equal('audit.denied');
      expect(entries[0]?.actor.sub).to.equal(outsiderSub);
      expect(entries[0]?.data).to.deep.include({
        outcome: 'not_found',
        requestId: response.headers.get('x-request-id'),
      });
    }
  });

  it('when a member is refused for its role, then the refusal is recorded as forbidden', async () => {
    const judgeSub = uniqueSub('judge');
    await service.call('POST', `/v1/cases/${caseId}/grants`, {
      token: lead,
      json: { agency, sub: judgeSub, role: 'court' },
    });
    const judge = await service.token(judgeSub, agency, 'court');
    const response = await service.call('POST', `/v1/cases/${caseId}/grants`, {
      token: judge,
      json: { agency, sub: uniqueSub('x'), role: 'court' },
    });
    expect(response.status).to.equal(403);
    const denied = (await auditOf(`case:${caseId}`)).filter((entry) => entry.type === 'audit.denied');
    expect(denied).to.have.length(1);
    expect(denied[0]?.data).to.deep.include({ outcome: 'forbidden', action: 'POST /v1/cases/:id/grants' });
  });

  it('when the path names no UUID, then the refusal records the object as malformed, never the text sent', async () => {
    const response = await service.call('GET', '/v1/evidence/%F0%9F%98%80-not-an-id', { token: lead });
    expect(response.status).to.equal(404);
    const entries = await auditOf('evidence:malformed');
    expect(entries.some((entry) => entry.data.requestId === response.headers.get('x-request-id'))).to.equal(
      true,
    );
  });

  it('when a member lists its cases, then the listing is one audit.read of its agency’s case list', async () => {
    const before = (await auditOf(`case-list:${agency}`)).length;
    expect((await service.call('GET', '/v1/cases', { token: lead })).status).to.equal(200);
    const entries = await auditOf(`case-list:${agency}`);
    expect(entries).to.have.length(before + 1);
    expect(entries.at(-1)?.data).to.deep.include({ action: 'GET /v1/cases', outcome: 'read' });
  });

  it('when the service trusts its proxy, then the forwarded address is the one on the record; otherwise the peer is', async () => {
    const proxied = await startTestService({ TRUST_PROXY: 'loopback' });
    try {
      const forwarded = await proxied.call('GET', `/v1/cases/${caseId}`, {
        token: lead,
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      expect(forwarded.status).to.equal(200);
      const direct = await service.call('GET', `/v1/cases/${caseId}`, {
        token: lead,
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      const sources = Object.fromEntries(
        (await auditOf(`case:${caseId}`)).map((entry) => [entry.data.requestId, entry.data.source]),
      );
      expect(sources[forwarded.headers.get('x-request-id') as string]).to.equal('203.0.113.9');
      expect(sources[direct.headers.get('x-request-id') as string]).to.match(/127\.0\.0\.1|::1/);
    } finally {
      await proxied.stop();
    }
  });
});
