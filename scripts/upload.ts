/**
 * Uploads a file of any size as evidence, streaming it (never in memory):
 *   npm run --silent upload -- --case ID --file PATH --exhibit X --description TEXT
 *       [--source TEXT] [--acquired-at ISO] [--acquired-by NAME] [--tool NAME] [--location TEXT]
 *       [--seal NUMBER] [--acquisition-hash ALG:HEX] [--legacy-digests] [--allow-empty]
 *       [--token TOKEN (default $CUSTODY_TOKEN)] [--url URL (default $CUSTODY_URL or http://127.0.0.1:8080)]
 * Computes the file's SHA-256 while sending and declares it after the file, so
 * the service refuses the upload if the bytes it got are not the bytes sent.
 * Shows progress on stderr (a bar on a terminal, a plain line every few seconds
 * otherwise, e.g. in a job log); prints {evidence, receipt} on stdout.
 * Exit codes: 0 stored, 1 refused or failed, 64 usage error.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { decodeJwt } from 'jose';
import { humanBytes } from './lib/human-bytes';

const USAGE = `usage: npm run --silent upload -- --case ID --file PATH --exhibit X --description TEXT
  [--source TEXT] [--acquired-at ISO] [--acquired-by NAME] [--tool NAME] [--location TEXT] [--seal NUMBER]
  [--acquisition-hash ALG:HEX] [--legacy-digests] [--allow-empty] [--token TOKEN] [--url URL]`;

/** How often a plain progress line is written when stderr is not a terminal. */
const PLAIN_PROGRESS_EVERY_MS = 5000;

class UsageError extends Error {}

function options() {
  const { values } = parseArgs({
    options: {
      case: { type: 'string' },
      file: { type: 'string' },
      exhibit: { type: 'string' },
      description: { type: 'string' },
      source: { type: 'string' },
      'acquired-at': { type: 'string' },
      'acquired-by': { type: 'string' },
      tool: { type: 'string' },
      location: { type: 'string' },
      seal: { type: 'string' },
      'acquisition-hash': { type: 'string' },
      'legacy-digests': { type: 'boolean' },
      'allow-empty': { type: 'boolean' },
      token: { type: 'string' },
      url: { type: 'string' },
    },
  });
  for (const required of ['case', 'file', 'exhibit', 'description'] as const) {
    if (!values[required]) throw new UsageError(`missing --${required}`);
  }
  const token = values.token ?? process.env.CUSTODY_TOKEN;
  if (!token) throw new UsageError('missing --token (or CUSTODY_TOKEN)');
  return {
    ...values,
    token,
    url: values.url ?? process.env.CUSTODY_URL ?? 'http://127.0.0.1:8080',
  } as typeof values & {
    case: string;
    file: string;
    exhibit: string;
    description: string;
    token: string;
    url: string;
  };
}

function metadataOf(values: ReturnType<typeof options>, file: string): Record<string, unknown> {
  let acquisitionHash: { alg: string; value: string } | undefined;
  if (values['acquisition-hash']) {
    const [alg, value] = values['acquisition-hash'].split(':');
    if (!alg || !value)
      throw new UsageError('--acquisition-hash is ALG:HEX, e.g. md5:0cc175b9c0f1b6a831c399e269772661');
    acquisitionHash = { alg: alg.toLowerCase(), value };
  }
  let sub: string | undefined;
  try {
    sub = decodeJwt(values.token).sub;
  } catch {
    sub = undefined;
  }
  const metadata = {
    exhibitNumber: values.exhibit,
    description: values.description,
    source: values.source ?? `file ${path.basename(file)}`,
    acquiredAt: values['acquired-at'] ?? new Date().toISOString(),
    acquiredBy: values['acquired-by'] ?? sub ?? 'unknown',
    acquisitionTool: values.tool,
    location: values.location,
    sealNumber: values.seal,
    acquisitionHash,
    legacyDigests: values['legacy-digests'],
  };
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined));
}

