import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import { PassThrough, pipeline, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  ListObjectsV2Command,
  type ObjectLockMode,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { DependencyUnavailableError, LedgerError } from '../errors';
import { faultPoint } from '../faults';
import { isAlive } from '../processes';
import type { BlobStore, ByteRange, StagingFile, StoredBlob } from './blob-store';
import { createS3Client, type S3Connection } from './s3-client';
import { fixedPartBytes, PARTS_PER_SIZE_STEP, partBytesOf, S3_MAX_PARTS } from './s3-part-size';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MIB = 1024 * 1024;
/** The largest object one CopyObject may copy; beyond it the copy goes part by part (UploadPartCopy). */
const SINGLE_COPY_MAX_BYTES = 5 * 1024 * MIB;
const COPY_PART_BYTES = 1024 * MIB;
/** Suffix of the empty object whose time says when stored bytes were last reused (see `commit`). */
const REUSED = '.reused';
/** How long a readiness probe's answer is reused, and how long the probe may take. */
const PROBE_CACHE_MS = 5_000;
const PROBE_TIMEOUT_MS = 3_000;

export interface S3BlobStoreOptions extends S3Connection {
  readonly bucket: string;
  /** Key prefix of everything the store writes ('' or ending in '/'). */
  readonly prefix: string;
  /**
   * The size of an upload's first parts; it doubles every 1,000 parts (src/storage/s3-part-size.ts).
   * An upload holds at most two parts of its current size in memory (one filling, one sending).
   */
  readonly partBytes: number;
  /** How many parts go at one size before it doubles (default 1,000); tests set a few to reach larger parts. */
  readonly partsPerSizeStep?: number;
  /** Retention applied to stored bytes, on buckets with Object Lock enabled. */
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number } | undefined;
  /** Staging of other hosts older than this is swept (their liveness cannot be checked from here). */
  readonly stagingMaxAgeMs: number;
  /** This host's name in staging keys (default: os.hostname()). */
  readonly host?: string;
  /** This process's id in staging keys (default: process.pid); tests set another to play a second process. */
  readonly pid?: number;
  /** The clock (tests move it). */
  readonly now?: () => number;
}

/**
 * Bytes not in the bucket, shaped as the filesystem's ENOENT, so that callers
 * (a read that finds its bytes gone, a fixity check) need to know no SDK.
 */
export class S3StoreError extends Error {
  readonly code = 'ENOENT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'S3StoreError';
  }
}

/** What a client is told to wait when the bucket fails, as for any other dependency. */
const STORE_RETRY_SECONDS = 5;

/**
 * The bucket is down, slow, refusing our credentials, missing, or answering
 * 5xx: the request is answered 503 DEPENDENCY_UNAVAILABLE with Retry-After
 * (a LedgerError, so that no layer above mistakes it for bad input).
 */
