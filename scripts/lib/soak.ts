/**
 * npm run bench -- soak [--minutes 10] [--reads-per-second 100] [--events-per-second 50]
 *                       [--uploads-per-second 4] [--abort-share 0.05]
 *
 * A mixed load held for `--minutes` (fractions allowed: 0.5) against the real
 * service as its own process, at fixed rates (each kind paced by its own
 * workers, so a slow answer does not slow the others' arrivals):
 *   reads   GET a case, an item and its chain in turn (each an audit entry);
 *   events  POST /v1/evidence/:id/events (custody.analysed by the holder);
 *   uploads 1 MiB multipart uploads, `--abort-share` of them cut off half-way
 *           (the socket destroyed mid-body, as a client that crashes).
 * Before measuring, 10 s of the same load (warm-up) and 10 s of quiet; then RSS
 * (VmRSS) and open file descriptors of the service process; after the measured
 * load stops and 10 s of quiet, the same again (quiet against quiet), with
 * samples taken during the run to tell a plateau from a leak. Prints p50/p99 and counts per kind, answers other than
 * the expected ones by status (5xx apart), and whether each target holds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { type BenchServer, benchToken, percentile, round, scratchDatabase } from '../bench';
import { collectGarbage, inspectorOptions } from './inspector';
import { freePort, spawnService, stopService } from './service-process';

export interface SoakOptions {
  readonly minutes: number;
  readonly readsPerSecond: number;
  readonly eventsPerSecond: number;
  readonly uploadsPerSecond: number;
  readonly abortShare: number;
}

/** The soak's targets: custody-event p99, and RSS and descriptors back near the start; checked on every run. */
const TARGETS = { eventP99Ms: 100, resourceGrowth: 0.1 };

const WARMUP_MS = 10_000;
const SETTLE_MS = 10_000;
const UPLOAD_BYTES = 1024 * 1024;

type Kind = 'read' | 'event' | 'upload' | 'abort';

/** What one kind of request saw while measuring. */
class Tally {
  readonly latencies: number[] = [];
  readonly byStatus = new Map<string, number>();

  note(status: string, expected: boolean, ms: number): void {
    if (expected) this.latencies.push(ms);
    else this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  summary() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const unexpected = Object.fromEntries([...this.byStatus].sort());
    return {
      count: sorted.length,
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted.at(-1) ?? Number.NaN),
      unexpected,
      serverErrors: [...this.byStatus]
        .filter(([status]) => status.startsWith('5'))
        .reduce((n, [, c]) => n + c, 0),
    };
  }
}

interface Resources {
  readonly rssMB: number;
  readonly openFds: number;
  /** The JavaScript heap in use: tells what the service holds from what the allocator keeps. */
  readonly heapUsedMB: number;
}

/** VmRSS and open descriptors of the service process, and its heap in use (from its /metrics). */
async function resources(pid: number, url: string): Promise<Resources> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const heapBytes = Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN);
  return {
    rssMB: round(kb / 1024, 1),
    openFds: (await readdir(`/proc/${pid}/fd`)).length,
    heapUsedMB: round(heapBytes / 1024 / 1024, 1),
  };
}

/**
 * The quiet reading before and after the load: after a full garbage collection
 * (through the inspector), so that start and end compare what the service
 * retains, not how far the collector happened to have got.
 */
async function quietResources(pid: number, url: string, inspectorPort: number): Promise<Resources> {
  const heapBytes = await collectGarbage(inspectorPort);
  return { ...(await resources(pid, url)), heapUsedMB: round(heapBytes / 1024 / 1024, 1) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The multipart framing of one upload: what goes before the file's bytes and after them. */
function multipart(): { boundary: string; head: Buffer; tail: Buffer } {
  const boundary = `soak-${randomBytes(12).toString('hex')}`;
  const metadata = JSON.stringify({
    exhibitNumber: `SOAK-${randomUUID()}`,
    description: 'Soak upload',
    source: 'generated',
    acquiredAt: new Date().toISOString(),
    acquiredBy: 'bench',
  });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n${metadata}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="soak.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  return { boundary, head, tail: Buffer.from(`\r\n--${boundary}--\r\n`) };
}

/**
 * One upload over its own connection (node:http, no keep-alive). `abort`: half
 * the file is sent, then the socket is destroyed; resolves 'aborted' (or the
 * status, if the service answered before the cut).
 */
function upload(
  url: string,
  token: string,
  caseId: string,
  bytes: Buffer,
  abort: boolean,
  stored: (id: string) => void,
): Promise<string> {
  const { boundary, head, tail } = multipart();
  return new Promise((resolve) => {
    const req = httpRequest(`${url}/v1/cases/${caseId}/evidence`, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + bytes.length + tail.length,
      },
    });
    let settled = false;
    const done = (outcome: string) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => {
        if (response.statusCode === 201)
          stored((JSON.parse(text) as { evidence: { id: string } }).evidence.id);
        done(String(response.statusCode));
      });
      response.on('error', () => done(String(response.statusCode)));
    });
    req.on('error', (error: NodeJS.ErrnoException) => done(abort ? 'aborted' : `network:${error.code}`));
    req.write(head);
    if (!abort) {
      req.write(bytes);
      req.end(tail);
      return;
    }
    req.write(bytes.subarray(0, bytes.length / 2), () => {
      // Give the service the half it was sent, then vanish without a FIN's courtesy.
      setTimeout(() => {
        req.destroy();
        done('aborted');
      }, 20);
    });
  });
}

