/**
 * Uploads a file of any size as evidence, resumably (the tus protocol), streaming it (never in memory):
 *   npm run --silent upload -- --case ID --file PATH --exhibit X --description TEXT
 *       [--source TEXT] [--acquired-at ISO] [--acquired-by NAME] [--tool NAME] [--location TEXT]
 *       [--seal NUMBER] [--acquisition-hash ALG:HEX] [--legacy-digests] [--allow-empty]
 *       [--state FILE (default $CUSTODY_UPLOAD_STATE or ~/.custody-ledger/uploads.json)]
 *       [--token TOKEN (default $CUSTODY_TOKEN)] [--url URL (default $CUSTODY_URL or http://127.0.0.1:8080)]
 * Hashes the file first (SHA-256, declared when the upload is created, so the
 * service refuses bytes that changed on the way), then sends it. A failure is
 * retried from the last byte the service holds; a run stopped (killed, a reboot)
 * continues where it was when started again with the same file and exhibit: the
 * upload's URL and hash are kept in the state file by the file's path, size,
 * modification time, server, case and exhibit.
 * Shows progress on stderr (a bar on a terminal, a plain line every few seconds
 * otherwise, e.g. in a job log); prints {evidence, receipt} on stdout.
 * Exit codes: 0 stored, 1 refused or failed, 64 usage error.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { decodeJwt } from 'jose';
import * as tus from 'tus-js-client';
import { humanBytes } from './lib/human-bytes';

const USAGE = `usage: npm run --silent upload -- --case ID --file PATH --exhibit X --description TEXT
  [--source TEXT] [--acquired-at ISO] [--acquired-by NAME] [--tool NAME] [--location TEXT] [--seal NUMBER]
  [--acquisition-hash ALG:HEX] [--legacy-digests] [--allow-empty] [--state FILE] [--token TOKEN] [--url URL]`;

type UploadOptions = ConstructorParameters<typeof tus.Upload>[1];

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
      state: { type: 'string' },
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

/** How long the CLI keeps retrying a failed request (network, 5xx) before it gives up, from the last byte held. */
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10_000, 20_000, 30_000, 60_000, 60_000, 60_000];

/** The progress bar of one phase (hashing, uploading), in the format of a terminal or of a log. */
function progressBar(label: string, size: number) {
  const onTerminal = process.stderr.isTTY === true;
  const bar = new SingleBar({
    format: onTerminal
      ? `${label} [{bar}] {percentage}% | {sent} of {size} | {speed}/s | ETA {eta_formatted}`
      : `${label}: {percentage}%, {sent} of {size}, {speed}/s, ETA {eta_formatted}`,
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: PLAIN_PROGRESS_EVERY_MS,
  });
  const started = Date.now();
  let first: number | undefined;
  bar.start(size, 0, { sent: humanBytes(0, size), size: humanBytes(size), speed: humanBytes(0) });
  return {
    update(done: number) {
      // Speed counts the bytes of this run only (a resumed upload starts at its offset).
      first ??= done;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(done, { sent: humanBytes(done, size), speed: humanBytes((done - first) / seconds) });
    },
    stop: () => bar.stop(),
  };
}

async function sha256Of(file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const bar = progressBar('hashing', size);
  let read = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      bar.update(read);
    }
  } finally {
    bar.stop();
  }
  return hash.digest('hex');
}

/** tus-js-client's URL storage for Node (a JSON file, locked while written); its typings omit it. */
function stateStorage(file: string): NonNullable<UploadOptions['urlStorage']> {
  const { FileUrlStorage } = tus as unknown as {
    FileUrlStorage: new (path: string) => NonNullable<UploadOptions['urlStorage']>;
  };
  return new FileUrlStorage(file);
}

/** The service answers at `url`, or the run stops naming the URL and how to change it. */
async function reachable(url: string): Promise<void> {
  try {
    await fetch(new URL('/v1/uploads', url), { method: 'OPTIONS' });
  } catch (error) {
    const code = ((error as { cause?: { code?: string } }).cause?.code ?? '') as string;
    if (!UNREACHABLE.has(code)) throw error;
    throw new Error(
      `cannot reach the service at ${new URL(url).origin} (${code}): is it running there? Point --url (or CUSTODY_URL) at it`,
    );
  }
}

