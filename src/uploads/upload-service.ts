import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Principal } from '../access/roles';
import type { EvidenceRecord } from '../db/evidence.repository';
import type { UploadRecord, UploadRepository } from '../db/upload.repository';
import { type ErrorCode, LedgerError, NotFoundError, PushbackError, ValidationError } from '../errors';
import { Digester } from '../evidence/digests';
import {
  digestAlgorithms,
  type EvidenceService,
  type IntakeMetadata,
  type ReceivedFile,
} from '../evidence/evidence-service';
import { evidenceView } from '../evidence/evidence-view';
import { faultPoint } from '../faults';
import { codePoints, parseMetadata } from '../http/evidence-upload';
import { unstorableText } from '../http/validation';
import { withIdempotencyClaim } from '../log/idempotency-claim';
import type { LogReader } from '../log/log-reader';
import type { Logger } from '../logger';
import type { BlobStore } from '../storage/blob-store';

/** Where an upload's received bytes are kept until completion (the tus data store). */
export interface UploadBytes {
  /** Bytes received so far. Throws when there is no file for the upload. */
  offset(id: string): Promise<number>;
  read(id: string): Readable;
  /** Removes the bytes; never throws for bytes already gone. */
  remove(id: string): Promise<void>;
}

export interface UploadSettings {
  readonly maxBytes: number;
  readonly metadataMaxBytes: number;
  readonly maxOpenPerPrincipal: number;
  readonly expiryMs: number;
  readonly completionLeaseMs: number;
}

/** What a client declares when it creates an upload (tus Upload-Metadata, decoded). */
export interface UploadDeclaration {
  readonly caseId: string | null;
  readonly metadata: string | null;
  readonly sha256: string | null;
  readonly filename: string | null;
  readonly filetype: string | null;
}

/** The answer of a committed upload: the same JSON as the multipart upload's 201. */
export interface CommittedUpload {
  readonly evidence: ReturnType<typeof evidenceView>;
  readonly receipt: string;
}

/** What `GET /v1/uploads/:id` shows its creator. */
export interface UploadStatus {
  readonly id: string;
  readonly caseId: string;
  readonly state: UploadRecord['state'];
  readonly offset: number;
  readonly length: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly evidenceId?: string;
  readonly receipt?: string;
  readonly failure?: string;
}

/** Failures of a completion that no retry can change: the upload fails and its bytes are removed. */
const FINAL_FAILURES: ReadonlySet<ErrorCode> = new Set([
  'HASH_MISMATCH',
  'EXHIBIT_NUMBER_TAKEN',
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
]);

/** What a client asked to wait for a completion running elsewhere. */
const COMPLETING_RETRY_SECONDS = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Resumable evidence uploads: who may create and see them, and their
 * completion into an evidence item, exactly once across every process that
 * shares the database. The row's state is the agreement: one process takes
 * it from `receiving` to `completing` (a lease it renews), and the intake
 * carries an idempotency claim on the upload, so that a completion taken over
 * after a crash cannot append a second `evidence.acquired` entry.
 */
