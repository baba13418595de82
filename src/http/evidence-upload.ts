import type { Readable } from 'node:stream';
import type { Request, RequestHandler } from 'express';
import multer, { type StorageEngine } from 'multer';
import { isTransientDependencyFailure } from '../db/pg-errors';
import { DependencyUnavailableError, LedgerError, PushbackError, ValidationError } from '../errors';
import { Digester } from '../evidence/digests';
import type { IntakeMetadata, ReceivedFile } from '../evidence/evidence-service';
import { digestAlgorithms } from '../evidence/evidence-service';
import type { Logger } from '../logger';
import type { BlobStore } from '../storage/blob-store';
import { evidenceMetadata } from './schemas';
import { parseBody, unstorableText } from './validation';

/** Limits of evidence uploads (config.ts documents each). */
export interface UploadLimits {
  readonly maxBytes: number;
  readonly metadataMaxBytes: number;
  /** Uploads received at once by this process; beyond it 503 PUSHBACK before a byte of the body is read. */
  readonly maxConcurrent?: number;
}

/** What a refused upload is told to wait: uploads take a while, a slot rarely frees at once. */
const UPLOAD_RETRY_SECONDS = 5;

/** What the storage engine leaves on `req.file` once the file part is in. */
export interface UploadedEvidence {
  readonly metadata: IntakeMetadata;
  readonly received: ReceivedFile;
}

/**
 * A multer storage engine that never holds the file in memory: each chunk goes
 * to a staging file in the blob store while the digests are computed beside it
 * (SHA-256 here, the others on worker threads). The `metadata` part must come
 * first and is validated before a byte of the file is read.
 */
class EvidenceStorage implements StorageEngine {
  constructor(private readonly blobs: BlobStore) {}

