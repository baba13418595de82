import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { startTestService, uniqueAgency, uniqueSub } from '../support/service';

const run = promisify(execFile);

describe('evidence intake on a full disk', function () {
  this.timeout(60_000);
  let mountPoint: string;

  before(async function () {
    // A real full filesystem needs a small tmpfs, and mounting one needs root.
    // CI runs as root, so this runs there; a developer without root skips it.
    if (process.getuid?.() !== 0) this.skip();
    mountPoint = await mkdtemp(path.join(os.tmpdir(), 'custody-full-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
  });
  after(async () => {
    if (!mountPoint) return;
    await run('umount', [mountPoint]).catch(() => {});
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('when the store runs out of space mid-file, then 507 STORAGE_FULL and nothing is left', async () => {
    const service = await startTestService({ BLOB_DIR: mountPoint });
    try {
      const token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
      const caseId = (
        await service.call('POST', '/v1/cases', { token, json: { reference: randomUUID(), title: 'T' } })
      ).body.case.id;
      const rowsBefore = (await testDatabase().db.query('SELECT count(*)::int AS n FROM evidence'))[0].n;
      const form = new FormData();
      form.append(
        'metadata',
        JSON.stringify({
          exhibitNumber: 'EX-1',
          description: 'd',
          source: 's',
          acquiredAt: '2026-11-20T09:30:00.000Z',
          acquiredBy: 'a',
        }),
      );
      form.append('file', new Blob([randomBytes(3 * 1024 * 1024)]), 'big.bin');
      const response = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      const body = (await response.json()) as { code: string };
      expect(response.status).to.equal(507);
      expect(body.code).to.equal('STORAGE_FULL');
      expect(await readdir(path.join(mountPoint, 'staging'))).to.deep.equal([]);
      expect(await readdir(path.join(mountPoint, 'sha256'))).to.deep.equal([]);
      expect((await testDatabase().db.query('SELECT count(*)::int AS n FROM evidence'))[0].n).to.equal(
        rowsBefore,
      );
    } finally {
      await service.stop();
    }
  });
});
