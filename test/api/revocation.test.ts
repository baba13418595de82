import { expect } from 'chai';
import { PRINCIPAL_RECHECK_MS } from '../../src/access/identity';
import { testDatabase } from '../support/database';
import { executedRequestFor, openCase, uploadItem } from '../support/fixtures';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

describe('revocation in every process (principals, grants, disclosures)', () => {
  let first: TestService;
  let second: TestService;
  /** The central authority: it discloses under the requests it received. */
  const central = uniqueAgency('SSS');

  before(async () => {
    // Two processes of one deployment on one database.
    first = await startTestService({ CENTRAL_AUTHORITY: central });
    second = await startTestService({ CENTRAL_AUTHORITY: central });
  });
  after(async () => {
    await first.stop();
    await second.stop();
  });

  /**
   * Polls until `check` holds, for half a second: status changes are announced
   * to every process at once, well inside the recheck interval (PRINCIPAL_RECHECK_MS).
   */
  async function eventually(check: () => Promise<boolean>): Promise<boolean> {
    expect(PRINCIPAL_RECHECK_MS).to.be.above(500);
    for (const deadline = Date.now() + 500; Date.now() < deadline; ) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return check();
  }

  it('when an admin disables a principal, then every process refuses its tokens at once, until enabled again', async () => {
    const agency = uniqueAgency();
    const sub = uniqueSub('leaver');
    const leaver = await first.token(sub, agency, 'investigator');
    const status = async (service: TestService) =>
      (await service.call('GET', '/v1/cases', { token: leaver })).status;
    expect(await status(first)).to.equal(200);
    expect(await status(second)).to.equal(200);

    const admin = await first.token(uniqueSub('ops'), 'OPS', 'admin');
    const disabled = await first.call('POST', `/v1/principals/${sub}/disable`, {
      token: admin,
      json: { reason: 'Left the agency on 2026-11-29' },
    });
    expect(disabled.status).to.equal(200);
    expect(disabled.body.principal.disabledAt).to.be.a('string');
    expect(await eventually(async () => (await status(first)) === 401)).to.equal(true);
    expect(await eventually(async () => (await status(second)) === 401)).to.equal(true);
    const refused = await second.call('GET', '/v1/cases', { token: leaver });
    expect(refused.body.code).to.equal('INVALID_TOKEN');

    const enabled = await second.call('POST', `/v1/principals/${sub}/enable`, {
      token: admin,
      json: { reason: 'Returned' },
    });
    expect(enabled.status).to.equal(200);
    expect(await eventually(async () => (await status(first)) === 200)).to.equal(true);

    const entries = await testDatabase().db.query(
      "SELECT entry_type FROM log_entries WHERE subject_type = 'access' AND subject_id = $1 ORDER BY seq",
      [`principal:${sub}`],
    );
    expect(entries.map((row: { entry_type: string }) => row.entry_type)).to.deep.equal([
      'principal.disabled',
      'principal.enabled',
    ]);
  });

  it('when someone other than an admin tries, or the principal was never seen, then it is refused', async () => {
    const sub = uniqueSub('target');
    await first.call('GET', '/v1/cases', { token: await first.token(sub, uniqueAgency(), 'investigator') });
    const prosecutor = await first.token(uniqueSub('pros'), uniqueAgency(), 'prosecutor');
    const byProsecutor = await first.call('POST', `/v1/principals/${sub}/disable`, {
      token: prosecutor,
      json: { reason: 'x' },
    });
    expect(byProsecutor.status).to.equal(403);
    expect(byProsecutor.body.needed).to.deep.equal(['admin']);
    const admin = await first.token(uniqueSub('ops'), 'OPS', 'admin');
    const unknown = await first.call('POST', `/v1/principals/${uniqueSub('nobody')}/disable`, {
      token: admin,
      json: { reason: 'x' },
    });
    expect(unknown.status).to.equal(404);
    const noReason = await first.call('POST', `/v1/principals/${sub}/disable`, { token: admin, json: {} });
    expect(noReason.status).to.equal(422);
  });

  it('when a grant or a disclosure is revoked in one process, then the very next request in the other is refused', async () => {
    const agency = central;
    const lead = await first.token(uniqueSub('lead'), agency, 'investigator', 'prosecutor');
    const caseId = await openCase(first, lead, 'Revocation');
    const itemId = await uploadItem(first, lead, caseId);

    const memberSub = uniqueSub('carla');
    const grant = await first.call('POST', `/v1/cases/${caseId}/grants`, {
      token: lead,
      json: { agency, sub: memberSub, role: 'custodian' },
    });
    const member = await second.token(memberSub, agency, 'custodian');
    expect((await second.call('GET', `/v1/cases/${caseId}`, { token: member })).status).to.equal(200);
    await first.call('DELETE', `/v1/cases/${caseId}/grants/${grant.body.grant.id}`, { token: lead });
    expect((await second.call('GET', `/v1/cases/${caseId}`, { token: member })).status).to.equal(404);

    const recipient = uniqueAgency('P');
    const disclosure = await first.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: lead,
      json: {
        recipientAgency: recipient,
        evidenceIds: [itemId],
        orderId: await executedRequestFor(first, lead, recipient, [itemId]),
      },
    });
    const partner = await second.token(uniqueSub('bka'), recipient, 'partner');
    const packageOf = () =>
      second.call('GET', `/v1/disclosures/${disclosure.body.disclosure.id}/package`, { token: partner });
    expect((await packageOf()).status).to.equal(200);
    await first.call('DELETE', `/v1/disclosures/${disclosure.body.disclosure.id}`, { token: lead });
    expect((await packageOf()).status).to.equal(404);
  });
});
