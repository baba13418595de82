import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { openCase, uploadItem } from '../support/fixtures';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

describe('break-glass access to a case', () => {
  let service: TestService;
  let agency: string;
  let leadSub: string;
  let lead: string;
  let caseId: string;
  let itemId: string;

  before(async () => {
    service = await startTestService({ BREAK_GLASS_SECONDS: '120' });
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    agency = uniqueAgency();
    leadSub = uniqueSub('alice');
    lead = await service.token(leadSub, agency, 'investigator');
    caseId = await openCase(service, lead, 'Break-glass');
    itemId = await uploadItem(service, lead, caseId);
  });

  it('when a prosecutor of the agency breaks the glass, then it is a member until the end of the window, the lead is told, and every report shows it', async () => {
    const sub = uniqueSub('duty');
    const duty = await service.token(sub, agency, 'prosecutor');
    expect((await service.call('GET', `/v1/cases/${caseId}`, { token: duty })).status).to.equal(404);

    const opened = await service.call('POST', `/v1/cases/${caseId}/break-glass`, {
      token: duty,
      json: { reason: 'Kidnapping: the phone may locate the victim now' },
    });
    expect(opened.status).to.equal(201);
    const until = Date.parse(opened.body.grant.until);
    expect(until - Date.now()).to.be.within(100_000, 121_000);
    expect(opened.body.grant).to.include({ role: 'prosecutor', content: true, lead: false });
    expect((await service.call('GET', `/v1/cases/${caseId}`, { token: duty })).status).to.equal(200);

    const [notice] = await testDatabase().db.query(
      'SELECT recipient_agency, recipient_sub, kind, payload FROM notifications WHERE case_id = $1',
      [caseId],
    );
    expect(notice).to.deep.include({
      recipient_agency: agency,
      recipient_sub: leadSub,
      kind: 'case.break_glass',
    });
    expect(notice.payload.reason).to.equal('Kidnapping: the phone may locate the victim now');

    const report = await service.call('GET', `/v1/evidence/${itemId}/report`, { token: lead });
    expect(report.body.report.context.breakGlass).to.have.length(1);
    expect(report.body.report.context.breakGlass[0]).to.include({
      sub,
      agency,
      role: 'prosecutor',
      reason: 'Kidnapping: the phone may locate the victim now',
    });

    await testDatabase().db.query(
      "UPDATE case_grants SET until = now() - interval '1 second' WHERE id = $1",
      [opened.body.grant.id],
    );
    expect(
      (await service.call('GET', `/v1/cases/${caseId}`, { token: duty })).status,
      'the window closed',
    ).to.equal(404);
  });

  it('when another agency, a read-only role, or no reason tries it, then it is refused without revealing the case', async () => {
    const foreign = await service.token(uniqueSub('eve'), uniqueAgency(), 'prosecutor');
    const hidden = await service.call('POST', `/v1/cases/${caseId}/break-glass`, {
      token: foreign,
      json: { reason: 'x' },
    });
    const absent = await service.call('POST', `/v1/cases/${randomUUID()}/break-glass`, {
      token: foreign,
      json: { reason: 'x' },
    });
    expect(hidden.status).to.equal(404);
    expect({ ...hidden.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });

    const court = await service.token(uniqueSub('judge'), agency, 'court');
    const byCourt = await service.call('POST', `/v1/cases/${caseId}/break-glass`, {
      token: court,
      json: { reason: 'x' },
    });
    const byCourtAbsent = await service.call('POST', `/v1/cases/${randomUUID()}/break-glass`, {
      token: court,
      json: { reason: 'x' },
    });
    expect([byCourt.status, byCourtAbsent.status]).to.deep.equal([403, 403]);

    const noReason = await service.call('POST', `/v1/cases/${caseId}/break-glass`, {
      token: await service.token(uniqueSub('p'), agency, 'prosecutor'),
      json: {},
    });
    expect(noReason.status).to.equal(422);
  });
});
