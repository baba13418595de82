import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './service-process';

/**
 * An S3-compatible server (s3rver) as its own process on a loopback port, with
 * its objects in a temporary directory and one bucket: for tests and benchmarks.
 *
 * It runs with OpenSSL's legacy provider: s3rver encrypts ListObjectsV2
 * continuation tokens with DES, which OpenSSL 3 no longer offers by default,
 * and without it any listing longer than one page fails with a 500.
 */
export interface S3Server {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Where s3rver keeps the bucket's objects. */
  readonly directory: string;
  readonly child: ChildProcess;
  /** The service's settings for this server (BLOB_STORE=s3 and the S3_* variables). */
  env(prefix?: string): Record<string, string>;
  /** Keys of multipart uploads under `prefix` that the server still holds (s3rver lists none over the API). */
  incompleteUploads(prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startS3Server(bucket = 'evidence'): Promise<S3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'custody-s3-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', __filename, String(port), directory, bucket],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await ready(child);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    region: 'us-east-1',
    bucket,
    ...CREDENTIALS,
    directory,
    child,
    env: (prefix = '') => ({
      BLOB_STORE: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: bucket,
      ...(prefix ? { S3_PREFIX: prefix } : {}),
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }),
    async incompleteUploads(prefix = '') {
      const uploads = path.join(directory, bucket, '._S3rver_uploads');
      const held: string[] = [];
      for (const id of await readdir(uploads).catch(() => [] as string[])) {
        const key = await readFile(path.join(uploads, id, 'key'), 'utf8').catch(() => '');
        if (key.startsWith(prefix)) held.push(key);
      }
      return held.sort();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Resolves when the child prints "ready"; rejects if it exits first or takes over 20 s. */
async function ready(child: ChildProcess): Promise<void> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    for await (const line of lines) if (line === 'ready') return;
    throw new Error('the S3 server exited before it was ready');
  } finally {
    clearTimeout(timer);
  }
}

/** The child: `node --openssl-legacy-provider s3-server.js <port> <directory> <bucket>`. */
async function serve(port: number, directory: string, bucket: string): Promise<void> {
  // s3rver is a development dependency: loaded only here, in the child.
  const S3rver = require('s3rver') as new (
    options: object,
  ) => { run(): Promise<unknown>; close(): Promise<void> };
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  await server.run();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

if (require.main === module) {
  const [port, directory, bucket] = process.argv.slice(2);
  serve(Number(port), directory as string, bucket as string).catch((error: unknown) => {
    console.error(`s3 server: ${(error as Error).message}`);
    process.exit(1);
  });
}
