import { Metadata } from '@tus/server';
import { type Request, type Response, Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { UploadRecord } from '../db/upload.repository';
import { LedgerError, NotFoundError, PushbackError } from '../errors';
import type { Logger } from '../logger';
import { TUS_VERSION, type TusEndpoint, UPLOADS_PATH } from '../uploads/tus-endpoint';
import { type CommittedUpload, failureOf, type UploadService } from '../uploads/upload-service';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';

export interface UploadRouteDependencies {
  readonly authenticate: Authenticator;
  readonly uploads: UploadService;
  readonly tus: TusEndpoint;
  readonly logger: Logger;
  /** PATCHes and completions one process runs at once; beyond it 503 PUSHBACK before a byte of the body is read. */
  readonly maxConcurrent: number;
}

/** What a refused PATCH is told to wait when the process receives too many at once. */
const PATCH_RETRY_SECONDS = 5;

/**
 * Resumable uploads (tus 1.0.0: creation, creation-with-upload, termination): mounted before the
 * JSON body parser, as their bodies are bytes. Every request but OPTIONS (the
 * protocol's discovery, which carries no token and shows no data) needs a
 * token; every request naming an upload is answered only for its creator, as
 * if the upload did not exist for anyone else. Which state an upload is in
 * decides who answers: the tus server while it receives bytes, the upload
 * service once all are in.
 */
export function uploadsRouter(deps: UploadRouteDependencies): Router {
  const router = Router();
  keepObjectParams(router);
  const auth = requireToken(deps.authenticate);
  let running = 0;

  /** Counts a PATCH or a completion until its answer is sent; one beyond the bound is 503 PUSHBACK at once. */
  const admit = (res: Response): void => {
    if (running >= deps.maxConcurrent)
      throw new PushbackError(PATCH_RETRY_SECONDS, 'Too many uploads at once; retry shortly');
    running++;
    res.once('close', () => {
      running--;
    });
  };

  /**
   * Runs the request through the tus server and sends its answer (after
   * `before`, once the tus server succeeded), or throws the service's error for
   * its refusal. An upload whose bytes tus no longer has was completed (or
   * failed) meanwhile by another request: `gone` then answers from its row.
   */
  const tus = async (
    req: Request,
    res: Response,
    options: { authenticated?: boolean; before?: () => Promise<void>; gone?: () => Promise<void> } = {},
  ): Promise<void> => {
    const outcome = await deps.tus.handle(
      req,
      options.authenticated === false ? undefined : principalOf(res),
    );
    if ('error' in outcome) {
      if (outcome.error.code === 'NOT_FOUND' && options.gone) return options.gone();
      res.set('Tus-Resumable', TUS_VERSION);
      throw outcome.error;
    }
    await options.before?.();
    const { response } = outcome;
    res.status(response.status);
    response.headers.forEach((value, name) => {
      res.setHeader(name, value);
    });
    res.end(Buffer.from(await response.arrayBuffer()));
  };

  /** HEAD once every byte is in: a client resuming sees the upload as sent, and asks GET for its item. */
  const headSent = (res: Response, upload: UploadRecord): void => {
    if (upload.state === 'failed') throw failureOf(upload);
    res
      .status(200)
      .set({
        'Tus-Resumable': TUS_VERSION,
        'Upload-Offset': String(upload.length),
        'Upload-Length': String(upload.length),
        'Cache-Control': 'no-store',
      })
      .end();
  };

  /** PATCH once every byte is in (a retried final PATCH): it may only ask for the completion's answer. */
  const patchSent = async (req: Request, res: Response, upload: UploadRecord): Promise<void> => {
    if (upload.state === 'failed') throw failureOf(upload);
    if (req.get('upload-offset') !== String(upload.length))
      throw new LedgerError('UPLOAD_OFFSET_MISMATCH', 'Every byte is in; Upload-Offset is the length');
    const { committed, fresh } = await deps.uploads.complete(principalOf(res), upload.id);
    sendCommitted(res, committed, fresh, upload.length);
  };

  /** The upload's row again, for an answer tus could not give; still receiving means its bytes are lost. */
  const reread = async (res: Response, upload: UploadRecord): Promise<UploadRecord> => {
    const now = await deps.uploads.owned(principalOf(res), upload.id);
    if (now.state === 'receiving') throw new NotFoundError('upload');
    return now;
  };

  router.options(UPLOADS_PATH, (req, res) => tus(req, res, { authenticated: false }));

  router.post(UPLOADS_PATH, auth, (req, res) => {
    // A refusal is recorded against the case the creation named (its metadata, not its path).
    const caseId = declaredCase(req.get('upload-metadata'));
    if (caseId) res.locals.objectParams = { ...res.locals.objectParams, caseId };
    return tus(req, res);
  });

  // Before GET, which Express would otherwise also answer HEAD with.
  router.head(`${UPLOADS_PATH}/:uploadId`, auth, async (req, res) => {
    const upload = await deps.uploads.owned(principalOf(res), String(req.params.uploadId));
    if (upload.state !== 'receiving') return headSent(res, upload);
    await tus(req, res, { gone: async () => headSent(res, await reread(res, upload)) });
  });

  router.get(`${UPLOADS_PATH}/:uploadId`, auth, async (req, res) => {
    const upload = await deps.uploads.owned(principalOf(res), String(req.params.uploadId));
    const status = await deps.uploads.status(upload);
    // It names a case and, once committed, an item and its receipt: a read on the record, as any other.
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({ upload: status });
  });

  router.patch(`${UPLOADS_PATH}/:uploadId`, auth, async (req, res) => {
    const upload = await deps.uploads.owned(principalOf(res), String(req.params.uploadId));
    admit(res);
    if (upload.state !== 'receiving') return patchSent(req, res, upload);
    try {
      await tus(req, res, { gone: async () => patchSent(req, res, await reread(res, upload)) });
    } catch (error) {
      // A client that went away mid-PATCH keeps what arrived; its next HEAD says where to go on.
      if (req.socket.destroyed) {
        req.log.info({ upload: upload.id }, 'upload interrupted by the client');
        return;
      }
      throw error;
    }
  });

  router.delete(`${UPLOADS_PATH}/:uploadId`, auth, async (req, res) => {
    const upload = await deps.uploads.owned(principalOf(res), String(req.params.uploadId));
    const removed = () => deps.uploads.remove(upload);
    if (upload.state === 'receiving') {
      // tus takes the upload's lock (ending a PATCH in flight) and removes its bytes; then the row goes.
      await tus(req, res, { before: removed, gone: removed });
      if (!res.headersSent) res.status(204).set('Tus-Resumable', TUS_VERSION).end();
      return;
    }
    await removed();
    res.status(204).set('Tus-Resumable', TUS_VERSION).end();
  });

  router.post(`${UPLOADS_PATH}/:uploadId/complete`, auth, async (req, res) => {
    // A completion reads and hashes the whole file, on digest worker threads: it counts as an upload.
    admit(res);
    const { committed, fresh } = await deps.uploads.complete(principalOf(res), String(req.params.uploadId));
    sendCommitted(res, committed, fresh);
  });

  return router;
}

/** The item of a committed upload: 201 when this request committed it, 200 when it was committed before. */
function sendCommitted(res: Response, committed: CommittedUpload, fresh: boolean, length?: number): void {
  if (length !== undefined) res.set({ 'Tus-Resumable': TUS_VERSION, 'Upload-Offset': String(length) });
  res
    .status(fresh ? 201 : 200)
    .location(`/v1/evidence/${committed.evidence.id}`)
    .set('Cache-Control', 'no-store')
    .json(committed);
}

/** The `caseId` an Upload-Metadata header names, if it can be read (the tus server validates it in full). */
function declaredCase(header: string | undefined): string | undefined {
  try {
    return Metadata.parse(header).caseId ?? undefined;
  } catch {
    return undefined;
  }
}