export async function soak({ config, dataDir, server }: BenchServer, options: SoakOptions) {
  const db = await scratchDatabase(
    server.ownerUrl,
    `custody_bench_soak_${Date.now()}_${randomBytes(3).toString('hex')}`,
  );
  try {
    const inspectorPort = await freePort();
    const service = await spawnService({
      NODE_OPTIONS: inspectorOptions(inspectorPort),
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      LOG_ORIGIN: config.logOrigin,
    });
    const pid = service.child.pid as number;
    try {
      const token = await benchToken(config, dataDir);
      const headers = { authorization: `Bearer ${token}` };
      const json = { ...headers, 'content-type': 'application/json' };
      const opened = await request(`${service.url}/v1/cases`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ reference: `SOAK-${randomUUID()}`, title: 'Soak' }),
      });
      const caseId = ((await opened.body.json()) as { case: { id: string } }).case.id;
      // The first items for reads and events; the soak's uploads add to them.
      const items: string[] = [];
      for (let i = 0; i < 8; i++) {
        const outcome = await new Promise<string>((resolve, reject) => {
          const { boundary, head, tail } = multipart();
          const req = httpRequest(`${service.url}/v1/cases/${caseId}/evidence`, {
            method: 'POST',
            headers: {
              ...headers,
              'content-type': `multipart/form-data; boundary=${boundary}`,
              'content-length': head.length + 4096 + tail.length,
            },
          });
          req.on('response', (response) => {
            let text = '';
            response.on('data', (chunk) => {
              text += chunk;
            });
            response.on('end', () => resolve(text));
          });
          req.on('error', reject);
          req.write(head);
          req.write(randomBytes(4096));
          req.end(tail);
        });
        items.push((JSON.parse(outcome) as { evidence: { id: string } }).evidence.id);
      }

      const tallies: Record<Kind, Tally> = {
        read: new Tally(),
        event: new Tally(),
        upload: new Tally(),
        abort: new Tally(),
      };
      let measuring = false;
      let running = true;
      let counter = 0;

      /** `workers` loops of `send`, together `perSecond` a second, each paced on its own schedule. */
      const paced = (perSecond: number, workers: number, send: () => Promise<void>) =>
        Array.from({ length: workers }, async (_, w) => {
          if (perSecond <= 0) return;
          const interval = (1000 * workers) / perSecond;
          let next = Date.now() + (interval * w) / workers;
          while (running) {
            await sleep(Math.max(0, next - Date.now()));
            if (!running) break;
            next += interval;
            // Behind schedule by more than a period (a slow answer): start afresh rather than burst.
            if (next < Date.now()) next = Date.now() + interval;
            await send();
          }
        });

      const timed = async (kind: Kind, expected: string, run: () => Promise<string>) => {
        const started = performance.now();
        const status = await run().catch(
          (error: NodeJS.ErrnoException) => `network:${error.code ?? 'error'}`,
        );
        if (measuring) tallies[kind].note(status, status === expected, performance.now() - started);
      };

      /**
       * Reads and events go to any item stored so far, the soak's own uploads
       * included: chains stay the length of real ones (tens of entries), where
       * a fixed handful of items would grow chains of thousands that every
       * chain read returns in full.
       */
      const anyItem = () => items[Math.floor(Math.random() * items.length)];
      const readPaths = (i: number) => {
        const item = anyItem();
        return [`/v1/cases/${caseId}`, `/v1/evidence/${item}`, `/v1/evidence/${item}/chain`][i % 3];
      };

      /** The mixed load for `ms`, then stopped and drained. */
      const runLoad = async (ms: number) => {
        const agent = new Agent({ connections: 64, pipelining: 1 });
        running = true;
        const load = [
          ...paced(options.readsPerSecond, 16, () =>
            timed('read', '200', async () => {
              const response = await request(`${service.url}${readPaths(counter++)}`, {
                dispatcher: agent,
                headers,
              });
              await response.body.text();
              return String(response.statusCode);
            }),
          ),
          ...paced(options.eventsPerSecond, 16, () =>
            timed('event', '201', async () => {
              const response = await request(`${service.url}/v1/evidence/${anyItem()}/events`, {
                method: 'POST',
                dispatcher: agent,
                headers: json,
                body: JSON.stringify({
                  type: 'custody.analysed',
                  purpose: 'Soak handling',
                  location: 'Lab 1',
                }),
              });
              await response.body.text();
              return String(response.statusCode);
            }),
          ),
          ...paced(options.uploadsPerSecond, 8, async () => {
            const abort = Math.random() < options.abortShare;
            // New bytes each time: a repeated content address would be stored once, with one fsync fewer.
            const bytes = randomBytes(UPLOAD_BYTES);
            await timed(abort ? 'abort' : 'upload', abort ? 'aborted' : '201', () =>
              upload(service.url, token, caseId, bytes, abort, (id) => items.push(id)),
            );
          }),
        ];
        await sleep(ms);
        running = false;
        await Promise.all(load);
        await agent.close();
      };

      process.stderr.write(
        `bench: soak warm-up, ${WARMUP_MS / 1000}s of the same load, then ${SETTLE_MS / 1000}s quiet\n`,
      );
      await runLoad(WARMUP_MS);
      await sleep(SETTLE_MS);
      const start = {
        ...(await quietResources(pid, service.url, inspectorPort)),
        loadAverage1m: round(os.loadavg()[0] as number),
      };

      process.stderr.write(`bench: soak, ${options.minutes} min\n`);
      const timeline: Array<{ atSeconds: number } & Resources> = [];
      const measuredFrom = Date.now();
      const sampler = setInterval(
        () => {
          void resources(pid, service.url).then((now) =>
            timeline.push({ atSeconds: Math.round((Date.now() - measuredFrom) / 1000), ...now }),
          );
        },
        Math.max(5_000, (options.minutes * 60_000) / 10),
      );
      measuring = true;
      await runLoad(options.minutes * 60_000);
      measuring = false;
      clearInterval(sampler);
      const measuredSeconds = (Date.now() - measuredFrom) / 1000;
      const loadAverageAtEnd = round(os.loadavg()[0] as number);
      await sleep(SETTLE_MS);
      const end = {
        ...(await quietResources(pid, service.url, inspectorPort)),
        loadAverage1m: loadAverageAtEnd,
      };

      const kinds = Object.fromEntries(
        (Object.keys(tallies) as Kind[]).map((kind) => [kind, tallies[kind].summary()]),
      ) as Record<Kind, ReturnType<Tally['summary']>>;
      const serverErrors = Object.values(kinds).reduce((n, kind) => n + kind.serverErrors, 0);
      const growth = (from: number, to: number) => round((to - from) / from, 3);
      const result = {
        benchmark: 'soak',
        machine: { cpus: os.cpus().length, node: process.version },
        minutes: options.minutes,
        measuredSeconds: round(measuredSeconds, 1),
        rates: {
          readsPerSecond: options.readsPerSecond,
          eventsPerSecond: options.eventsPerSecond,
          uploadsPerSecond: options.uploadsPerSecond,
          uploadBytes: UPLOAD_BYTES,
          abortShare: options.abortShare,
        },
        kinds,
        serverErrors,
        service: {
          start,
          end,
          rssGrowth: growth(start.rssMB, end.rssMB),
          openFdsGrowth: growth(start.openFds, end.openFds),
          stagingFilesLeft: (await readdir(path.join(dataDir, 'blobs', 'staging'))).length,
          timeline,
        },
        targets: {
          eventP99: kinds.event.p99Ms <= TARGETS.eventP99Ms,
          noServerErrors: serverErrors === 0,
          rssWithin10Percent: Math.abs(growth(start.rssMB, end.rssMB)) <= TARGETS.resourceGrowth,
          openFdsWithin10Percent: Math.abs(growth(start.openFds, end.openFds)) <= TARGETS.resourceGrowth,
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
