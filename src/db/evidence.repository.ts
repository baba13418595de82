import type { DataSource, EntityManager } from 'typeorm';
import type { CaseStanding } from '../access/permissions';
import type { Role } from '../access/roles';
import { type Requester, standingIn } from '../access/scope';
import type { CustodyState, CustodyStatus, Party } from '../evidence/custody';
import { MEMBER_STANDING, memberParams } from './case.repository';
import type { Queryable } from './log.repository';
import { violatedUniqueConstraint } from './pg-errors';
import { preparedQuery } from './prepared';

/** An evidence item as stored: metadata, digests of the stored bytes, custody state. */
export interface EvidenceRecord {
  readonly id: string;
  readonly caseId: string;
  readonly exhibitNumber: string;
  readonly description: string;
  readonly source: string;
  readonly acquiredAt: Date;
  readonly acquiredBy: string;
  readonly acquisitionTool: string | null;
  readonly location: string | null;
  readonly sealNumber: string | null;
  readonly originalFilename: string | null;
  readonly mediaType: string | null;
  readonly size: number;
  readonly sha256: string;
  readonly sha512: string;
  readonly md5: string | null;
  readonly sha1: string | null;
  /** What the acquisition tool recorded (e.g. an E01's MD5 of the source media): another fact than our digests. */
  readonly acquisitionHash: { readonly alg: string; readonly value: string } | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly custody: CustodyState;
}

/** (case, exhibit number) is taken; the service turns it into a conflict. */
export class DuplicateExhibitError extends Error {}