export class UploadService {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly uploads: UploadRepository,
    private readonly evidence: EvidenceService,
    private readonly blobs: BlobStore,
    private readonly bytes: UploadBytes,
    private readonly reader: Pick<LogReader, 'entry' | 'receipt'>,
    readonly settings: UploadSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * Checks a creation before anything is stored: the declaration is complete
   * and valid, the case is the caller's (404) and the caller may take in
   * evidence there (403), the exhibit number is free, and the caller has room
   * for another open upload. Then records the upload; its id is returned.
   */
  async create(
    principal: Principal,
    declared: UploadDeclaration,
    length: number | undefined,
  ): Promise<string> {
    const caseId = declared.caseId;
    if (!caseId || !UUID.test(caseId)) throw metadataField('caseId', caseId ? 'format' : 'required');
    if (declared.metadata === null) throw metadataField('metadata', 'required');
    if (Buffer.byteLength(declared.metadata) > this.settings.metadataMaxBytes)
      throw new LedgerError('PAYLOAD_TOO_LARGE', 'The intake metadata exceeds its size limit');
    if (!declared.sha256 || !SHA256.test(declared.sha256))
      throw metadataField('sha256', declared.sha256 ? 'format' : 'required');
    if (length === undefined)
      throw new LedgerError(
        'UPLOAD_INVALID',
        'Upload-Length is required: the length is declared at creation',
      );
    const unstorable = unstorableText({
      filename: declared.filename ?? '',
      mediaType: declared.filetype ?? '',
    });
    if (unstorable.length > 0)
      throw new ValidationError(
        unstorable.map((field) => ({ ...field, pointer: `/Upload-Metadata${field.pointer}` })),
      );
    const metadata = parseMetadata(declared.metadata);
    const sha256 = declared.sha256.toLowerCase();
    if (metadata.sha256 !== undefined && metadata.sha256 !== sha256)
      throw metadataField('sha256', 'differs_from_metadata');
    const target = await this.evidence.authorizeIntake(principal, caseId.toLowerCase());
    if (await this.uploads.exhibitTaken(target.record.id, metadata.exhibitNumber))
      throw new LedgerError('EXHIBIT_NUMBER_TAKEN', 'This case already has an exhibit with this number');
    const id = randomUUID();
    const recorded = await this.uploads.insertWithinLimit(
      {
        id,
        caseId: target.record.id,
        createdBy: principal.sub,
        metadata: JSON.parse(declared.metadata),
        originalFilename: declared.filename ? codePoints(declared.filename, 255) : null,
        mediaType: declared.filetype ? codePoints(declared.filetype, 255) : null,
        declaredSha256: sha256,
        length,
        expiresAt: new Date(Date.now() + this.settings.expiryMs),
      },
      this.settings.maxOpenPerPrincipal,
    );
    if (!recorded)
      throw new LedgerError(
        'UPLOAD_LIMIT_REACHED',
        'You have too many open uploads; finish or delete one first',
      );
    return id;
  }

  /**
   * Forgets a creation that failed after its row was written (its client got no
   * Location, so nobody can continue it): whatever tus stored of it, then the row.
   */
  async abandonCreation(id: string): Promise<void> {
    await this.removeBytes(id);
    await this.uploads.remove(id);
  }

  /**
   * The upload, if `principal` created it and it has not expired; anyone else,
   * and everyone after expiry, gets 404 as for an upload that never existed.
   */
  async owned(principal: Principal, id: string): Promise<UploadRecord> {
    const found = UUID.test(id) ? await this.uploads.find(id.toLowerCase()) : undefined;
    if (!found || found.createdBy !== principal.sub || found.expiresAt.getTime() <= Date.now())
      throw new NotFoundError('upload');
    return found;
  }

  async status(upload: UploadRecord): Promise<UploadStatus> {
    const offset =
      upload.state === 'receiving' ? await this.bytes.offset(upload.id).catch(() => 0) : upload.length;
    return {
      id: upload.id,
      caseId: upload.caseId,
      state: upload.state,
      offset: upload.state === 'failed' ? 0 : offset,
      length: upload.length,
      createdAt: upload.createdAt.toISOString(),
      expiresAt: upload.expiresAt.toISOString(),
      ...(upload.evidenceId ? { evidenceId: upload.evidenceId } : {}),
      ...(upload.receipt ? { receipt: upload.receipt } : {}),
      ...(upload.failure ? { failure: upload.failure } : {}),
    };
  }

