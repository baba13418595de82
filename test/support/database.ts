import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { freePort } from '../../scripts/lib/service-process';
import { openDatabase } from '../../src/db/data-source';
import { createLogger } from '../../src/logger';

/**
 * The test run's PostgreSQL: TEST_DATABASE_URL or DATABASE_URL when set (CI
 * exports one, with DATABASE_OWNER_URL for the schema owner), otherwise a real
 * embedded server in a temporary directory. Either way the run starts from an
 * empty schema built by the migrations.
 */
interface TestDatabase {
  /** How services connect (the least-privileged role where the run has one). */
  url: string;
  /** The schema owner: migrations, and tests that tamper with the tables as an attacker would. */
  ownerUrl: string;
  /** Connected as the owner. */
  db: DataSource;
  stop(): Promise<void>;
}

let current: TestDatabase | undefined;

export async function startTestDatabase(): Promise<TestDatabase> {
  let url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  let ownerUrl = process.env.DATABASE_OWNER_URL || url;
  let stopServer = async () => {};
  if (!url) {
    const { startEmbeddedPostgres } = await import('../../src/db/embedded-postgres.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'custody-ledger-test-'));
    const embedded = await startEmbeddedPostgres({
      dir,
      port: await freePort(),
      database: 'custody_ledger_test',
      logger: createLogger('silent'),
    });
    url = embedded.url;
    ownerUrl = embedded.ownerUrl;
    stopServer = async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const owner = ownerUrl as string;
  await resetSchema(owner);
  const db = await openDatabase(owner);
  current = {
    url,
    ownerUrl: owner,
    db,
    async stop() {
      await db.destroy();
      await stopServer();
    },
  };
  return current;
}

/** The database of this run; only valid inside tests (the root hook starts it). */
export function testDatabase(): TestDatabase {
  if (!current) throw new Error('the test database is not running (is the root hook loaded?)');
  return current;
}

async function resetSchema(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA IF EXISTS public CASCADE');
    await client.query('CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

/** Runs `body` with a connection to a brand-new, empty database on the same server, dropped afterwards. */
export async function withScratchDatabase<T>(body: (url: string) => Promise<T>): Promise<T> {
  const base = new URL(testDatabase().ownerUrl);
  const name = `custody_scratch_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const scratch = new URL(base.toString());
    scratch.pathname = `/${name}`;
    return await body(scratch.toString());
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** Runs statements on `url` one by one (as whoever the URL names: tests tamper as the database owner). */
export async function runStatements(url: string, statements: readonly string[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
