import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import type { LogEntry } from '../../src/ledger';
import { testDatabase, withScratchDatabase } from '../support/database';
import { executedRequestFor, openCase, productionOrderBody } from '../support/fixtures';
import { type RevealedEntry, revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

interface Item {
  readonly id: string;
  readonly size: number;
  readonly digests: { readonly sha256: string; readonly sha512: string };
}

const TAMPERED = 'urn:custody-ledger:problem:evidence-record-tampered';

/** Uploads `bytes` as a new exhibit and returns the item as the API shows it. */
async function upload(service: TestService, token: string, caseId: string, bytes: Uint8Array): Promise<Item> {
  const form = new FormData();
  form.append(
    'metadata',
    JSON.stringify({
      exhibitNumber: `EX-${randomUUID().slice(0, 8)}`,
      description: 'Disk image',
      source: 'Seized laptop',
      acquiredAt: '2026-11-20T09:30:00Z',
      acquiredBy: 'Sgt. Aliyev',
    }),
  );
  form.append('file', new Blob([bytes]), 'disk.dd');
  const response = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = (await response.json()) as { evidence: Item };
  expect(response.status).to.equal(201);
  return body.evidence;
}

/** As an attacker with the database owner's rights: points `victim`'s row at `donor`'s digests and size. */
async function pointRowAt(ownerUrl: string, victim: Item, donor: Item): Promise<void> {
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query('UPDATE evidence SET sha256 = $1, sha512 = $2, size = $3 WHERE id = $4', [
      donor.digests.sha256,
      donor.digests.sha512,
      donor.size,
      victim.id,
    ]);
  } finally {
    await owner.end();
  }
}

/** Replaces the stored bytes of `sha256` on disk (the store keeps them read-only). */
async function overwriteBlob(blobDir: string, sha256: string, bytes: Uint8Array): Promise<void> {
  const file = path.join(blobDir, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  await chmod(file, 0o600);
  await writeFile(file, bytes);
}

async function chainOf(service: TestService, token: string, id: string): Promise<RevealedEntry[]> {
  const response = await service.call('GET', `/v1/evidence/${id}/chain`, { token });
  expect(response.status).to.equal(200);
  return response.body.entries.map(revealed);
}

/**
 * Reads a whole response, counting its body bytes: `complete` is false when the
 * transfer broke off before the promised Content-Length; `status` is absent when
 * it broke off before the headers.
 */
function fetchAll(
  service: TestService,
  route: string,
  token: string,
): Promise<{ complete: boolean; status?: number; received: number }> {
  return new Promise((resolve) => {
    let received = 0;
    const request = http.get(
      new URL(route, service.url),
      { headers: { authorization: `Bearer ${token}` } },
      (response) => {
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
        });
        response.on('error', () => {});
        response.on('close', () =>
          resolve({ complete: response.complete, status: response.statusCode ?? 0, received }),
        );
      },
    );
    request.on('error', () => resolve({ complete: false, received }));
  });
}

