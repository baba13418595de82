import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { freePort } from '../../scripts/lib/service-process';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';

const CHILD = path.join(__dirname, '..', 'support', 'embedded-child.js');

/** Starts the child owner and resolves once its server accepts connections. */
function startOwner(dir: string, port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
  });
}

async function selectOne(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT 1 AS one')).rows[0].one;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', function () {
  this.timeout(120_000);
  const logger = createLogger('silent');
  let dir: string;
  let port: number;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-embedded-'));
    port = await freePort();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when its owner was killed with SIGKILL, then the next start stops the orphan and comes up on the same data', async () => {
    const owner = await startOwner(dir, port);
    const orphanPid = Number(
      (await readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    owner.kill('SIGKILL');
    await new Promise((resolve) => owner.once('exit', resolve));
    expect(() => process.kill(orphanPid, 0), 'the postmaster outlives its owner').not.to.throw();

    const embedded = await startEmbeddedPostgres({ dir, port, database: 'child', logger });
    try {
      expect(await selectOne(embedded.url)).to.equal(1);
      expect(() => process.kill(orphanPid, 0), 'the orphan was stopped').to.throw();
    } finally {
      await embedded.stop();
    }
  });

  it('when its owner is still alive, then a second start refuses instead of stealing the cluster', async () => {
    const owner = await startOwner(dir, port);
    try {
      let refused: unknown;
      await startEmbeddedPostgres({ dir, port, database: 'child', logger }).catch((error: unknown) => {
        refused = error;
      });
      expect(refused).to.be.instanceOf(Error);
    } finally {
      owner.kill('SIGKILL');
      await new Promise((resolve) => owner.once('exit', resolve));
      // Clean up the orphan the kill left behind by starting and stopping once more.
      await (await startEmbeddedPostgres({ dir, port, database: 'child', logger })).stop();
    }
  });

  it('when stopped, then the server is gone and the secrets stay private', async () => {
    const embedded = await startEmbeddedPostgres({ dir, port, database: 'child', logger });
    const pid = Number((await readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    await embedded.stop();
    expect(() => process.kill(pid, 0)).to.throw();
    const { mode } = await import('node:fs/promises').then((fs) =>
      fs.stat(path.join(dir, 'postgres.password')),
    );
    expect(mode & 0o777).to.equal(0o600);
  });
});
