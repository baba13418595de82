import { randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { exited, type ServiceProcess, spawnService, stopService } from '../../scripts/lib/service-process';
import { issueBuiltInToken } from '../../src/access/built-in-issuer';
import { loadConfig } from '../../src/config';
import { withScratchDatabase } from '../support/database';
import { call, testDataDir, uniqueAgency } from '../support/service';

/** Every file under `dir`, recursively, as names relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

/** Waits for the child to exit, at most `ms`: a point that does not fire fails the test instead of hanging it. */
async function killedWithin(service: ServiceProcess, ms = 30_000): Promise<NodeJS.Signals | null> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    exited(service.child),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
  return service.child.signalCode;
}

async function upload(service: ServiceProcess, token: string, caseId: string): Promise<number | undefined> {
  const form = new FormData();
  form.append(
    'metadata',
    JSON.stringify({
      exhibitNumber: 'EX-1',
      description: 'Fault point exhibit',
      source: 'Test',
      acquiredAt: '2026-11-20T09:30:00Z',
      acquiredBy: 'Test',
    }),
  );
  form.append('file', new Blob([randomBytes(64 * 1024)]), 'exhibit.bin');
  return fetch(`${service.url}/v1/cases/${caseId}/evidence`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  }).then(
    (response) => response.status,
    () => undefined,
  );
}

describe('fault points in a running service', function () {
  this.timeout(120_000);

  async function harness(url: string) {
    const dataDir = await testDataDir();
    const env = { DATABASE_URL: url, DATA_DIR: dataDir };
    const token = await issueBuiltInToken(loadConfig(env), {
      sub: `faults-${randomUUID()}`,
      agency: uniqueAgency(),
      roles: ['investigator'],
      ttlSeconds: 600,
    });
    return { dataDir, env, token };
  }

  it('when blob.before-rename=kill is armed, then an upload kills the service with SIGKILL, its bytes still in staging and no blob stored', async () => {
    await withScratchDatabase(async (url) => {
      const { dataDir, env, token } = await harness(url);
      const service = await spawnService({ ...env, FAULT_POINTS: 'blob.before-rename=kill' });
      try {
        const opened = await call(service.url, 'POST', '/v1/cases', {
          token,
          json: { reference: `FAULT-${randomUUID()}`, title: 'Fault points' },
        });
        expect(opened.status, 'a case opens: no blob is involved').to.equal(201);

        const status = await upload(service, token, opened.body.case.id);
        expect(await killedWithin(service)).to.equal('SIGKILL');
        expect(status, 'no answer to the upload').to.equal(undefined);
        const blobs = path.join(dataDir, 'blobs');
        expect(await filesUnder(path.join(blobs, 'sha256'))).to.deep.equal([]);
        expect((await filesUnder(path.join(blobs, 'staging'))).length).to.equal(1);
      } finally {
        if (service.child.exitCode === null && service.child.signalCode === null)
          await stopService(service.child);
      }
    });
  });

  it('when log.after-commit=kill is armed, then the first append kills the service unanswered, and its case is committed', async () => {
    await withScratchDatabase(async (url) => {
      const { env, token } = await harness(url);
      const service = await spawnService({ ...env, FAULT_POINTS: 'log.after-commit=kill' });
      const reference = `FAULT-${randomUUID()}`;
      try {
        const opened = await call(service.url, 'POST', '/v1/cases', {
          token,
          json: { reference, title: 'Fault points' },
        }).catch(() => undefined);
        expect(await killedWithin(service)).to.equal('SIGKILL');
        expect(opened, 'no answer to the append').to.equal(undefined);
      } finally {
        if (service.child.exitCode === null && service.child.signalCode === null)
          await stopService(service.child);
      }
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT count(*)::int AS n FROM cases WHERE reference = $1', [
          reference,
        ]);
        expect(rows[0].n).to.equal(1);
      } finally {
        await client.end();
      }
    });
  });
});