/** A quoted multipart filename: the basename only, without quotes or line breaks. */
function safeFilename(file: string): string {
  return path.basename(file).replace(/["\r\n\\]/g, '_');
}

/**
 * The size of the regular file to send. A directory, a device or an empty file
 * (unless allowed: an empty exhibit is almost always a failed acquisition) is a
 * usage error, said plainly.
 */
async function sizeOfEvidenceFile(file: string, allowEmpty: boolean): Promise<number> {
  const stats = await fs.stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      error.code === 'ENOENT'
        ? `--file ${file} does not exist`
        : `cannot read --file ${file} (${error.code})`,
    );
  });
  if (stats.isDirectory()) {
    throw new UsageError(
      `--file ${file} is a directory: upload one file (a disk image, or an archive of the directory)`,
    );
  }
  if (!stats.isFile()) throw new UsageError(`--file ${file} is not a regular file`);
  if (stats.size === 0 && !allowEmpty) {
    throw new UsageError(
      `--file ${file} is empty (0 bytes); pass --allow-empty if that is really the exhibit`,
    );
  }
  return stats.size;
}

/** Network failures that mean "nothing answers there": say which URL was tried and how to change it. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/** A problem+json answer as one line: status, code, detail and the failing fields. */
function refusal(status: number | undefined, text: string): string {
  try {
    const problem = JSON.parse(text) as { code?: string; detail?: string; errors?: { pointer: string }[] };
    const fields = problem.errors?.map((field) => field.pointer).join(', ');
    return `${status} ${problem.code ?? ''} ${problem.detail ?? ''}${fields ? ` (fields: ${fields})` : ''}`;
  } catch {
    return `${status} ${text.slice(0, 500)}`;
  }
}

async function main(): Promise<number> {
  const values = options();
  const file = path.resolve(values.file);
  const size = await sizeOfEvidenceFile(file, values['allow-empty'] === true);
  const boundary = `----custody-ledger-${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n` +
      `${JSON.stringify(metadataOf(values, file))}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeFilename(file)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tailLength = Buffer.byteLength(
    `\r\n--${boundary}\r\nContent-Disposition: form-data; name="sha256"\r\n\r\n${'0'.repeat(64)}\r\n--${boundary}--\r\n`,
  );

  const sha256 = createHash('sha256');
  const onTerminal = process.stderr.isTTY === true;
  const bar = new SingleBar({
    format: onTerminal
      ? 'uploading [{bar}] {percentage}% | {sent} of {size} | {speed}/s | ETA {eta_formatted}'
      : 'uploading: {percentage}%, {sent} of {size}, {speed}/s, ETA {eta_formatted}',
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: PLAIN_PROGRESS_EVERY_MS,
  });
  const started = Date.now();
  bar.start(size, 0, { sent: humanBytes(0, size), size: humanBytes(size), speed: humanBytes(0) });
  let sent = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha256.update(chunk);
      sent += chunk.length;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(sent, { sent: humanBytes(sent, size), speed: humanBytes(sent / seconds) });
      callback(null, chunk);
    },
  });
  async function* body() {
    yield head;
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(hashing))
      yield chunk;
    yield Buffer.from(
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="sha256"\r\n\r\n${sha256.digest('hex')}\r\n--${boundary}--\r\n`,
    );
  }

  const target = new URL(`/v1/cases/${encodeURIComponent(values.case)}/evidence`, values.url);
  const client = target.protocol === 'https:' ? https : http;
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = client.request(target, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${values.token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + size + tailLength),
      },
    });
    req.on('response', resolve);
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== undefined && UNREACHABLE.has(error.code)) {
        reject(
          new Error(
            `cannot reach the service at ${target.origin} (${error.code}): is it running there? Point --url (or CUSTODY_URL) at it`,
          ),
        );
      } else reject(error);
    });
    pipeline(Readable.from(body()), req).catch(reject);
  }).finally(() => bar.stop());
  let text = '';
  for await (const chunk of response) text += chunk;
  if (response.statusCode === 201) {
    process.stdout.write(`${text}\n`);
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `stored ${humanBytes(size)} (${size} bytes) in ${seconds.toFixed(1)} s (${humanBytes(size / seconds)}/s)\n`,
    );
    return 0;
  }
  process.stderr.write(`upload refused: ${refusal(response.statusCode, text)}\n`);
  return 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
      process.exitCode = 64;
    } else {
      process.stderr.write(`upload: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  },
);
