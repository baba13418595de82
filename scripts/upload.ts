/**
 * Uploads a file of any size as evidence, streaming it (never in memory):
 *   npm run --silent upload -- --case ID --file PATH --exhibit X --description TEXT
 *       [--source TEXT] [--acquired-at ISO] [--acquired-by NAME] [--tool NAME] [--location TEXT]
 *       [--seal NUMBER] [--acquisition-hash ALG:HEX] [--legacy-digests]
 *       [--token TOKEN (default $CUSTODY_TOKEN)] [--url URL (default $CUSTODY_URL or http://127.0.0.1:8080)]
 * Computes the file's SHA-256 while sending and declares it after the file, so
 * the service refuses the upload if the bytes it got are not the bytes sent.
 * Shows a progress bar with throughput on stderr; prints {evidence, receipt} on stdout.
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

const USAGE = `usage: npm run --silent upload -- --case ID --file PATH --exhibit X --description TEXT
  [--source TEXT] [--acquired-at ISO] [--acquired-by NAME] [--tool NAME] [--location TEXT] [--seal NUMBER]
  [--acquisition-hash ALG:HEX] [--legacy-digests] [--token TOKEN] [--url URL]`;

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

async function main(): Promise<number> {
  const values = options();
  const file = path.resolve(values.file);
  const { size } = await fs.stat(file);
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
  const bar = new SingleBar({
    format: 'uploading [{bar}] {percentage}% | {sent}/{total} MB | {speed} MB/s | ETA {eta}s',
    stream: process.stderr,
  });
  const started = Date.now();
  bar.start(size, 0, { sent: '0', total: (size / 1e6).toFixed(0), speed: '0' });
  let sent = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha256.update(chunk);
      sent += chunk.length;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(sent, { sent: (sent / 1e6).toFixed(0), speed: (sent / 1e6 / seconds).toFixed(1) });
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
    req.on('error', reject);
    pipeline(Readable.from(body()), req).catch(reject);
  });
  bar.stop();
  let text = '';
  for await (const chunk of response) text += chunk;
  if (response.statusCode === 201) {
    process.stdout.write(`${text}\n`);
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `stored ${size} bytes in ${seconds.toFixed(1)} s (${(size / 1e6 / seconds).toFixed(1)} MB/s)\n`,
    );
    return 0;
  }
  process.stderr.write(`upload refused (${response.statusCode}): ${text}\n`);
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