export class EvidenceRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Inserts items in the log batch that records their acquisition. Takes a
   * transaction-scoped advisory lock per content address first, so that the
   * clean-up of a failed upload cannot delete bytes that this batch references.
   */
  async insertAll(tx: EntityManager, records: readonly EvidenceRecord[]): Promise<void> {
    await lockBlobs(
      tx,
      records.map((r) => r.sha256),
    );
    const column = <T>(pick: (r: EvidenceRecord) => T) => records.map(pick);
    try {
      await tx.query(
        `INSERT INTO evidence (id, case_id, exhibit_number, description, source, acquired_at, acquired_by,
                               acquisition_tool, location, seal_number, original_filename, media_type, size,
                               sha256, sha512, md5, sha1, acquisition_hash, created_by, created_at,
                               status, holder_agency, holder_sub, sealed)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                              $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                              $13::bigint[], $14::text[], $15::text[], $16::text[], $17::text[], $18::jsonb[],
                              $19::text[], $20::timestamptz[], $21::text[], $22::text[], $23::text[], $24::boolean[])`,
        [
          column((r) => r.id),
          column((r) => r.caseId),
          column((r) => r.exhibitNumber),
          column((r) => r.description),
          column((r) => r.source),
          column((r) => r.acquiredAt),
          column((r) => r.acquiredBy),
          column((r) => r.acquisitionTool),
          column((r) => r.location),
          column((r) => r.sealNumber),
          column((r) => r.originalFilename),
          column((r) => r.mediaType),
          column((r) => r.size),
          column((r) => r.sha256),
          column((r) => r.sha512),
          column((r) => r.md5),
          column((r) => r.sha1),
          column((r) => (r.acquisitionHash ? JSON.stringify(r.acquisitionHash) : null)),
          column((r) => r.createdBy),
          column((r) => r.createdAt),
          column((r) => r.custody.status),
          column((r) => r.custody.holder.agency),
          column((r) => r.custody.holder.sub),
          column((r) => r.custody.sealed),
        ],
      );
    } catch (error) {
      if (violatedUniqueConstraint(error) !== undefined) {
        throw new DuplicateExhibitError();
      }
      throw error;
    }
  }

  /**
   * The item and the requester's standing in its case, in one statement: the
   * same work whether or not the requester may see it (no timing oracle).
   * The standing is undefined when the requester is no member (nor auditor).
   */
  async findWithStanding(
    id: string,
    requester: Requester,
  ): Promise<{ item: EvidenceRecord; standing: CaseStanding | undefined } | undefined> {
    const rows = await preparedQuery<
      Row & { case_agency: string; member_roles: Role[]; lead: boolean; content: boolean }
    >(
      this.db,
      'evidence-with-standing',
      `SELECT e.*, c.agency_code AS case_agency, s.member_roles, s.lead, s.content
         FROM (${SELECT} WHERE id = $4) e
         JOIN cases c ON c.id = e.case_id
         CROSS JOIN LATERAL ${MEMBER_STANDING} s`,
      [...memberParams(requester), id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      item: toRecord(row),
      standing: standingIn(requester, row.case_agency, {
        roles: row.member_roles,
        lead: row.lead,
        content: row.content,
      }),
    };
  }

  /** A page of a case's items, newest first, after `after` if given (keyset: created_at, id). */
  async listOfCase(
    caseId: string,
    limit: number,
    after?: { readonly createdAt: Date; readonly id: string },
  ): Promise<EvidenceRecord[]> {
    const rows = await this.db.query(
      `${SELECT} WHERE case_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [caseId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows.map(toRecord);
  }

  /**
   * A page of the items in transit to (`receiving`) or from (`sending`) the
   * requester's side, latest transfer first, each with when it was sent and
   * the requester's standing in its case. A side is named by its subject, or
   * as a whole agency to that agency's custodians (see `custodyStanding`);
   * the sender's list holds only items of cases it is a member of (or oversees).
   */
  async inTransit(
    requester: Requester,
    side: 'receiving' | 'sending',
    limit: number,
    after?: { readonly createdAt: Date; readonly id: string },
  ): Promise<Array<{ item: EvidenceRecord; transferredAt: Date; standing: CaseStanding | undefined }>> {
    const party =
      side === 'receiving'
        ? `e.transfer_to ->> 'agency' = $1
           AND (e.transfer_to ->> 'sub' = $2 OR (e.transfer_to ->> 'sub' IS NULL AND 'custodian' = ANY($3)))`
        : `e.holder_agency = $1 AND (e.holder_sub = $2 OR (e.holder_sub IS NULL AND 'custodian' = ANY($3)))
           AND (cardinality(s.member_roles) > 0 OR ('auditor' = ANY($3) AND c.agency_code = $1))`;
    const rows = await this.db.query(
      `SELECT * FROM (
         SELECT e.*, c.agency_code AS case_agency, s.member_roles, s.lead, s.content,
                (SELECT max(l.at) FROM log_entries l
                  WHERE l.subject_type = 'evidence' AND l.subject_id = e.id::text
                    AND l.entry_type = 'custody.transferred') AS transferred_at
           FROM (${SELECT} WHERE status = 'in_transit') e
           JOIN cases c ON c.id = e.case_id
           CROSS JOIN LATERAL ${MEMBER_STANDING} s
          WHERE ${party}) t
        WHERE ($4::timestamptz IS NULL OR (t.transferred_at, t.id) < ($4, $5::uuid))
        ORDER BY t.transferred_at DESC, t.id DESC
        LIMIT $6`,
      [...memberParams(requester), after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows.map(
      (
        row: Row & {
          case_agency: string;
          member_roles: Role[];
          lead: boolean;
          content: boolean;
          transferred_at: Date;
        },
      ) => ({
        item: toRecord(row),
        transferredAt: row.transferred_at,
        standing: standingIn(requester, row.case_agency, {
          roles: row.member_roles,
          lead: row.lead,
          content: row.content,
        }),
      }),
    );
  }

  async find(id: string, q: Queryable = this.db): Promise<EvidenceRecord | undefined> {
    const rows = await q.query(`${SELECT} WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** The item's row locked for the rest of the transaction, so custody events on it apply one at a time. */
  async lockCustody(tx: EntityManager, id: string): Promise<EvidenceRecord | undefined> {
    const rows = await tx.query(`${SELECT} WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async saveCustody(tx: EntityManager, id: string, state: CustodyState): Promise<void> {
    await tx.query(
      `UPDATE evidence SET status = $2, holder_agency = $3, holder_sub = $4, transfer_to = $5, sealed = $6,
              seal_number = $7, on_hold = $8 WHERE id = $1`,
      [
        id,
        state.status,
        state.holder.agency,
        state.holder.sub,
        state.transferTo ? JSON.stringify(state.transferTo) : null,
        state.sealed,
        state.sealNumber,
        state.onHold,
      ],
    );
  }

  /** Whether any item references these bytes. */
  async referencesBlob(q: Queryable, sha256: string): Promise<boolean> {
    const rows = await q.query('SELECT 1 FROM evidence WHERE sha256 = $1 LIMIT 1', [sha256]);
    return rows.length > 0;
  }

  /** Runs `body` holding the content address's advisory lock (see `insertAll`). */
  async withBlobLock<T>(sha256: string, body: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await lockBlobs(tx, [sha256]);
      return body(tx);
    });
  }

  async idsAfter(after: string | null, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      'SELECT id FROM evidence WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2',
      [after, limit],
    );
    return rows.map((row) => row.id);
  }
}

async function lockBlobs(tx: Queryable, hashes: readonly string[]): Promise<void> {
  const distinct = [...new Set(hashes)].sort();
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(h, 6962)) FROM unnest($1::text[]) AS h', [
    distinct,
  ]);
}

const SELECT = `SELECT id, case_id, exhibit_number, description, source, acquired_at, acquired_by, acquisition_tool,
  location, seal_number, original_filename, media_type, size, sha256, sha512, md5, sha1, acquisition_hash,
  created_by, created_at, status, holder_agency, holder_sub, transfer_to, sealed, on_hold FROM evidence`;

interface Row {
  id: string;
  case_id: string;
  exhibit_number: string;
  description: string;
  source: string;
  acquired_at: Date;
  acquired_by: string;
  acquisition_tool: string | null;
  location: string | null;
  seal_number: string | null;
  original_filename: string | null;
  media_type: string | null;
  size: string;
  sha256: string;
  sha512: string;
  md5: string | null;
  sha1: string | null;
  acquisition_hash: { alg: string; value: string } | null;
  created_by: string;
  created_at: Date;
  status: CustodyStatus;
  holder_agency: string;
  holder_sub: string | null;
  transfer_to: Party | null;
  sealed: boolean;
  on_hold: boolean;
}

function toRecord(row: Row): EvidenceRecord {
  return {
    id: row.id,
    caseId: row.case_id,
    exhibitNumber: row.exhibit_number,
    description: row.description,
    source: row.source,
    acquiredAt: row.acquired_at,
    acquiredBy: row.acquired_by,
    acquisitionTool: row.acquisition_tool,
    location: row.location,
    sealNumber: row.seal_number,
    originalFilename: row.original_filename,
    mediaType: row.media_type,
    size: Number(row.size),
    sha256: row.sha256,
    sha512: row.sha512,
    md5: row.md5,
    sha1: row.sha1,
    acquisitionHash: row.acquisition_hash,
    createdBy: row.created_by,
    createdAt: row.created_at,
    custody: {
      status: row.status,
      holder: { agency: row.holder_agency, sub: row.holder_sub },
      transferTo: row.transfer_to,
      sealed: row.sealed,
      sealNumber: row.seal_number,
      onHold: row.on_hold,
    },
  };
}
