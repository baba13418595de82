import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ZipFile } from 'yazl';
import { parseVerifierKey } from '../../src/ledger';
import { openBag, verifyBag } from '../../src/reports/bagit';
import { verifyReceipt } from '../../src/verify';
import { executedRequestFor, openCase, uploadItem } from '../support/fixtures';
import { art42Body, mlaBody, movedThrough, outgoingMlaBody, submitOrder } from '../support/order-requests';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

describe('disclosures and their packages', function () {
  this.timeout(60_000);
  let service: TestService;
  let dir: string;
  /** The central authority: it receives the partners' requests and discloses under them. */
  const central = uniqueAgency('SSS');
  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: central });
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-package-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when a forger removes an unacknowledged transfer from a package and fixes its manifests, then the package fails verification with CHAIN_INCOMPLETE', async () => {
    const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
    const caseId = await openCase(service, prosecutor);
    const evidenceId = await uploadItem(service, prosecutor, caseId);
    const transfer = await service.call('POST', `/v1/evidence/${evidenceId}/events`, {
      token: prosecutor,
      json: {
        type: 'custody.transferred',
        purpose: 'to the lab',
        counterparty: { agency: uniqueAgency('LAB') },
      },
    });
    expect(transfer.status, transfer.text).to.equal(201);
    const transferIndex = JSON.parse(
      Buffer.from(transfer.body.receipt.split('.')[1], 'base64url').toString(),
    ).index;
    const partnerAgency = uniqueAgency('DE');
    const disclosureId = (
      await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: prosecutor,
        json: {
          recipientAgency: partnerAgency,
          evidenceIds: [evidenceId],
          orderId: await executedRequestFor(service, prosecutor, partnerAgency, [evidenceId]),
        },
      })
    ).body.disclosure.id;
    const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
    const response = await fetch(new URL(`/v1/disclosures/${disclosureId}/package`, service.url), {
      headers: { authorization: `Bearer ${partner}` },
    });
    const file = path.join(dir, 'package.zip');
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    const vkey = (await service.call('GET', '/v1/log/info')).body.vkey;
    expect((await verifyCli(['package', file, '--vkey', vkey])).code).to.equal(0);

    const forged = path.join(dir, 'forged.zip');
    await repackWithout(file, forged, (name) =>
      [`receipts/${transferIndex}.jws`, `proofs/${transferIndex}.tlog-proof`].includes(name),
    );
    const run = await verifyCli(['package', forged, '--vkey', vkey]);
    expect(run.code).to.equal(1);
    expect(run.stdout).not.to.match(/^FAIL (?:tag file|bagit|manifest)/m);
    expect(run.stdout).to.match(/^FAIL CHAIN_INCOMPLETE chain evidence:/m);
    expect(run.stdout).to.match(/^FAIL REPORT_ENTRIES_MISMATCH reports\//m);
    expect(run.stdout).not.to.match(/^verified/m);
    expect(
      createHash('sha256')
        .update(await readFile(forged))
        .digest('hex'),
    ).not.to.equal(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
  });

  it('when a prosecutor discloses an item to a partner, then the partner’s package verifies, receipts included, and nobody else gets it', async () => {
    const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
    const caseId = (
      await service.call('POST', '/v1/cases', {
        token: prosecutor,
        json: { reference: randomUUID(), title: 'T' },
      })
    ).body.case.id;
    const form = new FormData();
    form.append(
      'metadata',
      JSON.stringify({
        exhibitNumber: 'EX 1/2026',
        description: 'Mailbox export',
        source: 'Mail server',
        acquiredAt: '2026-11-20T09:30:00Z',
        acquiredBy: 'a',
      }),
    );
    const bytes = randomBytes(40_000);
    form.append('file', new Blob([bytes]), 'mailbox.mbox');
    const evidenceId = (
      (await (
        await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${prosecutor}` },
          body: form,
        })
      ).json()) as {
        evidence: { id: string };
      }
    ).evidence.id;

    const partnerAgency = uniqueAgency('DE');
    const created = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json: {
        recipientAgency: partnerAgency,
        evidenceIds: [evidenceId],
        orderId: await executedRequestFor(service, prosecutor, partnerAgency, [evidenceId]),
        conditions: 'Speciality: use only in proceedings 4711',
      },
    });
    expect(created.status, created.text).to.equal(201);
    const disclosureId = created.body.disclosure.id;

    const outsider = await service.token(uniqueSub('fr'), uniqueAgency('FR'), 'partner');
    expect(
      (await service.call('GET', `/v1/disclosures/${disclosureId}/package`, { token: outsider })).status,
    ).to.equal(404);

    const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
    const response = await fetch(new URL(`/v1/disclosures/${disclosureId}/package`, service.url), {
      headers: { authorization: `Bearer ${partner}` },
    });
    expect(response.status).to.equal(200);
    const file = path.join(dir, 'package.zip');
    await writeFile(file, Buffer.from(await response.arrayBuffer()));

    const bag = await openBag(file);
    try {
      const { checks } = await verifyBag(bag);
      expect(checks.filter((c) => !c.ok)).to.deep.equal([]);
      const jwks = JSON.parse((await bag.read('jwks.json')).toString());
      const logKey = parseVerifierKey((await bag.read('log.vkey')).toString().trim());
      const receipts = [...bag.files.keys()].filter((name) => name.startsWith('receipts/'));
      const types: string[] = [];
      for (const name of receipts) {
        const result = await verifyReceipt((await bag.read(name)).toString().trim(), { jwks, logKey });
        expect(result.valid, name).to.equal(true);
        types.push(result.payload?.entry.type ?? '');
      }
      expect(types).to.include.members(['evidence.acquired', 'evidence.disclosed']);
      expect((await bag.read(`reports/${evidenceId}.pdf`)).subarray(0, 5).toString()).to.equal('%PDF-');
      const report = JSON.parse((await bag.read(`reports/${evidenceId}.json`)).toString());
      expect(report.verification.verdict).to.equal('verified');
      const payload = [...bag.files.keys()].filter((name) => name.startsWith('data/'));
      expect(payload).to.have.length(1);
      // The exhibit number and the file name are facts of the case: not disclosed, they do not name the payload.
      expect(payload[0]).to.equal(`data/${evidenceId}/content.bin`);
    } finally {
      bag.close();
    }

    // The offline CLI: intact, then one payload byte changed, then one receipt character changed.
    const vkey = (await service.call('GET', '/v1/log/info')).body.vkey;
    const intact = await verifyCli(['package', file, '--vkey', vkey]);
    expect(intact.code, intact.stdout).to.equal(0);
    expect(intact.stdout).not.to.match(/^FAIL/m);
    expect(intact.stdout).to.match(/^verified: /m);
    const zipped = await readFile(file);
    const flipped = Buffer.from(zipped);
    const at = flipped.indexOf(bytes.subarray(5000, 5032));
    flipped[at] = (flipped[at] as number) ^ 0x01;
    await writeFile(path.join(dir, 'flipped.zip'), flipped);
    const payloadBroken = await verifyCli(['package', path.join(dir, 'flipped.zip'), '--vkey', vkey]);
    expect(payloadBroken.code).to.equal(1);
    expect(payloadBroken.stdout).to.match(/^FAIL data\/.*matches its SHA-256 and SHA-512/m);
    // Measured from the bytes, never taken from the manifest: the intake entry disagrees too, and no line says ok.
    expect(payloadBroken.stdout).to.match(/^FAIL PAYLOAD_DIGEST_MISMATCH data\//m);
    expect(payloadBroken.stdout).not.to.match(/^ok .*data\//m);

    // The first receipt's bytes follow its entry name in the (uncompressed) zip.
    const receiptAt = zipped.indexOf(Buffer.from('eyJ'), zipped.indexOf(Buffer.from('/receipts/')));
    expect(receiptAt).to.be.greaterThan(0);
    const forged = Buffer.from(zipped);
    forged[receiptAt + 40] = forged[receiptAt + 40] === 0x41 ? 0x42 : 0x41;
    await writeFile(path.join(dir, 'forged.zip'), forged);
    const receiptBroken = await verifyCli(['package', path.join(dir, 'forged.zip'), '--vkey', vkey]);
    expect(receiptBroken.code).to.equal(1);
    expect(receiptBroken.stdout).to.match(/^FAIL tag file receipts\/\d+\.jws matches the tag manifest$/m);

    // Revoked: from the next request on, the recipient finds neither the disclosure nor its package.
    const revoked = await service.call('DELETE', `/v1/disclosures/${disclosureId}`, { token: prosecutor });
    expect(revoked.status).to.equal(200);
    expect(revoked.body.disclosure.revokedAt).to.be.a('string');
    const gone = await service.call('GET', `/v1/disclosures/${disclosureId}/package`, { token: partner });
    const absent = await service.call('GET', `/v1/disclosures/${randomUUID()}/package`, { token: partner });
    expect(gone.status).to.equal(404);
    expect({ ...gone.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });
    expect(
      (await service.call('GET', `/v1/disclosures/${disclosureId}`, { token: partner })).status,
    ).to.equal(404);
    const byRecipient = await service.call('DELETE', `/v1/disclosures/${disclosureId}`, { token: partner });
    expect(byRecipient.status).to.equal(404);
    const memberView = await service.call('GET', `/v1/disclosures/${disclosureId}`, { token: prosecutor });
    expect(memberView.body.disclosure.revokedAt).to.equal(revoked.body.disclosure.revokedAt);
  });
});

describe('the legal basis of a hand-over', function () {
  this.timeout(60_000);
  let service: TestService;
  const central = uniqueAgency('SSS');
  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: central });
  });
  after(async () => {
    await service.stop();
  });

  /** A request of `agency` to the central authority, of `kind`, with the contents its kind needs. */
  async function request(
    agency: string,
    kind: 'mla' | 'preservation',
    overrides: Record<string, unknown> = {},
  ) {
    const partner = await service.token(uniqueSub('requester'), agency, 'partner');
    // The preservation request is not urgent, as these tests have always sent it.
    return submitOrder(
      service,
      partner,
      kind === 'mla' ? mlaBody(overrides) : art42Body({ urgency: undefined, ...overrides }),
    );
  }

  const moveAll = (orderId: string, token: string, moves: ReadonlyArray<string | Record<string, string>>) =>
    movedThrough(service, orderId, token, moves);

  it('when a disclosure is sent with an Idempotency-Key and sent again, then it is made once and the retry gets the same answer', async () => {
    const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
    const caseId = await openCase(service, prosecutor);
    const evidenceId = await uploadItem(service, prosecutor, caseId);
    const partnerAgency = uniqueAgency('DE');
    const json = {
      recipientAgency: partnerAgency,
      evidenceIds: [evidenceId],
      orderId: await executedRequestFor(service, prosecutor, partnerAgency, [evidenceId]),
    };
    const headers = { 'idempotency-key': randomUUID() };
    // The route sits under `/v1/cases`, whose router checks the token too: the key must count once.
    const first = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json,
      headers,
    });
    expect(first.status, first.text).to.equal(201);
    const again = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json,
      headers,
    });
    expect(again.text).to.equal(first.text);
    const listed = await service.call('GET', `/v1/disclosures?caseId=${caseId}`, { token: prosecutor });
    expect(listed.body.items.map((one: { id: string }) => one.id)).to.deep.equal([first.body.disclosure.id]);
  });

  it('when a disclosure names no order, a preservation, a refused request, another requester’s, or one that does not cover the item, then it is refused and the item’s chain does not grow', async () => {
    const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
    const caseId = await openCase(service, prosecutor);
    const evidenceId = await uploadItem(service, prosecutor, caseId);
    const recipient = uniqueAgency('DE');
    const chainLength = async () =>
      (await service.call('GET', `/v1/evidence/${evidenceId}/chain`, { token: prosecutor })).body.entries
        .length;

    const preservation = await request(recipient, 'preservation');
    await moveAll(preservation, prosecutor, ['under_assessment', 'ordered', 'preserved']);
    await service.call('POST', `/v1/orders/${preservation}/evidence`, {
      token: prosecutor,
      json: { evidenceId },
    });
    const refused = await request(recipient, 'mla');
    await moveAll(refused, prosecutor, ['under_assessment']);
    // UN Art. 40(26): the requesting state is consulted before a refusal.
    const consulted = await service.call('POST', `/v1/orders/${refused}/consultations`, {
      token: prosecutor,
      json: { proposes: ['refusal'], message: 'Execution would prejudice essential interests' },
    });
    expect(consulted.status, consulted.text).to.equal(201);
    await moveAll(refused, prosecutor, [
      { to: 'refused', reasonCode: 'ESSENTIAL_INTERESTS', reason: 'Prejudices essential interests' },
    ]);
    const othersRequest = await executedRequestFor(service, prosecutor, uniqueAgency('FR'), [evidenceId]);
    const uncovering = await executedRequestFor(service, prosecutor, recipient, []);
    const before = await chainLength();

    for (const [orderId, code] of [
      [undefined, 'LEGAL_BASIS_REQUIRED'],
      [preservation, 'LEGAL_BASIS_INVALID'],
      [refused, 'LEGAL_BASIS_INVALID'],
      [othersRequest, 'LEGAL_BASIS_INVALID'],
      [uncovering, 'LEGAL_BASIS_INVALID'],
    ] as const) {
      const attempt = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: prosecutor,
        json: { recipientAgency: recipient, evidenceIds: [evidenceId], ...(orderId ? { orderId } : {}) },
      });
      expect(attempt.body.code, `${orderId}: ${attempt.text}`).to.equal(code);
      expect(attempt.status).to.equal(code === 'LEGAL_BASIS_REQUIRED' ? 422 : 409);
      expect(attempt.headers.get('content-type')).to.match(/^application\/problem\+json/);
    }
    expect(await chainLength()).to.equal(before);

    // Under the recipient's own executed request that covers the item, the same disclosure goes through.
    const granted = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json: {
        recipientAgency: recipient,
        evidenceIds: [evidenceId],
        orderId: await executedRequestFor(service, prosecutor, recipient, [evidenceId]),
      },
    });
    expect(granted.status, granted.text).to.equal(201);
  });

  it('when an item came in under a request whose supplier forbade passing it on, then disclosing it to a third state is 409 CONDITION_FORBIDS', async () => {
    const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
    const caseId = await openCase(service, prosecutor);
    const evidenceId = await uploadItem(service, prosecutor, caseId);
    // Our own request to the Netherlands, whose answer came with "no onward transfer".
    const outgoing = await service.call('POST', '/v1/orders', {
      token: prosecutor,
      json: outgoingMlaBody(caseId, { onwardTransferAllowed: false }),
    });
    expect(outgoing.status, outgoing.text).to.equal(201);
    const linked = await service.call('POST', `/v1/orders/${outgoing.body.order.id}/evidence`, {
      token: prosecutor,
      json: { evidenceId },
    });
    expect(linked.status, linked.text).to.equal(201);

    const third = uniqueAgency('US');
    const onward = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json: {
        recipientAgency: third,
        evidenceIds: [evidenceId],
        orderId: await executedRequestFor(service, prosecutor, third, [evidenceId]),
      },
    });
    expect(onward.status, onward.text).to.equal(409);
    expect(onward.body.code).to.equal('CONDITION_FORBIDS');
  });
});

/**
 * Rewrites a package as a careful forger would: without the given files, and
 * with the tag manifest updated so that the bag itself still checks out.
 */
async function repackWithout(source: string, target: string, drop: (name: string) => boolean): Promise<void> {
  const bag = await openBag(source);
  try {
    const root = [...bag.files.values()][0]?.fileName.split('/')[0] as string;
    const zip = new ZipFile();
    const written = pipeline(zip.outputStream, createWriteStream(target));
    for (const name of [...bag.files.keys()].filter((n) => !drop(n) && n !== 'tagmanifest-sha256.txt')) {
      zip.addBuffer(await bag.read(name), `${root}/${name}`);
    }
    const manifest = (await bag.read('tagmanifest-sha256.txt')).toString().split('\n');
    zip.addBuffer(
      Buffer.from(manifest.filter((line) => line === '' || !drop(line.split(/\s+/)[1] ?? '')).join('\n')),
      `${root}/tagmanifest-sha256.txt`,
    );
    zip.end();
    await written;
  } finally {
    bag.close();
  }
}

async function verifyCli(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(__dirname, '..', '..', 'scripts', 'verify.js'),
      ...args,
    ]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}
