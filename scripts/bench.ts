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
 *
 *   npm run bench -- read [--clients 64] [--seconds 20]
 *
 * Audited reads: members read a case, an item and its chain in turn, each read
 * recorded as an audit entry before it is answered; then the machine's ceiling,
 * a one-route Express application driven the same way.
 *
 *   npm run bench -- verify [--entries 1000000]
 *
 * Builds a log of real entries (batches of 1,000, each signed) and times a full
 * `verify ledger` run over it (no recorded run, so nothing is skipped).
 *
 *   npm run bench -- ingest [--size-mb 2048] [--store fs|s3]
 *   npm run bench -- report [--entries 10000]
 *   npm run bench -- slow-disk [--clients 64] [--seconds 20] [--uploaders 8] [--fsync-delay-ms 2000]
 *   npm run bench -- soak [--minutes 10] [...]   (scripts/lib/slow-disk.ts, scripts/lib/soak.ts)
 *   npm run bench -- tiles [--entries 100000] [--clients 64] [--seconds 20]   (scripts/lib/tiles-bench.ts)
 *   npm run bench -- resume [--size-mb 1024]   (scripts/lib/resume-bench.ts)
 *
 * Generates a file, times `sha256sum` and `sha512sum` on it, then uploads it as
 * evidence over loopback with curl (the server computing SHA-256 and SHA-512)
 * and reads the server's peak RSS. With `--store s3` the service keeps the bytes
 * in an S3-compatible server (s3rver, its own process on loopback, writing to
 * the same disk) instead of the filesystem store.
 * Each prints one JSON document on stdout.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs, promisify } from 'node:util';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import { issueBuiltInToken } from '../src/access/built-in-issuer';
import { type Config, loadConfig } from '../src/config';
import { openDatabase } from '../src/db/data-source';
import { type DatabaseServer, databaseServerFor } from '../src/db/database-server';
import { LogRepository } from '../src/db/log.repository';
import { ensureServiceKeys } from '../src/keys/key-store';
import { appendLeaves, EMPTY_RANGE, emptyRoot, parseVerifierKey, signCheckpoint } from '../src/ledger';
import { withholdEntryParts } from '../src/log/entry-policy';
import { auditLedger } from '../src/log/ledger-audit';
import { logSignerOf, logVerifierKey } from '../src/log/log-key';
import { type SequencedEntry, sequenceEntries, storedEntryOf, withhold } from '../src/log/sequence';
import { createLogger } from '../src/logger';
import { renderReportPdf } from '../src/reports/report-pdf';
import { resumeBench } from './lib/resume-bench';
import { type S3Server, startS3Server } from './lib/s3-server';
import { spawnHelloServer, spawnService, stopService } from './lib/service-process';
import { slowDisk } from './lib/slow-disk';
import { soak } from './lib/soak';
import { tilesBench } from './lib/tiles-bench';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** A fresh database on the server at `baseUrl`, dropped by the returned function. */
export async function scratchDatabase(
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
/**
 * Drives `clients` concurrent keep-alive clients, each sending `send` in a loop,
 * for `seconds` after a 2 s warm-up; an answer other than `expected` is an error.
 */
export async function drive(
  clients: number,
  seconds: number,
  expected: number,
  send: (agent: Agent, i: number) => Promise<{ statusCode: number; body: { text(): Promise<string> } }>,
) {
  const agent = new Agent({ connections: clients, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const warmupEnd = Date.now() + 2000;
  let measuring = false;
  let measuredFrom = 0;
  let end = Number.POSITIVE_INFINITY;
  let counter = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        const response = await send(agent, counter++);
        await response.body.text();
        const elapsed = performance.now() - started;
        if (!measuring && Date.now() >= warmupEnd) {
          measuring = true;
          measuredFrom = Date.now();
          end = measuredFrom + seconds * 1000;
        }
        if (response.statusCode !== expected) errors++;
        else if (measuring) latencies.push(elapsed);
      }
    }),
  );
  const wall = (Date.now() - measuredFrom) / 1000;
  await agent.close();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: round(latencies.length / wall, 0),
    count: latencies.length,
    errors,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

async function driveAppends(url: string, token: string, clients: number, seconds: number) {
  const { perSecond, count, ...rest } = await drive(clients, seconds, 201, (agent, i) =>
    request(`${url}/v1/cases`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reference: `BENCH-${randomUUID()}`, title: `Benchmark case ${i}` }),
    }),
  );
  return { appendsPerSecond: perSecond, appends: count, ...rest };
}

