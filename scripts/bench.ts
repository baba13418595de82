/**
 * Benchmarks (scripts, never timed tests):
 *   npm run bench -- append [--clients 64] [--seconds 20] [--proof-size 1000000] [--proofs 2000]
 *
 * Runs the real service as its own process against PostgreSQL (DATABASE_URL's
 * server, or an embedded one) in a fresh database that is dropped afterwards, and:
 * 1. drives receipted appends (POST /v1/cases) over HTTP from `--clients`
 *    concurrent keep-alive clients for `--seconds`;
 * 2. measures the raw ceiling: plain batched INSERTs of the same log rows into
 *    a plain table of the same shape, on the same database;
 * 3. builds a log of `--proof-size` entries and measures inclusion-proof latency
 *    over HTTP (GET /v1/log/proof/inclusion at random indexes).
 * Prints one JSON document on stdout.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import { issueAccessToken } from '../src/access/access-token';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/data-source';
import { databaseServerFor } from '../src/db/database-server';
import { LogRepository } from '../src/db/log.repository';
import { ensureServiceKeys } from '../src/keys/key-store';
import { appendLeaves, EMPTY_RANGE, leafHash, type StoredNode, signCheckpoint, utf8 } from '../src/ledger';
import { logSignerOf } from '../src/log/log-key';
import { createLogger } from '../src/logger';
import { spawnService, stopService } from './lib/service-process';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** A fresh database on the server at `baseUrl`, dropped by the returned function. */
async function scratchDatabase(
  baseUrl: string,
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const again = new Client({ connectionString: baseUrl });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

/** Phase 1: receipted appends over HTTP. */
async function driveAppends(url: string, token: string, clients: number, seconds: number) {
  const agent = new Agent({ connections: clients, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const warmupEnd = Date.now() + 2000;
  let measuring = false;
  let measuredFrom = 0;
  let end = Number.POSITIVE_INFINITY;
  const body = (i: number) =>
    JSON.stringify({ reference: `BENCH-${randomUUID()}`, title: `Benchmark case ${i}` });
  let counter = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        const response = await request(`${url}/v1/cases`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body(counter++),
        });
        await response.body.text();
        const elapsed = performance.now() - started;
        if (!measuring && Date.now() >= warmupEnd) {
          measuring = true;
          measuredFrom = Date.now();
          end = measuredFrom + seconds * 1000;
        }
        if (response.statusCode !== 201) errors++;
        else if (measuring) latencies.push(elapsed);
      }
    }),
  );
  const wall = (Date.now() - measuredFrom) / 1000;
  await agent.close();
  latencies.sort((a, b) => a - b);
  return {
    appendsPerSecond: round(latencies.length / wall, 0),
    appends: latencies.length,
    errors,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

/**
 * Phase 2: the same log rows, inserted with plain batched INSERTs (one
 * transaction per batch of the service's mean batch size) into a plain table of
 * the same shape: once from `connections` connections in parallel (what the
 * database can take), once from one connection (what a log, whose batches must
 * follow one another, could take at most).
 */
async function rawCeiling(url: string, connections: number, batch: number) {
  const reader = new Client({ connectionString: url });
  await reader.connect();
  const rows = (await reader.query('SELECT * FROM log_entries ORDER BY idx')).rows;
  await reader.end();
  const parallel = await insertRows(url, rows, connections, batch, 'bench_raw_parallel');
  const serial = await insertRows(url, rows, 1, batch, 'bench_raw_serial');
  return {
    rows: rows.length,
    batch,
    parallel: { connections, rowsPerSecond: parallel },
    serial: { connections: 1, rowsPerSecond: serial },
  };
}

async function insertRows(
  url: string,
  rows: Record<string, unknown>[],
  parallel: number,
  batch: number,
  table: string,
) {
  const setup = new Client({ connectionString: url });
  await setup.connect();
  await setup.query(`CREATE TABLE ${table} (LIKE log_entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await setup.end();
  const connections = await Promise.all(
    Array.from({ length: parallel }, async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    connections.map(async (client) => {
      while (next < rows.length) {
        const slice = rows.slice(next, next + batch);
        next += batch;
        await client.query(
          `INSERT INTO ${table} (idx, leaf_hash, leaf_data, subject_type, subject_id, seq, prev, entry_type, at)
           SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::text[], $6::bigint[],
                                $7::bytea[], $8::text[], $9::timestamptz[])`,
          [
            slice.map((r) => r.idx),
            slice.map((r) => r.leaf_hash),
            slice.map((r) => r.leaf_data),
            slice.map((r) => r.subject_type),
            slice.map((r) => r.subject_id),
            slice.map((r) => r.seq),
            slice.map((r) => r.prev),
            slice.map((r) => r.entry_type),
            slice.map((r) => r.at),
          ],
        );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(connections.map((client) => client.end()));
  return round(rows.length / seconds, 0);
}

/**
 * Phase 3 set-up: a log of `size` synthetic entries written straight into the
 * tables (tree nodes, head and a checkpoint signed with the deployment's log
 * key), so the service starts on a log of that size and proves from it.
 */
async function buildLargeLog(url: string, dataDir: string, origin: string, size: number) {
  const db = await openDatabase(url);
  try {
    const keys = await ensureServiceKeys(dataDir);
    const signer = logSignerOf(keys.log, origin);
    const log = new LogRepository(db);
    let range = EMPTY_RANGE;
    const chunk = 50_000;
    for (let start = 0; start < size; start += chunk) {
      const leaves = Array.from({ length: Math.min(chunk, size - start) }, (_, i) =>
        leafHash(utf8(`synthetic ${start + i}`)),
      );
      const appended = appendLeaves(range, leaves);
      range = appended.range;
      for (let i = 0; i < appended.created.length; i += 20_000) {
        await log.insertNodes(db, appended.created.slice(i, i + 20_000) as StoredNode[]);
      }
    }
    const root = appendLeaves(range, []).root;
    const checkpoint = signCheckpoint({ origin, size, root }, signer);
    await log.createHead(db, { origin, size, root, checkpoint });
  } finally {
    await db.destroy();
  }
}

async function measureProofs(url: string, size: number, count: number) {
  const agent = new Agent({ connections: 1 });
  const latencies: number[] = [];
  for (let i = 0; i < count + 100; i++) {
    const index = Math.floor(Math.random() * size);
    const started = performance.now();
    const response = await request(`${url}/v1/log/proof/inclusion?index=${index}&size=${size}`, {
      dispatcher: agent,
    });
    await response.body.json();
    if (response.statusCode !== 200) throw new Error(`proof request answered ${response.statusCode}`);
    if (i >= 100) latencies.push(performance.now() - started);
  }
  await agent.close();
  latencies.sort((a, b) => a - b);
  return {
    treeSize: size,
    proofs: count,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

async function append(options: { clients: number; seconds: number; proofSize: number; proofs: number }) {
  const config = loadConfig();
  const logger = createLogger('warn');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'custody-bench-'));
  const server = await databaseServerFor({ ...config, dataDir: path.join(dataDir, 'embedded') }, logger);
  const stamp = `${Date.now()}_${randomBytes(3).toString('hex')}`;
  const appendDb = await scratchDatabase(server.url, `custody_bench_append_${stamp}`);
  const proofDb = await scratchDatabase(server.url, `custody_bench_proofs_${stamp}`);
  const env = { DATA_DIR: dataDir, LOG_ORIGIN: config.logOrigin };
  try {
    process.stderr.write(`bench: appends over HTTP, ${options.clients} clients, ${options.seconds}s\n`);
    const service = await spawnService({ ...env, DATABASE_URL: appendDb.url });
    let appends: Awaited<ReturnType<typeof driveAppends>>;
    try {
      const { tokenIssuer } = await ensureServiceKeys(dataDir);
      const token = await issueAccessToken(
        {
          issuer: config.tokens.issuer,
          audience: config.tokens.audience,
          privateJwk: tokenIssuer.privateJwk,
          kid: tokenIssuer.kid,
        },
        { sub: 'bench', agency: 'BENCH', roles: ['investigator'], ttlSeconds: 3600 },
      );
      appends = await driveAppends(service.url, token, options.clients, options.seconds);
    } finally {
      await stopService(service.child);
    }
    const batches = await (async () => {
      const client = new Client({ connectionString: appendDb.url });
      await client.connect();
      const row = (
        await client.query('SELECT count(*)::int AS checkpoints, max(size)::int AS size FROM log_checkpoints')
      ).rows[0];
      await client.end();
      return { meanBatch: round(row.size / Math.max(1, row.checkpoints - 1), 1) };
    })();

    process.stderr.write('bench: raw ceiling (plain batched INSERTs of the same rows)\n');
    const raw = await rawCeiling(appendDb.url, 8, Math.max(1, Math.round(batches.meanBatch)));

    process.stderr.write(`bench: building a log of ${options.proofSize} entries for proof latency\n`);
    await buildLargeLog(proofDb.url, dataDir, config.logOrigin, options.proofSize);
    const proofService = await spawnService({ ...env, DATABASE_URL: proofDb.url });
    let proofs: Awaited<ReturnType<typeof measureProofs>>;
    try {
      proofs = await measureProofs(proofService.url, options.proofSize, options.proofs);
    } finally {
      await stopService(proofService.child);
    }

    const result = {
      benchmark: 'append',
      machine: { cpus: os.cpus().length, node: process.version },
      receiptedAppends: { clients: options.clients, seconds: options.seconds, ...appends, ...batches },
      rawCeiling: raw,
      ratioToRawCeiling: round(appends.appendsPerSecond / raw.parallel.rowsPerSecond, 3),
      ratioToSerialRawCeiling: round(appends.appendsPerSecond / raw.serial.rowsPerSecond, 3),
      inclusionProofs: proofs,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await appendDb.drop().catch(() => {});
    await proofDb.drop().catch(() => {});
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      clients: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '20' },
      'proof-size': { type: 'string', default: '1000000' },
      proofs: { type: 'string', default: '2000' },
    },
  });
  if (positionals[0] !== 'append') {
    console.error(
      'usage: npm run bench -- append [--clients 64] [--seconds 20] [--proof-size 1000000] [--proofs 2000]',
    );
    return 64;
  }
  await append({
    clients: Number(values.clients),
    seconds: Number(values.seconds),
    proofSize: Number(values['proof-size']),
    proofs: Number(values.proofs),
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench: ${(error as Error).stack}`);
    process.exitCode = 1;
  },
);
