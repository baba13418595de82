/**
 * npm run bench -- slow-disk [--clients 64] [--seconds 20] [--uploaders 8] [--fsync-delay-ms 2000]
 *
 * The log never waits on the disk of another request, measured:
 * the service runs with every blob fsync delayed (FAULT_POINTS=blob.fsync=delay:<ms>,
 * src/faults.ts) and case creation (POST /v1/cases, a receipted append) is
 * driven twice for the same time, once alone and once while `--uploaders`
 * concurrent 1 MiB uploads run, each of which waits on two delayed fsyncs.
 * If a blob fsync were inside the log's batch transaction, every batch that
 * carried an upload's entry would hold up the case creations batched with it.
 *
 * The delay is a timer at the fsync: it models a slow device's latency, not a
 * libuv thread held by a blocking fsync (see docs/performance.md).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import {
  type BenchServer,
  benchToken,
  drive,
  openBenchCase,
  percentile,
  round,
  scratchDatabase,
  uploadFile,
} from '../bench';
import { spawnService, stopService } from './service-process';

export interface SlowDiskOptions {
  readonly clients: number;
  readonly seconds: number;
  readonly uploaders: number;
  readonly fsyncDelayMs: number;
}

export async function slowDisk({ config, dataDir, server }: BenchServer, options: SlowDiskOptions) {
  const db = await scratchDatabase(
    server.ownerUrl,
    `custody_bench_slowdisk_${Date.now()}_${randomBytes(3).toString('hex')}`,
  );
  try {
    const service = await spawnService({
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      LOG_ORIGIN: config.logOrigin,
      FAULT_POINTS: `blob.fsync=delay:${options.fsyncDelayMs}`,
    });
    try {
      const token = await benchToken(config, dataDir);
      const createCases = () =>
        drive(options.clients, options.seconds, 201, (agent, i) =>
          request(`${service.url}/v1/cases`, {
            method: 'POST',
            dispatcher: agent,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ reference: `BENCH-${randomUUID()}`, title: `Slow disk case ${i}` }),
          }),
        );

      process.stderr.write(`bench: case creation alone, ${options.clients} clients, ${options.seconds}s\n`);
      const alone = await createCases();

      const caseId = await openBenchCase(service.url, token, 'Slow disk uploads');
      process.stderr.write(
        `bench: case creation while ${options.uploaders} clients upload 1 MiB files (fsync +${options.fsyncDelayMs} ms)\n`,
      );
      let uploading = true;
      const uploadSeconds: number[] = [];
      let uploadErrors = 0;
      const uploaders = Array.from({ length: options.uploaders }, async (_, u) => {
        const file = path.join(dataDir, `upload-${u}.bin`);
        while (uploading) {
          // New bytes each time: a repeated content address is stored once, with one fsync fewer.
          await writeFile(file, randomBytes(1024 * 1024));
          await uploadFile(service.url, token, caseId, file).then(
            (seconds) => uploadSeconds.push(seconds),
            () => uploadErrors++,
          );
        }
      });
      // Let the first uploads reach their fsyncs before measuring (drive adds its own 2 s warm-up).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const withUploads = await createCases();
      uploading = false;
      await Promise.all(uploaders);
      uploadSeconds.sort((a, b) => a - b);

      const result = {
        benchmark: 'slow-disk',
        machine: { cpus: os.cpus().length, node: process.version },
        fsyncDelayMs: options.fsyncDelayMs,
        clients: options.clients,
        seconds: options.seconds,
        caseCreationAlone: alone,
        caseCreationWithUploads: {
          ...withUploads,
          uploads: {
            clients: options.uploaders,
            bytes: 1024 * 1024,
            completed: uploadSeconds.length,
            errors: uploadErrors,
            p50Seconds: round(percentile(uploadSeconds, 50)),
            p99Seconds: round(percentile(uploadSeconds, 99)),
          },
        },
        p99Ratio: round(withUploads.p99Ms / alone.p99Ms),
      };
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await stopService(service.child);
    }
  } finally {
    await db.drop().catch(() => {});
  }
}
