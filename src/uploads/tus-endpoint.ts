import { AsyncLocalStorage } from 'node:async_hooks';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { ERRORS, Server, type Upload } from '@tus/server';
import type { Request as ExpressRequest } from 'express';
import type { Principal } from '../access/roles';
import { LedgerError, NotFoundError, PushbackError } from '../errors';
import type { PgLocker } from './pg-locker';
import type { UploadBytes, UploadService } from './upload-service';

/** The tus path; uploads live at `/v1/uploads/{id}`. */
export const UPLOADS_PATH = '/v1/uploads';
export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = ['creation', 'creation-with-upload', 'termination'] as const;

/** What a tus hook knows of the request it runs for (the tus server hands hooks a web Request only). */
interface TusRequestContext {
  readonly principal?: Principal;
  /** The upload this request created, so that a creation failing after its row was written leaves nothing. */
  created?: string;
  /** The service's own error behind a refusal, answered as problem+json rather than as tus's text. */
  error?: unknown;
}

/** What the tus server answered, or the error to answer with instead. */
export type TusOutcome = { readonly response: Response } | { readonly error: LedgerError };

/** Reads of the received file at completion: large, so the digests and the copy run at disk speed. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** How long a refused request for a busy upload is told to wait. */
const BUSY_RETRY_SECONDS = 2;

/**
 * The tus protocol server (creation, HEAD, PATCH, DELETE, OPTIONS) over a file
 * store in the upload directory and the PostgreSQL locker, with the hooks that
 * make it the service's: creation goes through UploadService (scope, limits,
 * the row before any byte), and the last byte completes the upload into an
 * evidence item, whose JSON is the final PATCH's answer.
 */
export class TusEndpoint {
  readonly store: FileStore;
  private readonly server: Server;
  private readonly context = new AsyncLocalStorage<TusRequestContext>();

  constructor(
    readonly directory: string,
    locker: PgLocker,
    private readonly uploads: () => UploadService,
    maxBytes: number,
  ) {
    this.store = new FileStore({ directory });
    // What the service offers: the length is declared at creation (the hash is of a known whole), and
    // expiry is the service's own (UPLOAD_EXPIRY_HOURS), not the store's.
    this.store.extensions = [...TUS_EXTENSIONS];
    this.server = new Server({
      path: UPLOADS_PATH,
      datastore: this.store,
      locker,
      maxSize: maxBytes,
      relativeLocation: true,
      // No cross-origin access: browsers get no CORS grant (the API has none either).
      allowedOrigins: [],
      namingFunction: (req, metadata) => this.create(req, metadata),
      onUploadFinish: async (_req, upload) => this.finish(upload),
      onResponseError: (_req, error) => {
        const context = this.context.getStore();
        if (context && context.error === undefined) context.error = error;
        return undefined;
      },
    });
  }

  /** The bytes received so far, as the upload service reads and removes them (ids are the rows' UUIDs). */
  bytes(): UploadBytes {
    const file = (id: string) => path.join(this.directory, id);
    return {
      offset: async (id) => (await this.store.getUpload(id)).offset,
      read: (id) => createReadStream(file(id), { highWaterMark: READ_CHUNK_BYTES }),
      remove: async (id) => {
        // The data file and its tus description; either may be gone already.
        await rm(file(id), { force: true });
        await rm(`${file(id)}.json`, { force: true });
      },
    };
  }

  /**
   * Runs one tus request. A refusal comes back as the service's error (the
   * hooks' own, or the tus status mapped to a code), never as tus's text.
   */
  async handle(req: ExpressRequest, principal: Principal | undefined): Promise<TusOutcome> {
    const context: TusRequestContext = principal ? { principal } : {};
    const response = await this.context.run(context, () => this.server.handleWeb(webRequest(req)));
    if (response.status < 400) return { response };
    await response.body?.cancel();
    if (context.created) await this.uploads().abandonCreation(context.created);
    return { error: refusal(response.status, context.error) };
  }