describe('evidence whose record or stored bytes were tampered with', function () {
  this.timeout(60_000);
  let service: TestService;
  let blobDir: string;
  let agency: string;
  let investigator: string;
  let caseId: string;
  /** Two items of one case; the first one's row is then pointed at the second one's digests. */
  let tamperedPair: () => Promise<{ victim: Item; donor: Item }>;

  before(async () => {
    blobDir = await mkdtemp(path.join(os.tmpdir(), 'custody-tamper-'));
    agency = uniqueAgency();
    // The case's agency is the central authority: it discloses under the requests it received.
    service = await startTestService({ BLOB_DIR: blobDir, CENTRAL_AUTHORITY: agency });
    investigator = await service.token(uniqueSub('inv'), agency, 'investigator', 'prosecutor');
    caseId = await openCase(service, investigator);
    tamperedPair = async () => {
      const victim = await upload(service, investigator, caseId, randomBytes(20_000));
      const donor = await upload(service, investigator, caseId, randomBytes(30_000));
      await pointRowAt(testDatabase().ownerUrl, victim, donor);
      return { victim, donor };
    };
  });
  after(async () => {
    await service.stop();
    await rm(blobDir, { recursive: true, force: true });
  });

  describe('when an item’s row is pointed at another item’s digests', () => {
    it('when its fixity is checked, then integrity.failed says the record no longer matches its intake entry, and its own bytes were hashed', async () => {
      const { victim } = await tamperedPair();
      const response = await service.call('POST', `/v1/evidence/${victim.id}/fixity`, {
        token: investigator,
      });
      expect(response.status).to.equal(201);
      expect(response.body.intact).to.equal(false);
      expect(response.body.entry.type).to.equal('integrity.failed');
      expect(response.body.entry.data).to.include({ reason: 'record_mismatch', method: 'rehash' });
      expect(response.body.entry.data.fields).to.have.members(['sha256', 'sha512', 'size']);
      // The bytes read were the ones the intake entry names, not the donor's.
      expect(response.body.entry.data.sha256).to.equal(victim.digests.sha256);
    });

    it('when its custody report is issued, then the verdict is failed, the failure is an anomaly, and the chain holds it', async () => {
      const { victim } = await tamperedPair();
      const response = await service.call('GET', `/v1/evidence/${victim.id}/report`, { token: investigator });
      expect(response.status).to.equal(200);
      const { report } = response.body;
      expect(report.verification.verdict).to.equal('failed');
      expect(report.verification.bytes.ok).to.equal(false);
      expect(report.verification.chain.ok).to.equal(true);
      const failure = report.entries
        .map((e: { entry: LogEntry }) => e.entry)
        .find((entry: LogEntry) => entry.type === 'integrity.failed');
      expect(failure?.data.reason).to.equal('record_mismatch');
      expect(report.anomalies.map((a: { kind: string; seq: number }) => [a.kind, a.seq])).to.deep.include([
        'integrity_failed',
        failure?.seq,
      ]);
    });

    it('when its content is downloaded, whole or by range, then 409 EVIDENCE_RECORD_TAMPERED, no access is logged, and integrity.failed is on its chain', async () => {
      const { victim } = await tamperedPair();
      const asked: Record<string, string>[] = [{}, { range: 'bytes=0-99' }];
      for (const headers of asked) {
        const response = await service.call('GET', `/v1/evidence/${victim.id}/content`, {
          token: investigator,
          headers,
        });
        expect(response.status).to.equal(409);
        expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
        expect(response.body.code).to.equal('EVIDENCE_RECORD_TAMPERED');
        expect(response.body.type).to.equal(TAMPERED);
      }
      const chain = await chainOf(service, investigator, victim.id);
      expect(chain.map((entry) => entry.type)).to.not.include('evidence.accessed');
      const failures = chain.filter((entry) => entry.type === 'integrity.failed');
      expect(failures).to.have.length(2);
      expect(failures[0]?.data).to.include({ reason: 'record_mismatch', method: 'record' });
    });

    it('when a disclosure package holding it is fetched, then 409 EVIDENCE_RECORD_TAMPERED and integrity.failed is on its chain', async () => {
      // Disclosed under the recipient's executed request, the rows changed after: the request saw them intact.
      const victim = await upload(service, investigator, caseId, randomBytes(20_000));
      const donor = await upload(service, investigator, caseId, randomBytes(30_000));
      const partnerAgency = uniqueAgency('DE');
      const orderId = await executedRequestFor(service, investigator, partnerAgency, [donor.id, victim.id]);
      await pointRowAt(testDatabase().ownerUrl, victim, donor);
      const created = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: investigator,
        json: { recipientAgency: partnerAgency, evidenceIds: [donor.id, victim.id], orderId },
      });
      expect(created.status, created.text).to.equal(201);
      const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
      const response = await service.call('GET', `/v1/disclosures/${created.body.disclosure.id}/package`, {
        token: partner,
      });
      expect(response.status).to.equal(409);
      expect(response.body.code).to.equal('EVIDENCE_RECORD_TAMPERED');
      expect(response.body.type).to.equal(TAMPERED);
      const failures = (await chainOf(service, investigator, victim.id)).filter(
        (entry) => entry.type === 'integrity.failed',
      );
      expect(failures).to.have.length(1);
      expect(failures[0]?.actor.agency).to.equal(partnerAgency);
      // The intact item was not blamed.
      const donorTypes = (await chainOf(service, investigator, donor.id)).map((entry) => entry.type);
      expect(donorTypes).to.not.include('integrity.failed');
    });
  });

  describe('when an item’s row is pointed at another item’s digests and an order cites it', () => {
    /** A domestic production order in the case, to link items to. */
    const productionOrder = () =>
      service.call('POST', '/v1/orders', {
        token: investigator,
        json: productionOrderBody(caseId),
      });

    it('when it is linked to an order, then 409 EVIDENCE_RECORD_TAMPERED, the order does not cite the other digest, and integrity.failed is on its chain', async () => {
      const { victim, donor } = await tamperedPair();
      const order = await productionOrder();
      expect(order.status, order.text).to.equal(201);
      const linked = await service.call('POST', `/v1/orders/${order.body.order.id}/evidence`, {
        token: investigator,
        json: { evidenceId: victim.id },
      });
      expect(linked.status).to.equal(409);
      expect(linked.body.code).to.equal('EVIDENCE_RECORD_TAMPERED');
      const fetched = await service.call('GET', `/v1/orders/${order.body.order.id}`, { token: investigator });
      expect(JSON.stringify(fetched.body)).to.not.include(donor.digests.sha256);
      const failures = (await chainOf(service, investigator, victim.id)).filter(
        (entry) => entry.type === 'integrity.failed',
      );
      expect(failures).to.have.length(1);
    });

    it('when an intact item is linked to an order, then the order’s entry cites the digest its intake entry recorded', async () => {
      const item = await upload(service, investigator, caseId, randomBytes(5_000));
      const order = await productionOrder();
      const linked = await service.call('POST', `/v1/orders/${order.body.order.id}/evidence`, {
        token: investigator,
        json: { evidenceId: item.id },
      });
      expect(linked.status, linked.text).to.equal(201);
      const cited = JSON.parse(Buffer.from(linked.body.receipt.split('.')[1], 'base64url').toString()).entry
        .data;
      expect(cited).to.include({ evidence: item.id, sha256: item.digests.sha256 });
    });
  });

  describe('when a stored file’s bytes were changed on disk', () => {
    for (const [what, size, status] of [
      // Most of it is sent as it is read; the last chunk is held back until the digest is known.
      ['a file of many chunks', 300_000, 200],
      // Its only chunk is held back: the connection ends before the headers.
      ['a file of one chunk', 5_000, undefined],
    ] as const) {
      it(`when ${what} is downloaded whole, then the transfer breaks off before its Content-Length and integrity.failed is on its chain`, async () => {
        const item = await upload(service, investigator, caseId, randomBytes(size));
        await overwriteBlob(blobDir, item.digests.sha256, randomBytes(size));
        const download = await fetchAll(service, `/v1/evidence/${item.id}/content`, investigator);
        expect(download.complete).to.equal(false);
        expect(download.status).to.equal(status);
        expect(download.received).to.be.below(size);
        const failures = (await chainOf(service, investigator, item.id)).filter(
          (entry) => entry.type === 'integrity.failed',
        );
        expect(failures).to.have.length(1);
        expect(failures[0]?.data).to.include({ reason: 'content_mismatch', method: 'stream', size });
        expect(failures[0]?.data.sha256).to.not.equal(item.digests.sha256);
      });
    }

    it('when the file grew, then no byte beyond the intake size is sent and integrity.failed is on its chain', async () => {
      const item = await upload(service, investigator, caseId, randomBytes(100_000));
      await overwriteBlob(blobDir, item.digests.sha256, randomBytes(400_000));
      const download = await fetchAll(service, `/v1/evidence/${item.id}/content`, investigator);
      expect(download.complete).to.equal(false);
      expect(download.received).to.be.below(100_000);
      const failures = (await chainOf(service, investigator, item.id)).filter(
        (entry) => entry.type === 'integrity.failed',
      );
      expect(failures[0]?.data).to.include({ reason: 'content_mismatch', size: 400_000 });
    });

    it('when a range is asked for, then it is served unhashed (ranges rely on fixity), and the next fixity check records the change', async () => {
      const item = await upload(service, investigator, caseId, randomBytes(20_000));
      const changed = randomBytes(20_000);
      await overwriteBlob(blobDir, item.digests.sha256, changed);
      const response = await fetch(new URL(`/v1/evidence/${item.id}/content`, service.url), {
        headers: { authorization: `Bearer ${investigator}`, range: 'bytes=0-99' },
      });
      expect(response.status).to.equal(206);
      expect(Buffer.from(await response.arrayBuffer())).to.deep.equal(changed.subarray(0, 100));
      const fixity = await service.call('POST', `/v1/evidence/${item.id}/fixity`, { token: investigator });
      expect(fixity.body.entry.data).to.include({ reason: 'content_mismatch', method: 'rehash' });
    });

    it('when a disclosure package holding it is fetched, then the transfer breaks off and integrity.failed is on its chain', async () => {
      const item = await upload(service, investigator, caseId, randomBytes(200_000));
      const partnerAgency = uniqueAgency('DE');
      const orderId = await executedRequestFor(service, investigator, partnerAgency, [item.id]);
      await overwriteBlob(blobDir, item.digests.sha256, randomBytes(200_000));
      const created = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: investigator,
        json: { recipientAgency: partnerAgency, evidenceIds: [item.id], orderId },
      });
      const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
      const download = await fetchAll(
        service,
        `/v1/disclosures/${created.body.disclosure.id}/package`,
        partner,
      );
      expect(download.complete).to.equal(false);
      expect(download.status).to.equal(200);
      const failures = (await chainOf(service, investigator, item.id)).filter(
        (entry) => entry.type === 'integrity.failed',
      );
      expect(failures.map((entry) => entry.data.method)).to.include('stream');
      // The service is still serving.
      expect((await service.call('GET', `/v1/evidence/${item.id}`, { token: investigator })).status).to.equal(
        200,
      );
    });
  });

  it('when a row was pointed at another item’s digests, then the scheduled sweep records integrity.failed for it as the service', async () => {
    const sweepBlobs = await mkdtemp(path.join(os.tmpdir(), 'custody-tamper-sweep-'));
    try {
      await withScratchDatabase(async (url) => {
        const sweeping = await startTestService({
          DATABASE_URL: url,
          BLOB_DIR: sweepBlobs,
          FIXITY_SWEEP_INTERVAL_SECONDS: '1',
        });
        try {
          const token = await sweeping.token(uniqueSub('inv'), uniqueAgency(), 'investigator');
          const sweepCase = await openCase(sweeping, token);
          const victim = await upload(sweeping, token, sweepCase, randomBytes(10_000));
          const donor = await upload(sweeping, token, sweepCase, randomBytes(12_000));
          await pointRowAt(url, victim, donor);
          let failure: RevealedEntry | undefined;
          for (const deadline = Date.now() + 20_000; !failure && Date.now() < deadline; ) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            failure = (await chainOf(sweeping, token, victim.id)).find((entry) =>
              entry.type.startsWith('integrity.'),
            );
          }
          expect(failure?.type).to.equal('integrity.failed');
          expect(failure?.data.reason).to.equal('record_mismatch');
          expect(failure?.actor.sub).to.equal('service:fixity-sweep');
        } finally {
          await sweeping.stop();
        }
      });
    } finally {
      await rm(sweepBlobs, { recursive: true, force: true });
    }
  });
});
