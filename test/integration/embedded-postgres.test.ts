import { type ChildProcess, spawn } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { freePort } from '../../scripts/lib/service-process';
import { type EmbeddedUse, startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { RELOCATED_ROOT } from '../../src/db/postgres-cluster';
import { createLogger } from '../../src/logger';

const CHILD = path.join(__dirname, '..', 'support', 'embedded-child.js');

/** Starts the child owner and resolves once its server accepts connections. */
function startOwner(dir: string, port: number, use: EmbeddedUse = 'service'): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(port), use], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
  });
}

/** Stops a child with SIGTERM (it stops a server it started) and waits for it to exit. */
async function stopOwner(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
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

  it('when a service runs, then a command uses its server and leaves it running when done', async () => {
    const service = await startOwner(dir, port);
    try {
      const command = await startEmbeddedPostgres({
        dir,
        port: await freePort(),
        database: 'child',
        logger,
        use: 'command',
      });
      expect(command.clusterDir, 'it started no cluster of its own').to.equal(undefined);
      expect(new URL(command.url).port).to.equal(String(port));
      expect(await selectOne(command.url)).to.equal(1);
      await command.stop();
      expect(await selectOne(command.url), 'the service’s server still runs').to.equal(1);
    } finally {
      await stopOwner(service);
    }
  });

  it('when a command holds the server, then a service starting waits for it and then owns the server', async () => {
    const command = await startOwner(dir, port, 'command');
    const starting = startEmbeddedPostgres({ dir, port, database: 'child', logger });
    let settled = false;
    void starting.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(settled, 'the service waits while the command runs').to.equal(false);
    await stopOwner(command);
    const service = await starting;
    try {
      expect(await selectOne(service.url)).to.equal(1);
      const owner = JSON.parse(await readFile(path.join(dir, 'postgres.owner'), 'utf8'));
      expect(owner).to.include({ pid: process.pid, use: 'service' });
    } finally {
      await service.stop();
    }
  });

  describe('as root, with DATA_DIR out of the postgres OS user’s reach', () => {
    let home: string;
    before(function () {
      // Only root runs PostgreSQL as another OS user; CI runs as root, so this runs there.
      if (os.userInfo().uid !== 0) this.skip();
    });
    beforeEach(async () => {
      home = await mkdtemp(path.join(os.tmpdir(), 'custody-home-'));
      await chmod(home, 0o700);
    });
    afterEach(async () => {
      await rm(home, { recursive: true, force: true });
    });

    it('when started, then the cluster lives under the relocated root, the home is unchanged, and a temporary cluster is removed on stop', async () => {
      const dataDir = path.join(home, 'clone', 'data');
      await mkdir(path.dirname(dataDir));
      const embedded = await startEmbeddedPostgres({
        dir: dataDir,
        port,
        database: 'child',
        logger,
        temporary: true,
      });
      const clusterDir = embedded.clusterDir as string;
      try {
        expect(clusterDir.startsWith(`${RELOCATED_ROOT}/`)).to.equal(true);
        expect(path.basename(clusterDir)).to.match(/^clone-data-[0-9a-f]{12}$/);
        expect(await selectOne(embedded.url)).to.equal(1);
        expect((await stat(home)).mode & 0o777, 'the home keeps its mode').to.equal(0o700);
        expect((await stat(dataDir)).mode & 0o007, 'DATA_DIR is not opened to others').to.equal(0);
        expect((await stat(path.join(dataDir, 'postgres.password'))).mode & 0o777).to.equal(0o600);
      } finally {
        await embedded.stop();
      }
      await access(clusterDir).then(
        () => expect.fail('the temporary cluster was left behind'),
        () => {},
      );
    });
  });
});