/** Asks the service to complete an upload whose bytes are all in, waiting while a completion runs elsewhere. */
async function completed(uploadUrl: string, token: string): Promise<{ status: number; text: string }> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(new URL(`${uploadUrl}/complete`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    if (response.status !== 503 || attempt >= 120) return { status: response.status, text };
    const wait = Number(response.headers.get('retry-after') ?? '5');
    await new Promise((resolve) => setTimeout(resolve, Math.min(60, Math.max(1, wait)) * 1000));
  }
}

async function main(): Promise<number> {
  const values = options();
  const file = path.resolve(values.file);
  const size = await sizeOfEvidenceFile(file, values['allow-empty'] === true);
  const metadata = metadataOf(values, file);
  const stats = await fs.stat(file);
  await reachable(values.url);
  const endpoint = new URL('/v1/uploads', values.url).toString();
  const statePath =
    values.state ??
    process.env.CUSTODY_UPLOAD_STATE ??
    path.join(os.homedir(), '.custody-ledger', 'uploads.json');
  await fs.mkdir(path.dirname(statePath), { recursive: true, mode: 0o700 });
  // The same bytes sent as the same exhibit to the same case and server: only then is an upload resumed.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([file, size, stats.mtimeMs, endpoint, values.case, values.exhibit]))
    .digest('hex');
  const baseOptions: UploadOptions = {
    endpoint,
    headers: { authorization: `Bearer ${values.token}` },
    fingerprint: async () => fingerprint,
    urlStorage: stateStorage(statePath),
    removeFingerprintOnSuccess: true,
    retryDelays: RETRY_DELAYS_MS,
    // A refusal is final; what passes (the network, 5xx, a lock, an offset that moved) is retried from HEAD.
    onShouldRetry: (error) => {
      const status = error.originalResponse?.getStatus() ?? 0;
      if (status === 0 || status >= 500 || status === 423) return true;
      return status === 409 && (error.originalResponse?.getBody() ?? '').includes('UPLOAD_OFFSET_MISMATCH');
    },
  };
  const source = createReadStream(file) as unknown as Buffer;
  const previous = (await new tus.Upload(source, baseOptions).findPreviousUploads())[0];
  // A resumed upload declared its hash already: the file is not read twice.
  const sha256 = previous?.metadata.sha256 ?? (await sha256Of(file, size));

  const started = Date.now();
  const bar = progressBar('uploading', size);
  let resumedAt: number | undefined;
  const outcome = await new Promise<{ status: number; text: string; url: string }>((resolve, reject) => {
    const upload = new tus.Upload(source, {
      ...baseOptions,
      uploadSize: size,
      metadata: {
        caseId: values.case,
        metadata: JSON.stringify(metadata),
        sha256,
        filename: path.basename(file),
        filetype: 'application/octet-stream',
      },
      onProgress: (sent) => bar.update(sent),
      // The offset the service held when this run took up an earlier upload (its first HEAD).
      onAfterResponse: (req, res) => {
        if (req.getMethod() === 'HEAD' && res.getStatus() === 200)
          resumedAt ??= Number(res.getHeader('Upload-Offset'));
      },
      onSuccess: ({ lastResponse }) =>
        resolve({
          status: lastResponse.getStatus(),
          text: lastResponse.getBody() ?? '',
          url: upload.url ?? '',
        }),
      onError: (error) => {
        const response = (error as tus.DetailedError).originalResponse;
        if (response)
          resolve({ status: response.getStatus(), text: response.getBody() ?? '', url: upload.url ?? '' });
        else reject(error);
      },
    });
    if (previous) upload.resumeFromPreviousUpload(previous);
    upload.start();
  }).finally(() => bar.stop());
  if (resumedAt !== undefined)
    process.stderr.write(`resumed an earlier upload at ${humanBytes(resumedAt, size)}\n`);
  let answer = outcome;
  // The last byte was in before this run (a lost answer, a completion that stopped): ask for the item.
  if (answer.status < 300 && !answer.text.includes('"evidence"'))
    answer = { ...(await completed(outcome.url, values.token)), url: outcome.url };
  if (answer.status === 200 || answer.status === 201) {
    process.stdout.write(`${answer.text}\n`);
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `stored ${humanBytes(size)} (${size} bytes) in ${seconds.toFixed(1)} s (${humanBytes(size / seconds)}/s)\n`,
    );
    return 0;
  }
  process.stderr.write(`upload refused: ${refusal(answer.status, answer.text)}\n`);
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