function unavailable(what: string, cause?: unknown): DependencyUnavailableError {
  return new DependencyUnavailableError(STORE_RETRY_SECONDS, { cause: cause ?? new Error(what) });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The error a store method throws for an SDK failure: S3StoreError (ENOENT), DependencyUnavailableError, or the SDK's own (a fault of ours). */
export function storeError(error: unknown, what: string): unknown {
  if (error instanceof S3StoreError || error instanceof DependencyUnavailableError) return error;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  // A missing bucket is a store that is not there (misconfigured, deleted), not a missing blob.
  if (e.name === 'NoSuchBucket') return unavailable(`${what}: no such bucket`, error);
  if (status === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound' || e.name === 'NoSuchUpload')
    return new S3StoreError(`${what}: not found`, { cause: error });
  const transient =
    status === undefined
      ? NETWORK_CODES.has(e.code ?? '') ||
        ['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException'].includes(e.name ?? '')
      : status >= 500 || status === 429 || status === 408 || status === 401 || status === 403;
  return transient ? unavailable(`${what}: the object store failed`, error) : error;
}

/** Whether the server answered that it does not implement a call (s3rver: listing and aborting multipart uploads). */
function unsupported(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 501 || status === 405;
}

function base64OfHex(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** A part as CompleteMultipartUpload wants it back. */
interface SentPart {
  readonly PartNumber: number;
  readonly ETag: string;
  readonly ChecksumSHA256: string;
}

/** The first buffer of an upload; it doubles as bytes come, up to the part size. */
const FIRST_BUFFER_BYTES = 1024 * 1024;

/**
 * An upload being received: bytes gather in a part-sized buffer; a full part
 * is sent while the next one fills, so an upload holds at most two parts of
 * its current size in memory. Parts are of one size when the store was told
 * the most bytes to expect, and otherwise grow as the upload does
 * (s3-part-size.ts), so that 10,000 of them hold the largest file. A file smaller than one part is sent with one PutObject at `finish`;
 * a larger one is a multipart upload, started with its first full part. After
 * `finish` the bytes are one object under `key`.
 */
class S3StagingFile implements StagingFile {
  bytesWritten = 0;
  uploadId: string | undefined;
  finished = false;
  private closed = false;
  private filling: Buffer;
  /** The size of the part being filled; `filling` may still be shorter (the first part grows as bytes come). */
  private partBytes: number;
  private spare: Buffer | undefined;
  private filled = 0;
  private readonly parts: SentPart[] = [];
  private sending: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly store: S3BlobStore,
    readonly key: string,
    private readonly firstPartBytes: number,
    private readonly partsPerSizeStep: number,
  ) {
    // Memory follows the bytes received, not the part size asked for (a declared length may be false).
    this.partBytes = firstPartBytes;
    this.filling = Buffer.allocUnsafe(Math.min(firstPartBytes, FIRST_BUFFER_BYTES));
  }

  /** How many parts the upload has sent (tests: that the part size grew). */
  get partsSent(): number {
    return this.parts.length;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed || this.finished) throw new Error('staging file is closed');
    let offset = 0;
    while (offset < chunk.length) {
      const taken = Math.min(chunk.length - offset, this.filling.length - this.filled);
      this.filling.set(chunk.subarray(offset, offset + taken), this.filled);
      this.filled += taken;
      offset += taken;
      if (this.filled === this.partBytes) await this.sendFilledPart();
      else if (this.filled === this.filling.length) this.growBuffer();
    }
    this.bytesWritten += chunk.length;
  }

  /** Waits for the part in flight, then sends the full buffer in the background and fills the next one. */
  private async sendFilledPart(): Promise<void> {
    await this.settle();
    // The part in flight has been added to `parts`: the full buffer is part parts.length + 1.
    if (this.parts.length + 1 > S3_MAX_PARTS)
      throw new LedgerError('PAYLOAD_TOO_LARGE', 'The file is larger than the evidence store can take');
    const part = this.filling;
    const next = this.parts.length + 2;
    // No part can follow the last one S3 takes: an empty buffer, whose next byte is refused above.
    const nextBytes = next > S3_MAX_PARTS ? 0 : partBytesOf(next, this.firstPartBytes, this.partsPerSizeStep);
    // The spare buffer is reused while the size holds; once it grows, the smaller one is let go.
    this.partBytes = nextBytes;
    this.filling = this.spare?.length === nextBytes ? this.spare : Buffer.allocUnsafe(nextBytes);
    this.spare = undefined;
    this.filled = 0;
    this.sending = this.sendPart(part, part.length).then(
      () => {
        this.spare = part;
      },
      (error: unknown) => {
        this.failure ??= error;
      },
    );
  }

  /** Doubles the buffer of a part not yet full (up to the part's size), keeping what it holds. */
  private growBuffer(): void {
    const larger = Buffer.allocUnsafe(Math.min(this.partBytes, this.filling.length * 2));
    this.filling.copy(larger, 0, 0, this.filled);
    this.filling = larger;
  }

  /** The part in flight has arrived, or its failure is thrown. */
  private async settle(): Promise<void> {
    await this.sending;
    this.sending = undefined;
    if (this.failure) throw this.failure;
  }

  private async sendPart(buffer: Buffer, length: number): Promise<void> {
    this.uploadId ??= await this.store.createUpload(this.key);
    const bytes = buffer.subarray(0, length);
    const partNumber = this.parts.length + 1;
    const checksum = createHash('sha256').update(bytes).digest('base64');
    const etag = await this.store.uploadPart(this.key, this.uploadId, partNumber, bytes, checksum);
    this.parts.push({ PartNumber: partNumber, ETag: etag, ChecksumSHA256: checksum });
  }

  async finish(): Promise<void> {
    if (this.finished) return;
    if (this.closed) throw new Error('staging file is closed');
    await this.settle();
    await faultPoint('blob.fsync'); // tests and benchmarks: a slow store (src/faults.ts)
    if (this.uploadId === undefined) {
      await this.store.putSmall(this.key, this.filling.subarray(0, this.filled));
    } else {
      if (this.filled > 0) await this.sendPart(this.filling, this.filled);
      await this.store.completeUpload(this.key, this.uploadId, this.parts);
      this.uploadId = undefined;
    }
    this.release();
    this.finished = true;
  }

  /** Stops taking bytes and lets a part in flight end (its outcome no longer matters). */
  async close(): Promise<void> {
    this.closed = true;
    await this.sending?.catch(() => {});
    this.sending = undefined;
    this.release();
  }

  private release(): void {
    this.partBytes = 0;
    this.filling = Buffer.alloc(0);
    this.spare = undefined;
    this.filled = 0;
  }
}

/**
 * Content-addressed evidence bytes in an S3 bucket (AWS S3 or a compatible server):
 *   <prefix>sha256/<hex>          stored bytes, written once by a server-side copy
 *   <prefix>sha256/<hex>.reused   empty; its time is when the bytes were last reused
 *   <prefix>staging/<host>/<pid>-<uuid>   uploads being received (multipart) or received
 * Staging keys name the host and process receiving them, so a sweep removes a
 * host's own leftovers by whether their process lives, and another host's only
 * once they are older than any upload takes: several hosts can share a bucket.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly host: string;
  private readonly pid: number;
  private readonly now: () => number;
  private probe: { at: number; answer: Promise<string | undefined> } | undefined;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.client = createS3Client(options);
    this.host = (options.host ?? os.hostname()).replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 63) || 'host';
    this.pid = options.pid ?? process.pid;
    this.now = options.now ?? Date.now;
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.client.destroy();
  }

  private blobKey(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error('not a SHA-256 hex digest');
    return `${this.options.prefix}sha256/${sha256}`;
  }

  private get stagingPrefix(): string {
    return `${this.options.prefix}staging/`;
  }

  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw storeError(error, what);
    }
  }

  private get lock() {
    const lock = this.options.objectLock;
    return lock
      ? {
          ObjectLockMode: lock.mode as ObjectLockMode,
          ObjectLockRetainUntilDate: new Date(this.now() + lock.days * 86_400_000),
        }
      : {};
  }

  /**
   * Why a write could not succeed now, if it could not: the bucket does not
   * take a small object and its removal within a few seconds. The answer is
   * reused for a few seconds, so that probes of /readyz do not load the store.
   */
  async unwritable(): Promise<'STORAGE_UNAVAILABLE' | undefined> {
    const now = Date.now();
    if (!this.probe || now - this.probe.at > PROBE_CACHE_MS) {
      this.probe = { at: now, answer: this.writeProbe() };
    }
    return (await this.probe.answer) as 'STORAGE_UNAVAILABLE' | undefined;
  }

  private async writeProbe(): Promise<string | undefined> {
    const Key = `${this.options.prefix}probe/${this.host}-${this.pid}`;
    const abortSignal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key, Body: Buffer.alloc(0) }),
        { abortSignal },
      );
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key }), { abortSignal });
      return undefined;
    } catch {
      return 'STORAGE_UNAVAILABLE';
    }
  }

  async stage(sizeBound?: number): Promise<StagingFile> {
    const key = `${this.stagingPrefix}${this.host}/${this.pid}-${randomUUID()}`;
    const fixed = sizeBound === undefined ? undefined : fixedPartBytes(sizeBound, this.options.partBytes);
    // Parts of one size for a known bound (they never need to grow), growing ones otherwise.
    return fixed === undefined
      ? new S3StagingFile(
          this,
          key,
          this.options.partBytes,
          this.options.partsPerSizeStep ?? PARTS_PER_SIZE_STEP,
        )
      : new S3StagingFile(this, key, fixed, Number.POSITIVE_INFINITY);
  }

  /** @internal S3StagingFile: starts the multipart upload of a staging key. */
  async createUpload(key: string): Promise<string> {
    const created = await this.send('staging', () =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.options.bucket,
          Key: key,
          ChecksumAlgorithm: 'SHA256',
        }),
      ),
    );
    if (!created.UploadId) throw unavailable('staging: no upload id');
    return created.UploadId;
  }

  /** @internal S3StagingFile: sends one part with its SHA-256; a server that checks it refuses a corrupted part. */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    bytes: Buffer,
    checksum: string,
  ): Promise<string> {
    const sent = await this.send('staging', () =>
      this.client.send(
        new UploadPartCommand({
          Bucket: this.options.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: bytes,
          ContentLength: bytes.length,
          ChecksumSHA256: checksum,
        }),
      ),
    );
    checkEcho(sent.ChecksumSHA256, checksum, 'staging part');
    if (!sent.ETag) throw unavailable('staging: no ETag for a part');
    return sent.ETag;
  }

  /** @internal S3StagingFile: a whole file smaller than one part. */
  async putSmall(key: string, bytes: Buffer): Promise<void> {
    const checksum = createHash('sha256').update(bytes).digest('base64');
    const sent = await this.send('staging', () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ChecksumSHA256: checksum,
        }),
      ),
    );
    checkEcho(sent.ChecksumSHA256, checksum, 'staging');
  }

  /** @internal S3StagingFile */
  async completeUpload(key: string, uploadId: string, parts: readonly SentPart[]): Promise<void> {
    await this.send('staging', () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.options.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: [...parts] },
        }),
      ),
    );
  }

  /**
   * Copies the received object to its content address on the server (no byte
   * passes through the service), unless those bytes are stored already; then
   * removes the staging object. Reused bytes get a fresh `.reused` marker, so
   * the orphan reconciler's grace period starts again (S3 cannot touch an
   * object's time without rewriting it, and some servers do not even then).
   */
  async commit(staging: StagingFile, sha256: string): Promise<{ created: boolean }> {
    const file = staging as S3StagingFile;
    if (!file.finished) throw new Error('staging file is not finished');
    const target = this.blobKey(sha256);
    await faultPoint('blob.before-rename'); // tests: a crash with the bytes only in staging
    let created = false;
    if (await this.exists(sha256)) {
      await this.markReused(sha256);
      // Removed by the reconciler in between (it had not seen the marker yet): stored afresh.
      if (!(await this.exists(sha256))) created = true;
    } else {
      created = true;
    }
    if (created) {
      await this.copyIn(file.key, target, sha256, staging.bytesWritten);
      await faultPoint('blob.fsync'); // tests and benchmarks: a slow store (src/faults.ts)
    }
    await this.send('staging', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: file.key })),
    );
    return { created };
  }

  private async markReused(sha256: string): Promise<void> {
    await this.send('commit', () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: `${this.blobKey(sha256)}${REUSED}`,
          Body: Buffer.alloc(0),
        }),
      ),
    );
    // The bytes now back one more item: their retention runs from now.
    if (this.options.objectLock) {
      const { ObjectLockMode, ObjectLockRetainUntilDate } = this.lock;
      await this.send('commit', () =>
        this.client.send(
          new PutObjectRetentionCommand({
            Bucket: this.options.bucket,
            Key: this.blobKey(sha256),
            Retention: { Mode: ObjectLockMode, RetainUntilDate: ObjectLockRetainUntilDate },
          }),
        ),
      );
    }
  }

  /**
   * The server-side copy to the content address, with the retention if one is
   * set. The server computes the object's SHA-256 as it copies; where it tells
   * (AWS S3 does for copies up to 5 GiB; s3rver does not), it must be ours.
   */
  private async copyIn(source: string, target: string, sha256: string, size: number): Promise<void> {
    if (size > SINGLE_COPY_MAX_BYTES) {
      await this.copyInParts(source, target, size);
      return;
    }
    const copied = await this.send('commit', () =>
      this.client.send(
        new CopyObjectCommand({
          Bucket: this.options.bucket,
          Key: target,
          CopySource: `${this.options.bucket}/${encodeURI(source)}`,
          ChecksumAlgorithm: 'SHA256',
          ...this.lock,
        }),
      ),
    );
    const echoed = copied.CopyObjectResult?.ChecksumSHA256;
    if (echoed && !echoed.includes('-') && echoed !== base64OfHex(sha256)) {
      await this.send('commit', () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: target })),
      );
      throw unavailable('commit: the stored copy does not hash to its address');
    }
  }

  /** A copy of more than 5 GiB: a multipart upload of 1 GiB ranges of the source. */
  private async copyInParts(source: string, target: string, size: number): Promise<void> {
    const created = await this.send('commit', () =>
      this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.options.bucket, Key: target, ...this.lock }),
      ),
    );
    const UploadId = created.UploadId;
    if (!UploadId) throw unavailable('commit: no upload id');
    try {
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      for (let start = 0, PartNumber = 1; start < size; start += COPY_PART_BYTES, PartNumber++) {
        const end = Math.min(start + COPY_PART_BYTES, size) - 1;
        const part = await this.send('commit', () =>
          this.client.send(
            new UploadPartCopyCommand({
              Bucket: this.options.bucket,
              Key: target,
              UploadId,
              PartNumber,
              CopySource: `${this.options.bucket}/${encodeURI(source)}`,
              CopySourceRange: `bytes=${start}-${end}`,
            }),
          ),
        );
        const ETag = part.CopyPartResult?.ETag;
        if (!ETag) throw unavailable('commit: no ETag for a copied part');
        parts.push({ PartNumber, ETag });
      }
      await this.send('commit', () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.options.bucket,
            Key: target,
            UploadId,
            MultipartUpload: { Parts: parts },
          }),
        ),
      );
    } catch (error) {
      await this.abortUpload(target, UploadId).catch(() => {});
      throw error;
    }
  }

  async discard(staging: StagingFile): Promise<void> {
    const file = staging as S3StagingFile;
    await file.close();
    if (file.uploadId !== undefined) {
      await this.abortUpload(file.key, file.uploadId);
      file.uploadId = undefined;
    }
    await this.send('staging', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: file.key })),
    );
  }

  /**
   * Aborts a multipart upload, freeing its parts; gone already is fine. A
   * server that cannot abort (s3rver) keeps the parts: a bucket lifecycle rule
   * (AbortIncompleteMultipartUpload) is the remedy there.
   */
  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: key, UploadId: uploadId }),
      );
    } catch (error) {
      if (unsupported(error)) return;
      const converted = storeError(error, 'staging');
      if (!(converted instanceof S3StoreError)) throw converted;
    }
  }

  private async head(sha256: string, suffix = '') {
    try {
      return await this.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: `${this.blobKey(sha256)}${suffix}` }),
      );
    } catch (error) {
      const converted = storeError(error, 'head');
      if (converted instanceof S3StoreError) return undefined;
      throw converted;
    }
  }

  async exists(sha256: string): Promise<boolean> {
    return (await this.head(sha256)) !== undefined;
  }

  async size(sha256: string): Promise<number> {
    const found = await this.head(sha256);
    if (!found) throw new S3StoreError('size: not found');
    return found.ContentLength ?? 0;
  }

  /**
   * The stored bytes (a range of them) as a stream of the object's body; a
   * reader that goes away ends the request. An object not there fails the
   * stream with ENOENT, a store that fails with DependencyUnavailableError.
   */
  read(sha256: string, range?: ByteRange): Readable {
    const Key = this.blobKey(sha256);
    const out = new PassThrough();
    const abort = new AbortController();
    out.once('close', () => abort.abort());
    this.client
      .send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
        { abortSignal: abort.signal },
      )
      .then(
        (got) => {
          const body = got.Body as Readable | undefined;
          if (!body) throw unavailable('read: no body');
          if (out.destroyed) {
            body.destroy();
            return;
          }
          // A range must come back as one (some servers answer `bytes=0-0` with the whole object).
          if (range && !got.ContentRange?.startsWith(`bytes ${range.start}-`)) {
            body.destroy();
            throw unavailable('read: the server did not answer with the range asked for');
          }
          const source = range ? Readable.from(atMost(body, range.end - range.start + 1)) : body;
          pipeline(source, out, (error) => {
            if (error && !out.destroyed) out.destroy(storeError(error, 'read') as Error);
          });
        },
        (error: unknown) => out.destroy(storeError(error, 'read') as Error),
      )
      .catch((error: unknown) => out.destroy(error as Error));
    return out;
  }

  async remove(sha256: string): Promise<void> {
    for (const suffix of ['', REUSED]) {
      await this.send('remove', () =>
        this.client.send(
          new DeleteObjectCommand({ Bucket: this.options.bucket, Key: `${this.blobKey(sha256)}${suffix}` }),
        ),
      );
    }
  }

  /**
   * Removes what interrupted uploads left: staging objects and multipart
   * uploads of this host whose process is gone (or is this one: a sweep runs
   * at start, before any upload), and of other hosts once older than
   * `stagingMaxAgeMs`. A server that cannot list multipart uploads (s3rver)
   * has only its staging objects swept.
   */
  async sweepStaging(): Promise<number> {
    let swept = 0;
    for await (const leftover of this.stagingEntries()) {
      if (!this.isLeftover(leftover.name, leftover.since)) continue;
      if (leftover.uploadId) await this.abortUpload(leftover.key, leftover.uploadId);
      else
        await this.send('sweep', () =>
          this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: leftover.key })),
        );
      swept++;
    }
    return swept;
  }

  private isLeftover(name: string, since: Date | undefined): boolean {
    const [host, rest = ''] = name.split('/');
    if (host === this.host) {
      const owner = Number.parseInt(rest.split('-')[0] ?? '', 10);
      return owner === this.pid || !isAlive(owner);
    }
    return since !== undefined && this.now() - since.getTime() > this.options.stagingMaxAgeMs;
  }

  /** Staging objects and multipart uploads under the staging prefix, named `<host>/<pid>-<uuid>`. */
  private async *stagingEntries(): AsyncIterable<{
    key: string;
    name: string;
    since: Date | undefined;
    uploadId?: string;
  }> {
    for await (const object of this.listObjects(this.stagingPrefix)) {
      yield { key: object.key, name: object.key.slice(this.stagingPrefix.length), since: object.modifiedAt };
    }
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      let page: ListMultipartUploadsCommandOutput;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.options.bucket,
            Prefix: this.stagingPrefix,
            KeyMarker,
            UploadIdMarker,
          }),
        );
      } catch (error) {
        if (unsupported(error)) return;
        throw storeError(error, 'list staging');
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        yield {
          key: upload.Key,
          name: upload.Key.slice(this.stagingPrefix.length),
          since: upload.Initiated,
          uploadId: upload.UploadId,
        };
      }
      if (!page.IsTruncated) return;
      KeyMarker = page.NextKeyMarker;
      UploadIdMarker = page.NextUploadIdMarker;
    }
  }

  /** Every object under a prefix, a page (up to 1,000) at a time. */
  private async *listObjects(Prefix: string): AsyncIterable<{ key: string; modifiedAt: Date }> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send('list', () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix, ContinuationToken }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, modifiedAt: object.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /**
   * Stored blobs in key order; a blob's `.reused` marker sorts right after it
   * (`.` comes before every hex digit), so its time is merged in one pass.
   */
  async *stored(): AsyncIterable<StoredBlob> {
    const base = `${this.options.prefix}sha256/`;
    let pending: { sha256: string; modifiedAt: Date } | undefined;
    for await (const object of this.listObjects(base)) {
      const name = object.key.slice(base.length);
      if (SHA256_HEX.test(name)) {
        if (pending) yield pending;
        pending = { sha256: name, modifiedAt: object.modifiedAt };
      } else if (pending && name === `${pending.sha256}${REUSED}` && object.modifiedAt > pending.modifiedAt) {
        pending.modifiedAt = object.modifiedAt;
      }
    }
    if (pending) yield pending;
  }

  /** The later of the bytes' own time and their last reuse; undefined when they are not stored. */
  async modifiedAt(sha256: string): Promise<Date | undefined> {
    const [blob, reused] = await Promise.all([this.head(sha256), this.head(sha256, REUSED)]);
    if (!blob) return undefined;
    const written = blob.LastModified ?? new Date(0);
    return reused?.LastModified && reused.LastModified > written ? reused.LastModified : written;
  }

  async list(): Promise<string[]> {
    const found: string[] = [];
    for await (const blob of this.stored()) found.push(blob.sha256);
    return found.sort();
  }

  async listStaging(): Promise<string[]> {
    const names = new Set<string>();
    for await (const entry of this.stagingEntries()) names.add(entry.name);
    return [...names].sort();
  }
}

/** Passes the first `limit` bytes of a stream and drops the rest. */
async function* atMost(source: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let left = limit;
  for await (const chunk of source) {
    const taken = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= taken.length;
    yield taken;
    if (left <= 0) break;
  }
}

/** A checksum the server sent back for what it received must be the one we sent; no echo is no check. */
function checkEcho(echoed: string | undefined, sent: string, what: string): void {
  if (echoed && echoed !== sent) throw unavailable(`${what}: the server received other bytes`);
}
