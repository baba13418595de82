import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import {
  childEnv,
  exited,
  type ServiceProcess,
  spawnService,
  stopService,
} from '../../scripts/lib/service-process';
import { issueBuiltInToken } from '../../src/access/built-in-issuer';
import { loadConfig } from '../../src/config';
import { withScratchDatabase } from '../support/database';
import { type S3Server, startS3Server } from '../support/s3-server';
import { call, uniqueAgency } from '../support/service';
import { type SwitchableProxy, startSwitchableProxy } from '../support/switchable-proxy';

const GIB = 1024 ** 3;
const UPLOAD_CLI = path.join(__dirname, '..', '..', 'scripts', 'upload.js');

/** Writes `size` random bytes to `file`, returning their digests as the service computes them. */
async function writeRandomFile(file: string, size: number) {
  const hashes = { sha256: 'sha256', sha512: 'sha512', md5: 'md5', sha1: 'sha1' } as const;
  const digests = Object.fromEntries(Object.entries(hashes).map(([name, alg]) => [name, createHash(alg)]));
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < size; ) {
      const chunk = randomBytes(Math.min(16 * 1024 * 1024, size - written));
      for (const digest of Object.values(digests)) digest.update(chunk);
      await handle.write(chunk);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return Object.fromEntries(Object.entries(digests).map(([name, digest]) => [name, digest.digest('hex')]));
}

/** The bytes the upload directory holds for the (one) upload in progress. */
async function receivedBytes(uploadDir: string): Promise<number> {
  const names = (await readdir(uploadDir).catch(() => [])).filter((name) => !name.endsWith('.json'));
  let most = 0;
  for (const name of names) {
    const size = await stat(path.join(uploadDir, name)).then(
      (stats) => (stats.isFile() ? stats.size : 0),
      () => 0,
    );
    most = Math.max(most, size);
  }
  return most;
}