  _handleFile(
    req: Request,
    file: Express.Multer.File,
    callback: (error?: unknown, info?: object) => void,
  ): void {
    this.receive(req, file).then(
      (uploaded) => callback(null, { size: uploaded.received.size, uploaded }),
      (error: unknown) => callback(error),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const uploaded = (file as Express.Multer.File & { uploaded?: UploadedEvidence }).uploaded;
    if (!uploaded) {
      callback(null);
      return;
    }
    this.blobs.discard(uploaded.received.staging).then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  private async receive(req: Request, file: Express.Multer.File): Promise<UploadedEvidence> {
    if (file.fieldname !== 'file')
      throw new LedgerError('UPLOAD_INVALID', 'The file part must be named "file"');
    const raw = (req.body as Record<string, unknown> | undefined)?.metadata;
    if (typeof raw !== 'string') {
      throw new LedgerError('UPLOAD_INVALID', 'The "metadata" part must come before the "file" part');
    }
    const metadata = parseMetadata(raw);
    const unstorable = unstorableText({ filename: file.originalname ?? '', mediaType: file.mimetype ?? '' });
    if (unstorable.length > 0) {
      throw new ValidationError(unstorable.map((field) => ({ ...field, pointer: `/file${field.pointer}` })));
    }
    // The request's length bounds the file's (a chunked request has none).
    const declared = Number(req.get('content-length'));
    const staging = await this.blobs.stage(
      Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined,
    );
    const digester = Digester.create(digestAlgorithms(metadata), {
      maxPendingBytesPerWorker: 8 * 1024 * 1024,
    });
    try {
      await consume(file.stream, (chunk) => Promise.all([digester.update(chunk), staging.write(chunk)]));
      await staging.finish();
      const digests = await digester.finish();
      return {
        metadata,
        received: {
          staging,
          size: staging.bytesWritten,
          digests: { ...digests, sha512: digests.sha512 as string },
          originalFilename: file.originalname ? codePoints(file.originalname, 255) : null,
          mediaType: file.mimetype ? codePoints(file.mimetype, 255) : null,
        },
      };
    } catch (error) {
      await digester.destroy();
      await this.blobs.discard(staging);
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new LedgerError('STORAGE_FULL', 'The evidence store has no room for this file', {
          cause: error,
        });
      }
      throw error;
    }
  }
}

/**
 * Feeds each chunk to `handle`, one at a time, reading ahead while it works
 * (what `for await` does). On a failure the stream is left alone rather than
 * destroyed: destroying it would make multer report a premature close instead
 * of the real failure (a full disk, say); multer drains the request itself.
 *
 * An aborted request (reset, truncated, dropped for idleness) destroys the
 * stream, with or without an error and possibly before this starts listening:
 * a stream that is destroyed, or closes, before its end is a failure too.
 * Without that the upload would wait forever, holding its staging file and
 * its digest workers.
 */
async function consume(stream: Readable, handle: (chunk: Buffer) => Promise<unknown>): Promise<void> {
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = () => wake?.();
  const onEnd = () => {
    ended = true;
    signal();
  };
  const onError = (error: unknown) => {
    failure ??= error;
    signal();
  };
  const onClose = () => {
    if (!ended) failure ??= stream.errored ?? new UploadAbortedError();
    signal();
  };
  stream.on('readable', signal);
  stream.once('end', onEnd);
  stream.once('error', onError);
  stream.once('close', onClose);
  try {
    for (;;) {
      if (failure) throw failure;
      if (stream.destroyed && !stream.readableEnded) throw stream.errored ?? new UploadAbortedError();
      const chunk: Buffer | null = stream.read();
      if (chunk !== null) {
        await handle(chunk);
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    stream.removeListener('readable', signal);
    stream.removeListener('end', onEnd);
    stream.removeListener('error', onError);
    stream.removeListener('close', onClose);
  }
}

/** The file part's stream was destroyed before its end without an error of its own (the request was aborted). */
class UploadAbortedError extends Error {
  constructor() {
    super('the upload ended before its file part did');
    this.name = new.target.name;
  }
}

/** The first `max` characters, never half a surrogate pair (which could not be stored). */
export function codePoints(text: string, max: number): string {
  return Array.from(text).slice(0, max).join('');
}

/** The intake metadata JSON of an upload (multipart or resumable), validated and normalised. */
export function parseMetadata(raw: string): IntakeMetadata {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new LedgerError('MALFORMED_JSON', 'The metadata part is not valid JSON');
  }
  const parsed = parseBody(evidenceMetadata, json);
  return {
    ...parsed,
    acquiredAt: new Date(parsed.acquiredAt),
    sha256: parsed.sha256?.toLowerCase(),
    acquisitionHash: parsed.acquisitionHash && {
      alg: parsed.acquisitionHash.alg,
      value: parsed.acquisitionHash.value.toLowerCase(),
    },
  };
}

/** Why an upload failed, as our codes: sizes are 413, a failing evidence store 503, anything else malformed 400. */
export function uploadError(error: unknown, logger: Logger): unknown {
  if (error instanceof LedgerError) return error;
  if (error instanceof multer.MulterError) {
    return error.code === 'LIMIT_FILE_SIZE' || error.code === 'LIMIT_FIELD_VALUE'
      ? new LedgerError('PAYLOAD_TOO_LARGE', 'A part of the upload exceeds its size limit')
      : new LedgerError('UPLOAD_INVALID', 'The multipart body does not have the expected parts');
  }
  // The evidence volume failing (EIO, EROFS) is the store's fault, not the body's: 503, to be retried.
  if (isTransientDependencyFailure(error)) {
    logger.warn({ err: error }, 'evidence store failed during an upload');
    return new DependencyUnavailableError(5, { cause: error });
  }
  logger.info({ err: error }, 'upload stream failed');
  return new LedgerError('UPLOAD_INVALID', 'The upload could not be read to its end');
}

/**
 * The multipart parser for evidence uploads: one `metadata` field, one `file`,
 * optionally a trailing `sha256` field; anything else is refused. At most
 * `limits.maxConcurrent` uploads are received at once: each holds a staging
 * file, digest worker threads and their buffers (about 7 MB) until its answer
 * is sent or its connection is gone, and one more beyond the bound is refused
 * with 503 PUSHBACK and Retry-After before its body is read.
 */
export function evidenceUpload(blobs: BlobStore, limits: UploadLimits, logger: Logger): RequestHandler {
  const parse = multer({
    storage: new EvidenceStorage(blobs),
    limits: { fileSize: limits.maxBytes, fieldSize: limits.metadataMaxBytes, fields: 2, files: 1, parts: 3 },
    // Large stream buffers: fewer, bigger chunks through the parser, the digests and the disk.
    highWaterMark: 512 * 1024,
    fileHwm: 512 * 1024,
    // Browsers and curl send a file's name as UTF-8 (RFC 7578 §4.2; the WHATWG form encoding): "şəkil"
    // read as Latin-1 would be stored garbled.
    defParamCharset: 'utf8',
  } as multer.Options).single('file');
  const maxConcurrent = limits.maxConcurrent ?? Number.POSITIVE_INFINITY;
  let receiving = 0;
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) {
      next(new LedgerError('UNSUPPORTED_MEDIA_TYPE', 'Send evidence as multipart/form-data'));
      return;
    }
    if (receiving >= maxConcurrent) {
      next(new PushbackError(UPLOAD_RETRY_SECONDS, 'Too many uploads at once; retry shortly'));
      return;
    }
    receiving++;
    // 'close' comes once the answer is sent or the connection is gone, whichever way the upload ended.
    res.once('close', () => {
      receiving--;
    });
    parse(req, res, (error?: unknown) => next(error === undefined ? undefined : uploadError(error, logger)));
  };
}

/** The upload the storage engine finished, if any. */
export function uploadedEvidence(req: Request): UploadedEvidence | undefined {
  return (req.file as (Express.Multer.File & { uploaded?: UploadedEvidence }) | undefined)?.uploaded;
}