/** Opens a case for a benchmark's writes and returns its id. */
export async function openBenchCase(url: string, token: string, title: string): Promise<string> {
  const opened = await request(`${url}/v1/cases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reference: `BENCH-${randomUUID()}`, title }),
  });
  return ((await opened.body.json()) as { case: { id: string } }).case.id;
}

/**
 * Audited reads: `--clients` members read one of their cases, one of its items
 * and its chain in turn (each read an audit entry), for `--seconds`.
 */
async function reads(
  { config, dataDir, server }: BenchServer,
  options: { clients: number; seconds: number },
) {
  const db = await scratchDatabase(
    server.ownerUrl,
    `custody_bench_read_${Date.now()}_${randomBytes(3).toString('hex')}`,
  );
  try {
    const service = await spawnService({
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      LOG_ORIGIN: config.logOrigin,
    });
    try {
      const token = await benchToken(config, dataDir);
      const headers = { authorization: `Bearer ${token}` };
      const caseId = await openBenchCase(service.url, token, 'Read benchmark');
      const form = new FormData();
      form.append(
        'metadata',
        JSON.stringify({
          exhibitNumber: 'EX-1',
          description: 'Read benchmark item',
          source: 'generated',
          acquiredAt: new Date().toISOString(),
          acquiredBy: 'bench',
        }),
      );
      form.append('file', new Blob([randomBytes(4096)]), 'item.bin');
      const uploaded = await request(`${service.url}/v1/cases/${caseId}/evidence`, {
        method: 'POST',
        headers,
        body: form,
      });
      const itemId = ((await uploaded.body.json()) as { evidence: { id: string } }).evidence.id;
      const paths = [`/v1/cases/${caseId}`, `/v1/evidence/${itemId}`, `/v1/evidence/${itemId}/chain`];
      process.stderr.write(
        `bench: audited reads over HTTP, ${options.clients} clients, ${options.seconds}s\n`,
      );
      const measured = await drive(options.clients, options.seconds, 200, (agent, i) =>
        request(`${service.url}${paths[i % paths.length]}`, { dispatcher: agent, headers }),
      );
      const ceiling = await machineCeiling(options.clients, options.seconds);
      const audited = await (async () => {
        const client = new Client({ connectionString: db.url });
        await client.connect();
        const row = (
          await client.query("SELECT count(*)::int AS n FROM log_entries WHERE subject_type = 'audit'")
        ).rows[0];
        await client.end();
        return row.n as number;
      })();
      const result = {
        benchmark: 'read',
        machine: { cpus: os.cpus().length, node: process.version },
        clients: options.clients,
        seconds: options.seconds,
        auditedReadsPerSecond: measured.perSecond,
        reads: measured.count,
        errors: measured.errors,
        p50Ms: measured.p50Ms,
        p99Ms: measured.p99Ms,
        auditEntries: audited,
        machineCeiling: {
          ...ceiling,
          auditedReadsShare: round(measured.perSecond / ceiling.expressHelloPerSecond),
        },
      };
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await stopService(service.child);
    }
  } finally {
    await db.drop().catch(() => {});
  }
}

/**
 * What this machine's cores leave for any Express service: a one-route
 * application answering a fixed JSON document, driven like the service (after
 * the service has stopped taking load). Read benchmark figures from different
 * machines are comparable through it.
 */
async function machineCeiling(clients: number, seconds: number) {
  const hello = await spawnHelloServer();
  try {
    const measured = await drive(clients, seconds, 200, (agent, i) =>
      request(`${hello.url}/hello/${i}`, { dispatcher: agent }),
    );
    return { expressHelloPerSecond: measured.perSecond, p99Ms: measured.p99Ms };
  } finally {
    await stopService(hello.child);
  }
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
 * A log of `size` real entries over 1,000 case subjects, appended as the
 * sequencer would (batches of 1,000, each with its nodes and signed checkpoint),
 * but straight into the tables: a service opens it as its own (its checkpoint
 * chain verifies from size 0), and a verifier has every entry to check.
 */
export async function buildEntryLog(url: string, dataDir: string, origin: string, size: number) {
  const db = await openDatabase(url);
  try {
    const signer = logSignerOf((await ensureServiceKeys(dataDir)).log, origin);
    const log = new LogRepository(db);
    const empty = emptyRoot();
    await log.createHead(db, {
      origin,
      size: 0,
      root: empty,
      checkpoint: signCheckpoint({ origin, size: 0, root: empty }, signer),
    });
    const heads = new Map<string, { seq: number; leafHash: Uint8Array }>();
    let range = EMPTY_RANGE;
    const batch = 1000;
    for (let start = 0; start < size; start += batch) {
      const requests = Array.from({ length: Math.min(batch, size - start) }, (_, i) => ({
        subject: {
          type: 'case' as const,
          id: `00000000-0000-4000-8000-${String((start + i) % 1000).padStart(12, '0')}`,
        },
        type: 'case.noted',
        actor: { sub: 'bench', agency: 'BENCH', role: 'investigator' },
        data: { note: `synthetic entry ${start + i}`, reference: `BENCH-${start + i}` },
      }));
      const sequenced: SequencedEntry[] = sequenceEntries(
        origin,
        start,
        requests.map((request) => withhold(request)),
        (type, id) => heads.get(`${type}/${id}`),
        new Date(Date.UTC(2026, 0, 1) + start),
      );
      for (const s of sequenced)
        heads.set(`${s.entry.subject.type}/${s.entry.subject.id}`, {
          seq: s.entry.seq,
          leafHash: s.leafHash,
        });
      const integrated = appendLeaves(
        range,
        sequenced.map((s) => s.leafHash),
      );
      range = integrated.range;
      const end = range.size;
      await log.appendBatch(db, sequenced.map(storedEntryOf), integrated.created, {
        origin,
        size: end,
        root: integrated.root,
        checkpoint: signCheckpoint({ origin, size: end, root: integrated.root }, signer),
      });
    }
    return logVerifierKey(signer);
  } finally {
    await db.destroy();
  }
}

/** Full verification of a built log of `entries` entries, in entries per second. */
async function verifyBench({ config, dataDir, server }: BenchServer, options: { entries: number }) {
  const stamp = `${Date.now()}_${randomBytes(3).toString('hex')}`;
  const verifyDb = await scratchDatabase(server.ownerUrl, `custody_bench_verify_${stamp}`);
  try {
    process.stderr.write(`bench: building a log of ${options.entries} entries\n`);
    const vkey = await buildEntryLog(verifyDb.url, dataDir, config.logOrigin, options.entries);
    const db = await openDatabase(verifyDb.url);
    try {
      process.stderr.write('bench: verifying it in full\n');
      const started = performance.now();
      const report = await auditLedger(new LogRepository(db), parseVerifierKey(vkey));
      const seconds = (performance.now() - started) / 1000;
      if (!report.ok) throw new Error(`the built log does not verify: ${report.failure?.code}`);
      const result = {
        benchmark: 'verify',
        machine: { cpus: os.cpus().length, node: process.version },
        entries: report.entries,
        checkpoints: report.checkpoints,
        seconds: round(seconds, 2),
        entriesPerSecond: Math.round(report.entries / seconds),
      };
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await db.destroy();
    }
  } finally {
    await verifyDb.drop().catch(() => {});
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

/** A token of the benchmark's investigator, for the service whose keys are under `dataDir`. */
export function benchToken(config: Config, dataDir: string): Promise<string> {
  return issueBuiltInToken(
    { ...config, dataDir },
    { sub: 'bench', agency: 'BENCH', roles: ['investigator'], ttlSeconds: config.tokens.maxLifetimeSeconds },
  );
}

export interface BenchServer {
  readonly config: Config;
  readonly dataDir: string;
  readonly server: DatabaseServer;
}

/**
 * Runs a benchmark with a temporary DATA_DIR and database server (DATABASE_URL's,
 * or an embedded one), both removed afterwards, also when the benchmark fails.
 */
export async function withBenchServer(body: (bench: BenchServer) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'custody-bench-'));
  try {
    const server = await databaseServerFor(
      { ...config, dataDir: path.join(dataDir, 'embedded') },
      createLogger('warn'),
      { temporary: true },
    );
    try {
      await body({ config, dataDir, server });
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function append(
  { config, dataDir, server }: BenchServer,
  options: { clients: number; seconds: number; proofSize: number; proofs: number },
) {
  const stamp = `${Date.now()}_${randomBytes(3).toString('hex')}`;
  const appendDb = await scratchDatabase(server.ownerUrl, `custody_bench_append_${stamp}`);
  const proofDb = await scratchDatabase(server.ownerUrl, `custody_bench_proofs_${stamp}`);
  const env = { DATA_DIR: dataDir, LOG_ORIGIN: config.logOrigin };
  try {
    process.stderr.write(`bench: appends over HTTP, ${options.clients} clients, ${options.seconds}s\n`);
    const service = await spawnService({ ...env, DATABASE_URL: appendDb.url });
    let appends: Awaited<ReturnType<typeof driveAppends>>;
    try {
      const token = await benchToken(config, dataDir);
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
    await buildEntryLog(proofDb.url, dataDir, config.logOrigin, options.proofSize);
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
  }
}

/** A file of `bytes` bytes of random data (a random block repeated: hashing cost does not depend on content). */
export async function generateFile(file: string, bytes: number): Promise<void> {
  const block = randomBytes(16 * 1024 * 1024);
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < bytes; ) {
      const length = Math.min(block.length, bytes - written);
      await handle.write(block, 0, length);
      written += length;
    }
  } finally {
    await handle.close();
  }
}

async function timeCommand(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  await promisify(execFile)(command, args, { maxBuffer: 1024 * 1024 });
  return (performance.now() - started) / 1000;
}

/** The peak resident set size of a process (VmHWM), in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return round(kb / 1024, 1);
}

/** Streams `file` as one evidence upload (metadata part, file part) with a lean client: curl. */
export async function uploadFile(url: string, token: string, caseId: string, file: string): Promise<number> {
  const metadata = {
    exhibitNumber: `BENCH-${randomUUID().slice(0, 8)}`,
    description: 'Benchmark image',
    source: 'generated',
    acquiredAt: new Date().toISOString(),
    acquiredBy: 'bench',
  };
  const started = performance.now();
  const { stdout } = await promisify(execFile)('curl', [
    '--silent',
    '--show-error',
    '--output',
    '/dev/null',
    '--write-out',
    '%{http_code}',
    '--header',
    `authorization: Bearer ${token}`,
    '--form',
    `metadata=${JSON.stringify(metadata)};type=application/json`,
    '--form',
    `file=@${file};type=application/octet-stream`,
    `${url}/v1/cases/${caseId}/evidence`,
  ]);
  if (stdout !== '201') throw new Error(`upload answered ${stdout}`);
  return (performance.now() - started) / 1000;
}

async function ingest(
  { config, dataDir, server }: BenchServer,
  options: { sizeMb: number; store: 'fs' | 's3' },
) {
  const db = await scratchDatabase(
    server.ownerUrl,
    `custody_bench_ingest_${Date.now()}_${randomBytes(3).toString('hex')}`,
  );
  const file = path.join(dataDir, 'bench.img');
  const size = options.sizeMb * 1024 * 1024;
  try {
    process.stderr.write(`bench: generating ${options.sizeMb} MiB\n`);
    await generateFile(file, size);
    process.stderr.write('bench: sha256sum and sha512sum of the same file\n');
    await timeCommand('sha256sum', [file]); // warm the page cache, as the upload will find it
    const sha256sumSeconds = await timeCommand('sha256sum', [file]);
    const sha512sumSeconds = await timeCommand('sha512sum', [file]);

    process.stderr.write(`bench: uploading over loopback into the ${options.store} store\n`);
    const s3: S3Server | undefined = options.store === 's3' ? await startS3Server() : undefined;
    const service = await spawnService({
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      LOG_ORIGIN: config.logOrigin,
      ...s3?.env('bench/'),
    }).catch(async (error: unknown) => {
      await s3?.stop();
      throw error;
    });
    let uploadSeconds: number;
    let rss: number;
    let s3Rss: number | undefined;
    try {
      const token = await benchToken(config, dataDir);
      const caseId = await openBenchCase(service.url, token, 'Ingest benchmark');
      uploadSeconds = await uploadFile(service.url, token, caseId, file);
      rss = await peakRssMb(service.child.pid as number);
      if (s3) s3Rss = await peakRssMb(s3.child.pid as number);
    } finally {
      await stopService(service.child);
      await s3?.stop();
    }
    const mbps = (seconds: number) => round(size / 1e6 / seconds, 0);
    const result = {
      benchmark: 'ingest',
      store: options.store,
      machine: { cpus: os.cpus().length, node: process.version },
      fileBytes: size,
      digests: ['sha256', 'sha512'],
      uploadMBps: mbps(uploadSeconds),
      sha256sumMBps: mbps(sha256sumSeconds),
      sha512sumMBps: mbps(sha512sumSeconds),
      ratioToSha256sum: round(sha256sumSeconds / uploadSeconds, 2),
      serverPeakRssMB: rss,
      ...(s3Rss === undefined ? {} : { s3ServerPeakRssMB: s3Rss }),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await db.drop().catch(() => {});
  }
}

/** Renders the PDF of a synthetic report with `entries` custody entries to /dev/null and times it. */
async function reportPdf(entries: number) {
  const types = [
    'custody.transferred',
    'custody.received',
    'evidence.accessed',
    'custody.sealed',
    'integrity.verified',
  ];
  const report = {
    generatedAt: new Date().toISOString(),
    issuedTo: { agency: 'BENCH', role: 'custodian', as: 'member' as const },
    context: {
      case: { reference: 'BENCH-1', title: 'Benchmark', agency: 'BENCH', legalBasis: null },
      orders: [],
      breakGlass: [],
      withheld: [],
    },
    log: { origin: 'bench.example/custody', size: entries, checkpoint: 'bench.example/custody\n1\nAAAA\n' },
    item: {
      id: randomUUID(),
      exhibitNumber: 'EX-1',
      description: 'Benchmark item',
      source: 'generated',
      acquiredAt: new Date().toISOString(),
      acquiredBy: 'bench',
      size: 1,
      acquisitionTool: null,
      location: null,
      originalFilename: null,
      mediaType: null,
      digests: { sha256: '0'.repeat(64), sha512: '0'.repeat(128), md5: null, sha1: null },
      acquisitionHash: null,
      caseId: randomUUID(),
      createdBy: 'bench',
      createdAt: new Date().toISOString(),
      custody: {
        status: 'in_custody' as const,
        holder: { agency: 'BENCH', sub: 'bench' },
        transferTo: null,
        sealed: false,
        sealNumber: null,
        onHold: false,
      },
      withheld: [],
    },
    // Version 2 entries, every field disclosed to the reader: the PDF renders what the disclosures reveal.
    entries: Array.from({ length: entries }, (_, i) => {
      const type = types[i % types.length] as string;
      const parts = withholdEntryParts(
        type,
        { sub: 'custodian-1', agency: 'BENCH', role: 'custodian' },
        { purpose: 'benchmark handling', location: 'Vault 2' },
      );
      return {
        index: i,
        leafHash: 'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=',
        entry: {
          v: 2 as const,
          log: 'bench.example/custody',
          subject: { type: 'evidence' as const, id: 'x' },
          seq: i + 1,
          prev: null,
          type,
          at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
          actor: parts.actor,
          data: parts.data,
        },
        disclosures: parts.disclosures.map((d) => d.disclosure),
        withheld: [],
        // As long as a real one in a log of a million entries: twenty hashes and the checkpoint.
        tlog_proof: `c2sp.org/tlog-proof@v1\nindex ${i}\n${'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n'.repeat(20)}\nbench.example/custody\n1000000\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n`,
      };
    }),
    verification: {
      verdict: 'verified' as const,
      bytes: {
        ok: true,
        detail: 'bench',
        outcome: { code: 'BYTES_MATCH' as const, values: { sha256: 'bench' } },
      },
      chain: { ok: true, detail: 'bench', outcome: { code: 'CHAIN_INTACT' as const, values: { count: 1 } } },
      inclusion: {
        ok: true,
        detail: 'bench',
        outcome: { code: 'ALL_INCLUDED' as const, values: { size: 1 } },
      },
      consistency: {
        ok: true,
        detail: 'bench',
        outcome: { code: 'CHECKPOINTS_CONSISTENT' as const, values: { count: 0 } },
      },
    },
    anomalies: [],
  };
  const started = performance.now();
  await pipeline(renderReportPdf(report, 2000), createWriteStream('/dev/null'));
  const seconds = (performance.now() - started) / 1000;
  const status = await readFile('/proc/self/status', 'utf8');
  const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
  process.stdout.write(
    `${JSON.stringify({ benchmark: 'report-pdf', entries, seconds: round(seconds, 2), processPeakRssMB: round(peak, 1) }, null, 2)}\n`,
  );
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    // `npm run bench -- soak -- --minutes 10` passes a second `--`: options follow it all the same.
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    allowPositionals: true,
    options: {
      clients: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '20' },
      'proof-size': { type: 'string', default: '1000000' },
      proofs: { type: 'string', default: '2000' },
      'size-mb': { type: 'string', default: '2048' },
      store: { type: 'string', default: 'fs' },
      entries: { type: 'string', default: '10000' },
      uploaders: { type: 'string', default: '8' },
      'fsync-delay-ms': { type: 'string', default: '2000' },
      minutes: { type: 'string', default: '10' },
      'reads-per-second': { type: 'string', default: '100' },
      'events-per-second': { type: 'string', default: '50' },
      'uploads-per-second': { type: 'string', default: '4' },
      'abort-share': { type: 'string', default: '0.05' },
    },
  });
  if (positionals[0] === 'report') {
    await reportPdf(Number(values.entries));
    return 0;
  }
  if (positionals[0] === 'read') {
    await withBenchServer((bench) =>
      reads(bench, { clients: Number(values.clients), seconds: Number(values.seconds) }),
    );
    return 0;
  }
  if (positionals[0] === 'verify') {
    const entries = values.entries === '10000' ? 1_000_000 : Number(values.entries);
    await withBenchServer((bench) => verifyBench(bench, { entries }));
    return 0;
  }
  if (positionals[0] === 'ingest') {
    if (values.store !== 'fs' && values.store !== 's3') {
      console.error('bench: --store is fs or s3');
      return 64;
    }
    const store = values.store;
    await withBenchServer((bench) => ingest(bench, { sizeMb: Number(values['size-mb']), store }));
    return 0;
  }
  if (positionals[0] === 'slow-disk') {
    await withBenchServer((bench) =>
      slowDisk(bench, {
        clients: Number(values.clients),
        seconds: Number(values.seconds),
        uploaders: Number(values.uploaders),
        fsyncDelayMs: Number(values['fsync-delay-ms']),
      }),
    );
    return 0;
  }
  if (positionals[0] === 'tiles') {
    const entries = values.entries === '10000' ? 100_000 : Number(values.entries);
    await withBenchServer((bench) =>
      tilesBench(bench, { entries, clients: Number(values.clients), seconds: Number(values.seconds) }),
    );
    return 0;
  }
  if (positionals[0] === 'resume') {
    const sizeMb = values['size-mb'] === '2048' ? 1024 : Number(values['size-mb']);
    await withBenchServer((bench) => resumeBench(bench, { sizeMb }));
    return 0;
  }
  if (positionals[0] === 'soak') {
    await withBenchServer((bench) =>
      soak(bench, {
        minutes: Number(values.minutes),
        readsPerSecond: Number(values['reads-per-second']),
        eventsPerSecond: Number(values['events-per-second']),
        uploadsPerSecond: Number(values['uploads-per-second']),
        abortShare: Number(values['abort-share']),
      }),
    );
    return 0;
  }
  if (positionals[0] !== 'append') {
    console.error(
      'usage: npm run bench -- append [--clients 64] [--seconds 20] [--proof-size 1000000] [--proofs 2000]\n' +
        '       npm run bench -- read [--clients 64] [--seconds 20]\n' +
        '       npm run bench -- verify [--entries 1000000]\n' +
        '       npm run bench -- ingest [--size-mb 2048] [--store fs|s3]\n' +
        '       npm run bench -- report [--entries 10000]\n' +
        '       npm run bench -- slow-disk [--clients 64] [--seconds 20] [--uploaders 8] [--fsync-delay-ms 2000]\n' +
        '       npm run bench -- tiles [--entries 100000] [--clients 64] [--seconds 20]\n' +
        '       npm run bench -- resume [--size-mb 1024]\n' +
        '       npm run bench -- soak [--minutes 10] [--reads-per-second 100] [--events-per-second 50]\n' +
        '                             [--uploads-per-second 4] [--abort-share 0.05]',
    );
    return 64;
  }
  await withBenchServer((bench) =>
    append(bench, {
      clients: Number(values.clients),
      seconds: Number(values.seconds),
      proofSize: Number(values['proof-size']),
      proofs: Number(values.proofs),
    }),
  );
  return 0;
}

// Only when run: scripts/lib/slow-disk.ts and soak.ts import this module's helpers.
if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`bench: ${(error as Error).stack}`);
      process.exitCode = 1;
    },
  );
}