async function untilReceived(uploadDir: string, bytes: number, cli: ChildProcess): Promise<void> {
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; ) {
    if ((await receivedBytes(uploadDir)) >= bytes) return;
    if (cli.exitCode !== null)
      expect.fail(`the upload CLI ended (${cli.exitCode}) before ${bytes} bytes arrived`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect.fail(`${bytes} bytes did not arrive`);
}

/** The upload CLI as a user runs it, against one address; its stdout is kept. */
function runCli(args: string[], env: Record<string, string>): { child: ChildProcess; stdout: () => string } {
  const child = spawn(process.execPath, [UPLOAD_CLI, ...args], {
    env: childEnv({ LOG_LEVEL: 'warn', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.resume();
  return { child, stdout: () => stdout };
}

function portOf(service: ServiceProcess): number {
  return Number(new URL(service.url).port);
}

async function sha256Of(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Two service processes behind one address, as a national deployment runs
 * them: one PostgreSQL, one S3-compatible bucket for the evidence, one shared
 * directory for the bytes of uploads in progress, each process with its own
 * DATA_DIR holding the same keys (copied, as to another host).
 */
describe('a 1 GiB upload across a client kill, a server kill and a switch to the other process', function () {
  this.timeout(900_000);
  let s3: S3Server;
  let work: string;

  before(async () => {
    s3 = await startS3Server();
    work = await mkdtemp(path.join(os.tmpdir(), 'custody-resume-'));
  });
  after(async () => {
    await s3?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('when the upload is interrupted three times, then the item commits once with the digests of the whole file', async () => {
    await withScratchDatabase(async (url) => {
      const file = path.join(work, 'image.dd');
      const digests = await writeRandomFile(file, GIB);
      const uploadDir = path.join(work, 'uploads');
      const shared = {
        DATABASE_URL: url,
        UPLOAD_DIR: uploadDir,
        ...s3.env(),
      };
      const hostA = { ...shared, DATA_DIR: path.join(work, 'host-a') };
      const hostB = { ...shared, DATA_DIR: path.join(work, 'host-b') };

      let processA = await spawnService(hostA);
      await cp(path.join(hostA.DATA_DIR, 'keys'), path.join(hostB.DATA_DIR, 'keys'), { recursive: true });
      const processB = await spawnService(hostB);
      const proxy: SwitchableProxy = await startSwitchableProxy(portOf(processA));
      try {
        const token = await issueBuiltInToken(loadConfig(hostA), {
          sub: `resume-${randomUUID()}`,
          agency: uniqueAgency(),
          roles: ['investigator'],
          ttlSeconds: 900,
        });
        const opened = await call(proxy.url, 'POST', '/v1/cases', {
          token,
          json: { reference: `RESUME-${randomUUID()}`, title: 'Resumed upload' },
        });
        expect(opened.status, opened.text).to.equal(201);
        const caseId: string = opened.body.case.id;
        const args = [
          '--case',
          caseId,
          '--file',
          file,
          '--exhibit',
          'EX-1GIB',
          '--description',
          'Disk image sent over an unreliable link',
          '--state',
          path.join(work, 'upload-state.json'),
          '--legacy-digests',
        ];
        const cliEnv = { CUSTODY_TOKEN: token, CUSTODY_URL: proxy.url };

        // 1. The client is killed a quarter of the way in.
        const first = runCli(args, cliEnv);
        await untilReceived(uploadDir, GIB / 4, first.child);
        first.child.kill('SIGKILL');
        await exited(first.child);

        // 2. Started again, it resumes; the serving process is killed at half way and comes back.
        const resumed = runCli(args, cliEnv);
        await untilReceived(uploadDir, GIB / 2, resumed.child);
        processA.child.kill('SIGKILL');
        await exited(processA.child);
        processA = await spawnService(hostA);
        proxy.switchTo(portOf(processA));

        // 3. At three quarters, the address moves to the other process mid-request.
        await untilReceived(uploadDir, (3 * GIB) / 4, resumed.child);
        proxy.switchTo(portOf(processB));

        await exited(resumed.child);
        expect(resumed.child.exitCode).to.equal(0);
        const stored = JSON.parse(resumed.stdout());
        expect(stored.evidence.size).to.equal(GIB);
        expect(stored.evidence.digests).to.deep.equal(digests);

        const db = new Client({ connectionString: url });
        await db.connect();
        try {
          const intakes = await db.query(
            `SELECT count(*)::int AS n FROM log_entries WHERE subject_type = 'evidence'
               AND subject_id = $1 AND entry_type = 'evidence.acquired'`,
            [stored.evidence.id],
          );
          expect(intakes.rows[0].n).to.equal(1);
          const items = await db.query('SELECT count(*)::int AS n FROM evidence WHERE case_id = $1', [
            caseId,
          ]);
          expect(items.rows[0].n).to.equal(1);
          // One upload throughout: every restart continued it rather than sending the file again.
          const uploads = await db.query(
            'SELECT state, evidence_id FROM evidence_uploads WHERE case_id = $1',
            [caseId],
          );
          expect(uploads.rows).to.deep.equal([{ state: 'committed', evidence_id: stored.evidence.id }]);
        } finally {
          await db.end();
        }
        const verified = await call(proxy.url, 'POST', '/v1/receipts/verify', {
          json: { receipt: stored.receipt },
        });
        expect(verified.body.valid, verified.text).to.equal(true);

        // The bytes in the bucket, read back through the process that did not take the upload's start.
        const download = await fetch(`${proxy.url}/v1/evidence/${stored.evidence.id}/content`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(download.status).to.equal(200);
        expect(await sha256Of(download.body as unknown as NodeJS.ReadableStream)).to.equal(digests.sha256);
        expect(await receivedBytes(uploadDir)).to.equal(0);
        expect(await sha256Of(createReadStream(file))).to.equal(digests.sha256);
      } finally {
        await proxy.close();
        for (const service of [processA, processB]) {
          if (service.child.exitCode === null && service.child.signalCode === null)
            await stopService(service.child);
        }
      }
    });
  });
});
