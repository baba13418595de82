import type { DataSource } from 'typeorm';
import { changedRows } from './log.repository';

export const UPLOAD_STATES = ['receiving', 'completing', 'committed', 'failed'] as const;
export type UploadState = (typeof UPLOAD_STATES)[number];

/** A resumable upload as recorded (see the migration `ResumableUploads`). */
export interface UploadRecord {
  readonly id: string;
  readonly caseId: string;
  readonly createdBy: string;
  /** The intake metadata as the client sent it (validated at creation, parsed again at completion). */
  readonly metadata: unknown;
  readonly originalFilename: string | null;
  readonly mediaType: string | null;
  readonly declaredSha256: string;
  readonly length: number;
  readonly state: UploadState;
  readonly leaseUntil: Date | null;
  readonly evidenceId: string | null;
  /** The receipt of the item's `evidence.acquired` entry, once committed. */
  readonly receipt: string | null;
  readonly failure: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A new upload, before a byte of it is stored. */
export type NewUpload = Pick<
  UploadRecord,
  | 'id'
  | 'caseId'
  | 'createdBy'
  | 'metadata'
  | 'originalFilename'
  | 'mediaType'
  | 'declaredSha256'
  | 'length'
  | 'expiresAt'
>;

interface UploadRow {
  id: string;
  case_id: string;
  created_by: string;
  metadata: unknown;
  original_filename: string | null;
  media_type: string | null;
  declared_sha256: string;
  length: string;
  state: UploadState;
  lease_until: Date | null;
  evidence_id: string | null;
  receipt: string | null;
  failure: string | null;
  created_at: Date;
  expires_at: Date;
}

/** Seed of the advisory lock that serialises one principal's upload creations (the open-upload limit). */
const CREATION_LOCK_SEED = 8878;

/** SQL for `evidence_uploads`: the state every process of a deployment agrees on. */
export class UploadRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Records a new upload unless its creator already has `maxOpen` uploads open
   * (receiving or completing, not expired); returns false then. The count and
   * the insert run under the creator's lock, so concurrent creations in any
   * process cannot pass the limit together.
   */
  async insertWithinLimit(upload: NewUpload, maxOpen: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, $2))', [
        upload.createdBy,
        CREATION_LOCK_SEED,
      ]);
      const [{ open }] = await tx.query(
        `SELECT count(*)::int AS open FROM evidence_uploads
          WHERE created_by = $1 AND state IN ('receiving', 'completing') AND expires_at > now()`,
        [upload.createdBy],
      );
      if (open >= maxOpen) return false;
      await tx.query(
        `INSERT INTO evidence_uploads (id, case_id, created_by, metadata, original_filename, media_type,
                                       declared_sha256, length, state, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'receiving', $9)`,
        [
          upload.id,
          upload.caseId,
          upload.createdBy,
          JSON.stringify(upload.metadata),
          upload.originalFilename,
          upload.mediaType,
          upload.declaredSha256,
          upload.length,
          upload.expiresAt,
        ],
      );
      return true;
    });
  }

  async find(id: string): Promise<UploadRecord | undefined> {
    const rows: UploadRow[] = await this.db.query('SELECT * FROM evidence_uploads WHERE id = $1', [id]);
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Takes the upload for completion: from `receiving`, or from `completing`
   * whose lease ran out (the process completing it stopped). Exactly one
   * caller gets the row; the others get undefined.
   */
  async takeForCompletion(id: string, leaseMs: number): Promise<UploadRecord | undefined> {
    const [rows]: [UploadRow[], number] = await this.db.query(
      `UPDATE evidence_uploads SET state = 'completing', lease_until = now() + $2 * interval '1 millisecond'
        WHERE id = $1 AND (state = 'receiving' OR (state = 'completing' AND lease_until < now()))
        RETURNING *`,
      [id, leaseMs],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Keeps a running completion's lease (hashing hundreds of GB takes longer than one lease). */
  async extendLease(id: string, leaseMs: number): Promise<void> {
    await this.db.query(
      `UPDATE evidence_uploads SET lease_until = now() + $2 * interval '1 millisecond'
        WHERE id = $1 AND state = 'completing'`,
      [id, leaseMs],
    );
  }

  async markCommitted(id: string, evidenceId: string, receipt: string): Promise<void> {
    await this.db.query(
      `UPDATE evidence_uploads SET state = 'committed', evidence_id = $2, receipt = $3, lease_until = NULL
        WHERE id = $1 AND state IN ('completing', 'committed')`,
      [id, evidenceId, receipt],
    );
  }

  /**
   * The item an earlier completion of this upload committed, if any, and the log
   * index of its `evidence.acquired` entry: the exhibit number is unique in its
   * case, so an item with the upload's case, number, creator and SHA-256 is
   * the upload's own (found even after a crash between the commit and the row's update).
   */
  async committedIntake(
    upload: UploadRecord,
    exhibitNumber: string,
  ): Promise<{ id: string; index: number } | undefined> {
    const rows: Array<{ id: string; idx: string }> = await this.db.query(
      `SELECT e.id, l.idx::text AS idx FROM evidence e
         JOIN log_entries l ON l.subject_type = 'evidence' AND l.subject_id = e.id::text AND l.seq = 1
        WHERE e.case_id = $1 AND e.exhibit_number = $2 AND e.created_by = $3 AND e.sha256 = $4`,
      [upload.caseId, exhibitNumber, upload.createdBy, upload.declaredSha256],
    );
    const row = rows[0];
    return row && { id: row.id, index: Number(row.idx) };
  }

  /** Whether the case already has an item with this exhibit number (refused at creation, before any byte). */
  async exhibitTaken(caseId: string, exhibitNumber: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM evidence WHERE case_id = $1 AND exhibit_number = $2', [
      caseId,
      exhibitNumber,
    ]);
    return rows.length > 0;
  }

  async markFailed(id: string, failure: string): Promise<void> {
    await this.db.query(
      `UPDATE evidence_uploads SET state = 'failed', failure = $2, lease_until = NULL
        WHERE id = $1 AND state = 'completing'`,
      [id, failure],
    );
  }

  /** Gives a completion that stopped on a passing failure back to `receiving`, so a retry may take it. */
  async release(id: string): Promise<void> {
    await this.db.query(
      `UPDATE evidence_uploads SET state = 'receiving', lease_until = NULL WHERE id = $1 AND state = 'completing'`,
      [id],
    );
  }

  async remove(id: string): Promise<number> {
    return changedRows(this.db, 'DELETE FROM evidence_uploads WHERE id = $1', [id]);
  }

  /** Uploads past their expiry that no completion holds (their files and rows are removed). */
  async expired(limit: number): Promise<UploadRecord[]> {
    const rows: UploadRow[] = await this.db.query(
      `SELECT * FROM evidence_uploads
        WHERE expires_at < now() AND (state <> 'completing' OR lease_until < now())
        ORDER BY expires_at LIMIT $1`,
      [limit],
    );
    return rows.map(toRecord);
  }

  /** Completions whose lease ran out: their process stopped; the sweep finishes them. */
  async stuck(limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM evidence_uploads WHERE state = 'completing' AND lease_until < now() AND expires_at > now()
        ORDER BY lease_until LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  }
}

function toRecord(row: UploadRow): UploadRecord {
  return {
    id: row.id,
    caseId: row.case_id,
    createdBy: row.created_by,
    metadata: row.metadata,
    originalFilename: row.original_filename,
    mediaType: row.media_type,
    declaredSha256: row.declared_sha256,
    length: Number(row.length),
    state: row.state,
    leaseUntil: row.lease_until,
    evidenceId: row.evidence_id,
    receipt: row.receipt,
    failure: row.failure,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
