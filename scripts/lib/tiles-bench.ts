/**
 * npm run bench -- tiles [--entries 100000] [--clients 64] [--seconds 20]
 *
 * Proofs served against proofs built from tiles, on a log of `--entries`
 * entries (written straight into the tables as the verify bench does: batches
 * of 1,000, each signed), the service as its own process:
 *   served     GET /v1/log/proof/inclusion at random indexes (the service builds each proof);
 *   tiles      the client builds each proof from tiles (GET /v1/log/tile/...), fetching
 *              every tile a proof needs, as a client without a cache;
 *   tiles+cache the same with a client-side cache of the tiles already fetched
 *              (tiles never change; a partial tile only for the tree size held).
 * Every proof, however built, is checked against the signed checkpoint's root.
 * Reports proofs per second, p50/p99 per proof, and tile requests per proof.
 */
import os from 'node:os';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import {
  fromBase64,
  inclusionProof,
  openCheckpoint,
  parseVerifierKey,
  verifyInclusion,
} from '../../src/ledger';
import { type TileId, tileNodeReader, tilePath } from '../../src/log/tiles';
import { type BenchServer, buildEntryLog, percentile, round, scratchDatabase } from '../bench';
import { spawnService, stopService } from './service-process';

export interface TilesBenchOptions {
  readonly entries: number;
  readonly clients: number;
  readonly seconds: number;
}

/** Runs `clients` loops of `prove` for `seconds` after a 2 s warm-up; returns proofs/s and latencies. */
async function measure(clients: number, seconds: number, prove: () => Promise<void>) {
  const latencies: number[] = [];
  let made = 0;
  const warmupEnd = Date.now() + 2000;
  let end = Number.POSITIVE_INFINITY;
  let measuredFrom = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        await prove();
        made++;
        const elapsed = performance.now() - started;
        if (measuredFrom === 0 && Date.now() >= warmupEnd) {
          measuredFrom = Date.now();
          end = measuredFrom + seconds * 1000;
        }
        if (measuredFrom !== 0) latencies.push(elapsed);
      }
    }),
  );
  const wall = (Date.now() - measuredFrom) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    proofsPerSecond: round(latencies.length / wall, 0),
    proofs: latencies.length,
    /** Proofs made in all, warm-up included (what the request counts cover). */
    made,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

/** Every entry's leaf hash, in index order. */
async function leafHashes(url: string): Promise<Uint8Array[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ leaf_hash: Buffer }>(
      'SELECT leaf_hash FROM log_entries ORDER BY idx',
    );
    return rows.map((row) => new Uint8Array(row.leaf_hash));
  } finally {
    await client.end();
  }
}

export async function tilesBench({ config, dataDir, server }: BenchServer, options: TilesBenchOptions) {
  const stamp = `${Date.now()}_${process.pid}`;
  const db = await scratchDatabase(server.ownerUrl, `custody_bench_tiles_${stamp}`);
  try {
    process.stderr.write(`bench: building a log of ${options.entries} entries\n`);
    await buildEntryLog(db.url, dataDir, config.logOrigin, options.entries);
    const leaves = await leafHashes(db.url);
    const service = await spawnService({
      DATA_DIR: dataDir,
      LOG_ORIGIN: config.logOrigin,
      DATABASE_URL: db.url,
    });
    const agent = new Agent({ connections: options.clients, pipelining: 1 });
    try {
      const get = async (path: string) => {
        const response = await request(`${service.url}${path}`, { dispatcher: agent });
        const body = Buffer.from(await response.body.arrayBuffer());
        if (response.statusCode !== 200) throw new Error(`GET ${path} answered ${response.statusCode}`);
        return body;
      };
      const info = JSON.parse((await get('/v1/log/info')).toString('utf8'));
      const checkpoint = openCheckpoint(
        (await get('/v1/log/checkpoint')).toString('utf8'),
        parseVerifierKey(info.vkey),
      );
      const { size, root } = checkpoint;
      const randomIndex = () => Math.floor(Math.random() * size);
      let tileRequests = 0;
      const fetchTile = async (tile: TileId) => {
        tileRequests++;
        return new Uint8Array(await get(`/v1/log/${tilePath(tile)}`));
      };
      // The client holds the leaf hash already (its receipt says it): read up front, outside the timing.
      const leafOf = (index: number) => leaves[index] as Uint8Array;

      process.stderr.write(`bench: proofs served by /v1/log/proof/inclusion, ${options.clients} clients\n`);
      const served = await measure(options.clients, options.seconds, async () => {
        const index = randomIndex();
        const answer = JSON.parse(
          (await get(`/v1/log/proof/inclusion?index=${index}&size=${size}`)).toString(),
        );
        verifyInclusion(index, size, leafOf(index), (answer.proof as string[]).map(fromBase64), root);
      });

      const fromTiles = async (readTile: (tile: TileId) => Promise<Uint8Array>, count: () => number) => {
        const before = count();
        const result = await measure(options.clients, options.seconds, async () => {
          const index = randomIndex();
          const reader = tileNodeReader(size, readTile);
          const proof = await inclusionProof(reader, index, size);
          verifyInclusion(index, size, leafOf(index), proof, root);
        });
        // Warm-up proofs fetched tiles too: requests per proof over every proof made.
        const requests = count() - before;
        return { ...result, tileRequests: requests, tileRequestsPerProof: round(requests / result.made, 3) };
      };

      process.stderr.write('bench: proofs built from tiles, no client cache\n');
      tileRequests = 0;
      const uncached = await fromTiles(fetchTile, () => tileRequests);

      process.stderr.write('bench: proofs built from tiles, with a client cache\n');
      tileRequests = 0;
      const cache = new Map<string, Promise<Uint8Array>>();
      const cachedTile = (tile: TileId) => {
        const path = tilePath(tile);
        let hit = cache.get(path);
        if (!hit) {
          hit = fetchTile(tile);
          cache.set(path, hit);
        }
        return hit;
      };
      const cached = await fromTiles(cachedTile, () => tileRequests);

      const result = {
        benchmark: 'tiles',
        machine: { cpus: os.cpus().length, node: process.version },
        treeSize: size,
        clients: options.clients,
        seconds: options.seconds,
        servedProofs: served,
        proofsFromTiles: uncached,
        proofsFromCachedTiles: { ...cached, tilesCached: cache.size },
      };
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await agent.close();
      await stopService(service.child);
    }
  } finally {
    await db.drop().catch(() => {});
  }
}
