import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { compactVerify, createLocalJWKSet } from 'jose';
import { Client } from 'pg';
import { withScratchDatabase } from '../support/database';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const run = promisify(execFile);

describe('court custody reports (JSON and PDF)', function () {
  this.timeout(60_000);

  /** A service on its own database and store, with one item that was transferred, read, sealed and checked. */
  async function withHandledItem(
    body: (
      service: TestService,
      url: string,
      token: string,
      item: { id: string; sha256: string },
      blobDir: string,
    ) => Promise<void>,
  ) {
    const blobDir = await mkdtemp(path.join(os.tmpdir(), 'custody-report-'));
    try {
      await withScratchDatabase(async (url) => {
        const service = await startTestService({ DATABASE_URL: url, BLOB_DIR: blobDir });
        try {
          const agency = uniqueAgency();
          const token = await service.token(uniqueSub('alice'), agency, 'investigator');
          const caseId = (
            await service.call('POST', '/v1/cases', {
              token,
              json: { reference: randomUUID(), title: 'Fraud' },
            })
          ).body.case.id;
          const form = new FormData();
          form.append(
            'metadata',
            JSON.stringify({
              exhibitNumber: 'EX-7',
              description: 'Phone extraction',
              source: 'iPhone 14',
              acquiredAt: '2026-11-20T09:30:00Z',
              acquiredBy: 'Sgt. Aliyev',
            }),
          );
          form.append('file', new Blob([randomBytes(30_000)]), 'extraction.zip');
          const uploaded = (await (
            await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
              method: 'POST',
              headers: { authorization: `Bearer ${token}` },
              body: form,
            })
          ).json()) as { evidence: { id: string; digests: { sha256: string } } };
          const id = uploaded.evidence.id;
          const lab = uniqueAgency('LAB');
          const labToken = await service.token(uniqueSub('lab'), lab, 'custodian');
          // The lab examines the bytes: a custodian's membership that opens them.
          const labGrant = await service.call('POST', `/v1/cases/${caseId}/grants`, {
            token,
            json: { agency: lab, role: 'custodian', content: true },
          });
          expect(labGrant.status).to.equal(201);
          const event = (as: string, json: Record<string, unknown>) =>
            service.call('POST', `/v1/evidence/${id}/events`, {
              token: as,
              json: { purpose: 'examination', ...json },
            });
          expect(
            (await event(token, { type: 'custody.transferred', counterparty: { agency: lab } })).status,
          ).to.equal(201);
          expect((await event(labToken, { type: 'custody.received' })).status).to.equal(201);
          expect(
            (await service.call('GET', `/v1/evidence/${id}/content`, { token: labToken })).status,
          ).to.equal(200);
          expect((await event(labToken, { type: 'custody.sealed', sealNumber: 'LAB-0091' })).status).to.equal(
            201,
          );
          expect(
            (await service.call('POST', `/v1/evidence/${id}/fixity`, { token: labToken })).status,
          ).to.equal(201);
          await body(service, url, labToken, { id, sha256: uploaded.evidence.digests.sha256 }, blobDir);
        } finally {
          await service.stop();
        }
      });
    } finally {
      await rm(blobDir, { recursive: true, force: true });
    }
  }

  it('when an item was transferred, read, sealed and checked, then its report verifies, is signed, and is itself in the chain', async () => {
    await withHandledItem(async (service, _url, token, item) => {
      const response = await service.call('GET', `/v1/evidence/${item.id}/report`, { token });
      expect(response.status).to.equal(200);
      const { report, jws } = response.body;
      expect(report.verification.verdict).to.equal('verified');
      expect(
        Object.values(report.verification).filter((v) => typeof v === 'object' && !(v as { ok: boolean }).ok),
      ).to.deep.equal([]);
      expect(report.entries.map((e: { entry: { type: string } }) => e.entry.type)).to.deep.equal([
        'evidence.acquired',
        'custody.transferred',
        'custody.received',
        'evidence.accessed',
        'custody.sealed',
        'integrity.verified',
        'report.issued',
      ]);
      expect(report.anomalies).to.deep.equal([]);
      expect(report.context.case).to.include({ title: 'Fraud' });
      expect(report.context.orders).to.deep.equal([]);
      const jwks = (await service.call('GET', '/.well-known/jwks.json')).body;
      const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks));
      expect(protectedHeader.typ).to.equal('custody-report+jwt');
      expect(JSON.parse(new TextDecoder().decode(payload))).to.deep.equal(report);
    });
  });

  it('when the stored bytes were changed on disk, then the report says the integrity check failed', async () => {
    await withHandledItem(async (service, _url, token, item, blobDir) => {
      const file = path.join(
        blobDir,
        'sha256',
        item.sha256.slice(0, 2),
        item.sha256.slice(2, 4),
        item.sha256,
      );
      await chmod(file, 0o600);
      await writeFile(file, randomBytes(30_000));
      const { report } = (await service.call('GET', `/v1/evidence/${item.id}/report`, { token })).body;
      expect(report.verification.verdict).to.equal('failed');
      expect(report.verification.bytes.ok).to.equal(false);
      expect(report.verification.chain.ok).to.equal(true);
    });
  });

  it('when a log row was changed in the database, then the report says the chain failed', async () => {
    await withHandledItem(async (service, url, token, item) => {
      const admin = new Client({ connectionString: url });
      await admin.connect();
      await admin.query('ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only');
      await admin.query(
        `UPDATE log_entries SET leaf_data = convert_to(replace(convert_from(leaf_data, 'UTF8'), 'LAB-0091', 'LAB-0092'), 'UTF8')
          WHERE subject_id = $1 AND entry_type = 'custody.sealed'`,
        [item.id],
      );
      await admin.end();
      const { report } = (await service.call('GET', `/v1/evidence/${item.id}/report`, { token })).body;
      expect(report.verification.verdict).to.equal('failed');
      expect(report.verification.chain.ok).to.equal(false);
      expect(report.verification.bytes.ok).to.equal(true);
    });
  });

  it('when the PDF is fetched, then qpdf finds it well-formed and pdftotext shows the digests and the checkpoint', async function () {
    const tools = await Promise.all(
      ['qpdf', 'pdftotext'].map((tool) =>
        run('which', [tool]).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (tools.includes(false)) {
      if (process.env.INTEROP_REQUIRED === '1')
        throw new Error('qpdf and pdftotext are required: run scripts/install-interop-tools.sh');
      // The PDF is checked with poppler and qpdf from Debian; scripts/install-interop-tools.sh installs them,
      // and CI sets INTEROP_REQUIRED=1, so this never skips there.
      this.skip();
    }
    await withHandledItem(async (service, _url, token, item) => {
      const response = await fetch(new URL(`/v1/evidence/${item.id}/report.pdf`, service.url), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('application/pdf');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'custody-pdf-'));
      try {
        const file = path.join(dir, 'report.pdf');
        await writeFile(file, Buffer.from(await response.arrayBuffer()));
        await run('qpdf', ['--check', file]);
        const { stdout } = await run('pdftotext', ['-layout', file, '-']);
        expect(stdout).to.contain(item.sha256);
        expect(stdout).to.contain('VERIFIED');
        expect(stdout).to.contain('custody.sealed');
        expect(stdout).to.contain('npm run --silent verify -- receipt');
        expect(stdout).to.match(/page 1/);
        const log = (await service.call('GET', '/v1/log/info')).body;
        expect(stdout).to.contain(log.origin);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
