import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { withScratchDatabase } from '../support/database';
import { type RevealedEntry, revealed } from '../support/revealed';
import { startTestService, uniqueAgency, uniqueSub } from '../support/service';

describe('the scheduled fixity sweep', function () {
  this.timeout(60_000);

  it('when the sweep runs, then every item gets an integrity entry, a changed one integrity.failed, and /metrics counts them', async () => {
    const blobDir = await mkdtemp(path.join(os.tmpdir(), 'custody-sweep-'));
    try {
      await withScratchDatabase(async (url) => {
        const service = await startTestService({
          DATABASE_URL: url,
          BLOB_DIR: blobDir,
          FIXITY_SWEEP_INTERVAL_SECONDS: '1',
        });
        try {
          const token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
          const caseId = (
            await service.call('POST', '/v1/cases', { token, json: { reference: randomUUID(), title: 'T' } })
          ).body.case.id;
          const ids: string[] = [];
          const hashes: string[] = [];
          for (let i = 0; i < 2; i++) {
            const form = new FormData();
            form.append(
              'metadata',
              JSON.stringify({
                exhibitNumber: `EX-${i}`,
                description: 'd',
                source: 's',
                acquiredAt: '2026-11-20T09:30:00.000Z',
                acquiredBy: 'a',
              }),
            );
            form.append('file', new Blob([randomBytes(10_000)]), 'f.bin');
            const response = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
              method: 'POST',
              headers: { authorization: `Bearer ${token}` },
              body: form,
            });
            const body = (await response.json()) as { evidence: { id: string; digests: { sha256: string } } };
            ids.push(body.evidence.id);
            hashes.push(body.evidence.digests.sha256);
          }
          const changed = path.join(
            blobDir,
            'sha256',
            hashes[1]?.slice(0, 2) ?? '',
            hashes[1]?.slice(2, 4) ?? '',
            hashes[1] ?? '',
          );
          await chmod(changed, 0o600);
          await writeFile(changed, randomBytes(10_000));

          const integrity = async (id: string) =>
            (await service.call('GET', `/v1/evidence/${id}/chain`, { token })).body.entries
              .map(revealed)
              .filter((entry: RevealedEntry) => entry.type.startsWith('integrity.'));
          for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
            if (
              (await integrity(ids[0] as string)).length > 0 &&
              (await integrity(ids[1] as string)).length > 0
            )
              break;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          const [intact] = await integrity(ids[0] as string);
          const [broken] = await integrity(ids[1] as string);
          expect(intact?.type).to.equal('integrity.verified');
          expect(broken?.type).to.equal('integrity.failed');
          expect(broken?.actor).to.deep.equal({
            sub: 'service:fixity-sweep',
            agency: 'SYSTEM',
            role: 'custodian',
          });

          const metrics = (await service.call('GET', '/metrics')).text;
          expect(metrics).to.match(/custody_fixity_checks_total\{result="failed"\} [1-9]/);
          expect(metrics).to.match(/custody_fixity_checks_total\{result="verified"\} [1-9]/);
          expect(metrics).to.match(/custody_log_size [1-9]/);
        } finally {
          await service.stop();
        }
      });
    } finally {
      await rm(blobDir, { recursive: true, force: true });
    }
  });
});