  /**
   * Completes the upload once all its bytes are in: from `receiving`, or taking
   * over a `completing` whose lease ran out. A completion running elsewhere is
   * 503 PUSHBACK (retry); a committed upload answers with its item again;
   * a failed one with its failure. `fresh` is true when this call committed it.
   */
  async complete(principal: Principal, id: string): Promise<{ committed: CommittedUpload; fresh: boolean }> {
    const upload = await this.owned(principal, id);
    if (upload.state === 'committed')
      return { committed: await this.committedView(principal, upload), fresh: false };
    if (upload.state === 'failed') throw failureOf(upload);
    if (upload.state === 'receiving') {
      const offset = await this.bytes.offset(upload.id).catch(() => 0);
      if (offset < upload.length)
        throw new LedgerError('UPLOAD_INCOMPLETE', 'Not every byte of the upload has been received yet');
    }
    const taken = await this.uploads.takeForCompletion(upload.id, this.settings.completionLeaseMs);
    if (!taken) {
      const now = await this.owned(principal, id);
      if (now.state === 'committed')
        return { committed: await this.committedView(principal, now), fresh: false };
      if (now.state === 'failed') throw failureOf(now);
      throw new PushbackError(COMPLETING_RETRY_SECONDS, 'The upload is being completed; retry shortly');
    }
    const lease = setInterval(
      () => {
        this.uploads
          .extendLease(taken.id, this.settings.completionLeaseMs)
          .catch((error: unknown) =>
            this.logger.warn({ err: error, upload: taken.id }, 'could not renew a lease'),
          );
      },
      Math.max(250, Math.floor(this.settings.completionLeaseMs / 3)),
    );
    try {
      return await this.completeTaken(principal, taken);
    } finally {
      clearInterval(lease);
    }
  }

