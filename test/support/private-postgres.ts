import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../scripts/lib/service-process';
import { placeCluster, SUPERUSER } from '../../src/db/postgres-cluster';

/**
 * A PostgreSQL server of the test's own, for tests that take the database away
 * (an outage) and bring it back: stopping the run's shared server would fail
 * every other test. The cluster is made and run by `src/db/postgres-cluster.ts`
 * (the embedded package's `initdb` and `pg_ctl`, as the `postgres` OS user when
 * we are root, which PostgreSQL refuses), in a temporary directory, on a free
 * loopback port that stays the same across restarts.
 */
export interface PrivatePostgres {
  /** As the superuser, to a database of its own: the service migrates it. */
  readonly url: string;
  /** Stops the server, `pg_ctl stop -m fast`: sessions are ended and open transactions rolled back. */
  stop(): Promise<void>;
  /** Starts it again on the same port, waiting until it accepts connections. */
  start(): Promise<void>;
  /** Stops it if running and removes its files. */
  remove(): Promise<void>;
}

export async function startPrivatePostgres(database = 'custody_private'): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'custody-private-pg-'));
  const { cluster, base } = await placeCluster(dir);
  const password = randomBytes(18).toString('base64url');
  const port = await freePort();
  let running = false;
  try {
    await cluster.initialise(password);
    await cluster.start(port);
    running = true;
    const admin = new Client({
      connectionString: `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`,
    });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    if (running) await cluster.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${database}`,
    async stop() {
      await cluster.stop();
      running = false;
    },
    async start() {
      await cluster.start(port);
      running = true;
    },
    async remove() {
      if (running) await cluster.stop();
      running = false;
      await cluster.remove();
      await rm(dir, { recursive: true, force: true });
      if (base !== dir) await rm(base, { recursive: true, force: true });
    },
  };
}
