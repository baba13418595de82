/**
 * npm run bench -- resume [--size-mb 1024]
 *
 * A resumable (tus) upload of a `--size-mb` file over loopback to the service
 * as its own process, interrupted halfway, then resumed, in two ways:
 *   dropped  the client's connection is reset (the service sees it end at once);
 *   silent   the client's link goes quiet without a word (the service still
 *            receives, and holds the upload's lock), and the client resumes on a
 *            new connection: its HEAD asks the holder to let go.
 * For each: the time from the resuming HEAD to its answer (time to resume), the
 * bytes sent before the interruption, the offset the service held, the bytes
 * sent twice (sent but not held), the speed of sending the rest, and the time
 * of the completion (the final PATCH of the last MiB: the whole file hashed
 * into the evidence store and committed).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { type BenchServer, benchToken, generateFile, openBenchCase, round, scratchDatabase } from '../bench';
import { spawnService, stopService } from './service-process';

export interface ResumeBenchOptions {
  readonly sizeMb: number;
}

const TUS = { 'tus-resumable': '1.0.0' };

function uploadMetadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Sends the file from offset 0 in one PATCH and interrupts it once `cutAt`
 * bytes were written: `reset` destroys the connection, otherwise it goes silent
 * (kept open, nothing more sent). Returns the bytes written and how to close it.
 */
function interruptedPatch(
  base: string,
  token: string,
  location: string,
  file: string,
  size: number,
  cutAt: number,
  reset: boolean,
): Promise<{ sent: number; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(location, base), {
      method: 'PATCH',
      headers: {
        ...TUS,
        authorization: `Bearer ${token}`,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': String(size),
      },
    });
    req.on('error', () => {});
    const source = createReadStream(file, { highWaterMark: 1024 * 1024, end: cutAt - 1 });
    let sent = 0;
    source.on('data', (chunk) => {
      sent += chunk.length;
      if (!req.write(chunk)) {
        source.pause();
        req.once('drain', () => source.resume());
      }
    });
    source.on('error', reject);
    source.on('end', () => {
      // Let the last bytes reach the service before the link fails.
      setTimeout(() => {
        if (reset) req.destroy();
        resolve({ sent, close: () => req.destroy() });
      }, 500);
    });
  });
}

async function oneResume(
  url: string,
  token: string,
  caseId: string,
  file: string,
  size: number,
  sha256: string,
  way: 'dropped' | 'silent',
) {
  const created = await request(`${url}/v1/uploads`, {
    method: 'POST',
    headers: {
      ...TUS,
      authorization: `Bearer ${token}`,
      'upload-length': String(size),
      'upload-metadata': uploadMetadata({
        caseId,
        sha256,
        metadata: JSON.stringify({
          exhibitNumber: `BENCH-${randomUUID().slice(0, 8)}`,
          description: 'Resume benchmark',
          source: 'generated',
          acquiredAt: new Date().toISOString(),
          acquiredBy: 'bench',
        }),
      }),
    },
  });
  await created.body.dump();
  const location = created.headers.location as string;
  const interrupted = await interruptedPatch(
    url,
    token,
    location,
    file,
    size,
    Math.floor(size / 2),
    way === 'dropped',
  );

  const resumeStarted = performance.now();
  const head = await request(`${url}${location}`, {
    method: 'HEAD',
    headers: { ...TUS, authorization: `Bearer ${token}` },
  });
  await head.body.dump();
  const resumeMs = performance.now() - resumeStarted;
  interrupted.close();
  const offset = Number(head.headers['upload-offset']);

  // The rest but its last MiB, then the last MiB alone: that PATCH's time is mostly the completion.
  const tail = Math.min(1024 * 1024, size - offset);
  const patchFrom = async (from: number, to: number) => {
    const started = performance.now();
    const response = await request(`${url}${location}`, {
      method: 'PATCH',
      headers: {
        ...TUS,
        authorization: `Bearer ${token}`,
        'upload-offset': String(from),
        'content-type': 'application/offset+octet-stream',
        'content-length': String(to - from),
      },
      body: createReadStream(file, { start: from, end: to - 1, highWaterMark: 1024 * 1024 }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, text, seconds: (performance.now() - started) / 1000 };
  };
  const rest = await patchFrom(offset, size - tail);
  const final = await patchFrom(size - tail, size);
  const answer = JSON.parse(final.text) as { evidence?: { digests: { sha256: string } } };
  if (rest.status !== 204 || final.status !== 201 || answer.evidence?.digests.sha256 !== sha256)
    throw new Error(`the resumed upload answered ${rest.status}, then ${final.status}`);
  return {
    way,
    headStatus: head.statusCode,
    timeToResumeMs: round(resumeMs, 1),
    bytesSentBeforeInterruption: interrupted.sent,
    offsetHeld: offset,
    bytesResent: interrupted.sent - offset,
    restMBps: round((size - tail - offset) / 1e6 / rest.seconds, 0),
    completionSeconds: round(final.seconds, 2),
    completionMBps: round(size / 1e6 / final.seconds, 0),
  };
}

export async function resumeBench({ config, dataDir, server }: BenchServer, options: ResumeBenchOptions) {
  const db = await scratchDatabase(server.ownerUrl, `custody_bench_resume_${Date.now()}`);
  const file = path.join(dataDir, 'resume.img');
  const size = options.sizeMb * 1024 * 1024;
  try {
    process.stderr.write(`bench: generating ${options.sizeMb} MiB\n`);
    await generateFile(file, size);
    const sha256 = await sha256Of(file);
    const service = await spawnService({
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      LOG_ORIGIN: config.logOrigin,
    });
    try {
      const token = await benchToken(config, dataDir);
      const caseId = await openBenchCase(service.url, token, 'Resume benchmark');
      const runs = [];
      for (const way of ['dropped', 'silent'] as const) {
        process.stderr.write(`bench: an upload ${way} halfway, then resumed\n`);
        runs.push(await oneResume(service.url, token, caseId, file, size, sha256, way));
      }
      const result = {
        benchmark: 'resume',
        machine: { cpus: os.cpus().length, node: process.version },
        fileBytes: size,
        runs,
      };
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await stopService(service.child);
    }
  } finally {
    await db.drop().catch(() => {});
  }
}