  private async completeTaken(
    principal: Principal,
    upload: UploadRecord,
  ): Promise<{ committed: CommittedUpload; fresh: boolean }> {
    let metadata: IntakeMetadata;
    try {
      metadata = parseMetadata(JSON.stringify(upload.metadata));
    } catch (error) {
      await this.fail(upload, error);
      throw error;
    }
    // An earlier completion committed the item and stopped before it could say so.
    const earlier = await this.uploads.committedIntake(upload, metadata.exhibitNumber);
    if (earlier)
      return {
        committed: await this.recordCommitted(principal, upload, earlier.id, earlier.index),
        fresh: false,
      };
    try {
      if ((await this.bytes.offset(upload.id)) !== upload.length)
        throw new LedgerError('UPLOAD_INCOMPLETE', 'Not every byte of the upload has been received yet');
      const target = await this.evidence.authorizeIntake(principal, upload.caseId);
      const received = await this.receive(upload, metadata);
      if (received.digests.sha256 !== upload.declaredSha256) {
        await this.blobs.discard(received.staging);
        throw new LedgerError('HASH_MISMATCH', 'The SHA-256 of the received bytes is not the declared one');
      }
      await faultPoint('upload.before-intake');
      // The claim commits with the `evidence.acquired` entry: a second completion's append is refused.
      const claim = {
        principal: upload.createdBy,
        key: `upload:${upload.id}`,
        fingerprint: Buffer.from(upload.declaredSha256, 'hex'),
      };
      const { value, receipt } = await withIdempotencyClaim(claim, () =>
        this.evidence.intake(principal, target, metadata, received, upload.declaredSha256),
      );
      await faultPoint('upload.after-intake');
      await this.uploads.markCommitted(upload.id, value.id, receipt);
      await this.removeBytes(upload.id);
      this.logger.info(
        { upload: upload.id, evidence: value.id, bytes: value.size },
        'resumable upload committed',
      );
      return { committed: { evidence: evidenceView(value), receipt }, fresh: true };
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'IDEMPOTENCY_KEY_IN_USE') {
        const committed = await this.uploads.committedIntake(upload, metadata.exhibitNumber);
        if (committed)
          return {
            committed: await this.recordCommitted(principal, upload, committed.id, committed.index),
            fresh: false,
          };
      }
      if (error instanceof LedgerError && FINAL_FAILURES.has(error.code)) await this.fail(upload, error);
      else await this.uploads.release(upload.id);
      throw error;
    }
  }

  /** Streams the received file through the digest workers into a staging file of the blob store. */
  private async receive(upload: UploadRecord, metadata: IntakeMetadata): Promise<ReceivedFile> {
    const staging = await this.blobs.stage(upload.length);
    const digester = Digester.create(digestAlgorithms(metadata));
    try {
      for await (const chunk of this.bytes.read(upload.id)) {
        await Promise.all([digester.update(chunk as Buffer), staging.write(chunk as Buffer)]);
      }
      await staging.finish();
      const digests = await digester.finish();
      return {
        staging,
        size: staging.bytesWritten,
        digests: { ...digests, sha512: digests.sha512 as string },
        originalFilename: upload.originalFilename,
        mediaType: upload.mediaType,
      };
    } catch (error) {
      await digester.destroy();
      await this.blobs.discard(staging);
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC')
        throw new LedgerError('STORAGE_FULL', 'The evidence store has no room for this file', {
          cause: error,
        });
      throw error;
    }
  }

  /**
   * Removes an upload: its bytes, then its row (a completion in progress is
   * left to finish). Bytes that cannot be removed fail the request and keep the
   * row, which alone leads a later removal or the expiry sweep to them.
   */
  async remove(upload: UploadRecord): Promise<void> {
    if (upload.state === 'completing' && upload.leaseUntil && upload.leaseUntil.getTime() > Date.now())
      throw new PushbackError(COMPLETING_RETRY_SECONDS, 'The upload is being completed; retry shortly');
    await this.bytes.remove(upload.id);
    await this.uploads.remove(upload.id);
  }

  /** The committed item as its creator may see it now, with the receipt of its intake. */
  async committedView(principal: Principal, upload: UploadRecord): Promise<CommittedUpload> {
    const { item } = await this.evidence.get(principal, upload.evidenceId as string);
    return { evidence: evidenceView(item), receipt: upload.receipt as string };
  }

  /**
   * Removes uploads past their expiry, their bytes first; returns how many.
   * Committed and failed rows go too: their answers were there to be fetched until then.
   */
  async sweepExpired(batch = 100): Promise<number> {
    let removed = 0;
    for (;;) {
      const expired = await this.uploads.expired(batch);
      let removedNow = 0;
      for (const upload of expired) {
        try {
          await this.bytes.remove(upload.id);
        } catch (error) {
          // The row stays, so that the next sweep finds the bytes again.
          this.logger.warn(
            { err: error, upload: upload.id },
            'could not remove the bytes of an expired upload',
          );
          continue;
        }
        removedNow += await this.uploads.remove(upload.id);
      }
      removed += removedNow;
      // A full batch none of whose bytes could go would come back as it is: the next sweep tries again.
      if (expired.length < batch || removedNow === 0) return removed;
    }
  }

  /** Sweeps expired uploads every `intervalMs` (every process may: removals are idempotent). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweepExpired()
        .then((removed) => {
          if (removed > 0) this.logger.info({ removed }, 'expired uploads removed');
        })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not remove expired uploads'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async recordCommitted(
    principal: Principal,
    upload: UploadRecord,
    evidenceId: string,
    index: number,
  ): Promise<CommittedUpload> {
    const receipt = await this.reader.receipt(await this.reader.entry(index));
    await this.uploads.markCommitted(upload.id, evidenceId, receipt);
    await this.removeBytes(upload.id);
    const { item } = await this.evidence.get(principal, evidenceId);
    return { evidence: evidenceView(item as EvidenceRecord), receipt };
  }

  private async fail(upload: UploadRecord, error: unknown): Promise<void> {
    const code = error instanceof LedgerError ? error.code : 'INTERNAL';
    await this.uploads.markFailed(upload.id, code);
    await this.removeBytes(upload.id);
    this.logger.info({ upload: upload.id, code }, 'resumable upload failed at completion');
  }

  private async removeBytes(id: string): Promise<void> {
    await this.bytes.remove(id).catch((error: unknown) =>
      // Left for the expiry sweep: the row still names them until then.
      this.logger.warn({ err: error, upload: id }, 'could not remove the bytes of an upload'),
    );
  }
}

function metadataField(key: string, reason: string): ValidationError {
  return new ValidationError([{ pointer: `/Upload-Metadata/${key}`, reason }]);
}

/** A failed upload's answer: the failure it met, with its own code. */
export function failureOf(upload: Pick<UploadRecord, 'failure'>): LedgerError {
  const code = (upload.failure ?? 'INTERNAL') as ErrorCode;
  return new LedgerError(code, 'The upload failed at completion; create a new upload');
}