  /** Creation, before tus stores anything: the upload's row is its id. */
  private async create(req: Request, metadata: Record<string, string | null> | undefined): Promise<string> {
    const context = this.context.getStore();
    if (!context?.principal) throw new NotFoundError('upload');
    const lengthHeader = req.headers.get('upload-length');
    const length = lengthHeader === null ? undefined : Number(lengthHeader);
    if (length !== undefined && length > this.uploads().settings.maxBytes)
      throw hookError(
        context,
        new LedgerError('PAYLOAD_TOO_LARGE', 'Upload-Length exceeds the maximum upload size'),
      );
    const field = (key: string) => metadata?.[key] ?? null;
    try {
      context.created = await this.uploads().create(
        context.principal,
        {
          caseId: field('caseId'),
          metadata: field('metadata'),
          sha256: field('sha256'),
          filename: field('filename'),
          filetype: field('filetype'),
        },
        length,
      );
      return context.created;
    } catch (error) {
      throw hookError(context, error);
    }
  }

  /** The last byte is in: complete the upload; the final PATCH answers with the item (or why not). */
  private async finish(upload: Upload) {
    const context = this.context.getStore();
    if (!context?.principal) throw ERRORS.FILE_NOT_FOUND;
    try {
      const { committed } = await this.uploads().complete(context.principal, upload.id);
      return {
        status_code: 201,
        headers: {
          'Content-Type': 'application/json',
          Location: `/v1/evidence/${committed.evidence.id}`,
          'Cache-Control': 'no-store',
        },
        body: JSON.stringify(committed),
      };
    } catch (error) {
      throw hookError(context, error);
    }
  }
}

/** Remembers the service's error for the answer; tus gets an object it knows how to refuse with. */
function hookError(context: TusRequestContext, error: unknown): unknown {
  context.error = error;
  return { status_code: error instanceof LedgerError ? 400 : 500, body: 'refused\n' };
}

/** A tus refusal as the service's error, with a stable code. */
function refusal(status: number, cause: unknown): LedgerError {
  if (cause instanceof LedgerError) return cause;
  if (cause === ERRORS.ERR_LOCK_TIMEOUT)
    return new PushbackError(BUSY_RETRY_SECONDS, 'Another request is writing this upload; retry shortly');
  switch (status) {
    case 404:
    case 410:
      return new NotFoundError('upload');
    case 409:
      return new LedgerError(
        'UPLOAD_OFFSET_MISMATCH',
        'Upload-Offset is not the offset the server holds; ask HEAD',
      );
    case 412:
      return new LedgerError('TUS_VERSION_UNSUPPORTED', `Send Tus-Resumable: ${TUS_VERSION}`);
    case 413:
      return new LedgerError(
        'PAYLOAD_TOO_LARGE',
        'The upload exceeds its declared length or the maximum size',
      );
    case 501:
      return new LedgerError('UPLOAD_INVALID', `Supported tus extensions: ${TUS_EXTENSIONS.join(', ')}`);
    case 415:
      return new LedgerError(
        'UNSUPPORTED_MEDIA_TYPE',
        'Send PATCH bodies as application/offset+octet-stream',
      );
    default:
      if (status < 500)
        return new LedgerError(
          'UPLOAD_INVALID',
          'The request does not follow the tus protocol (tus.io, 1.0.0)',
        );
      // A failure of our own (the database, the disk) goes to the error handler as it is, to be classified there.
      if (cause instanceof Error) throw cause;
      throw new Error(`tus answered ${status}`, { cause });
  }
}

/** The Express request as the web Request the tus server takes; the body is streamed, never buffered. */
function webRequest(req: ExpressRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding')
      continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const withBody = req.method === 'PATCH' || req.method === 'POST';
  return new Request(new URL(req.originalUrl, 'http://localhost'), {
    method: req.method,
    headers,
    ...(withBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
}
