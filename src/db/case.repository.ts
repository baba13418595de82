import type { DataSource, EntityManager } from 'typeorm';
import type { CaseStanding } from '../access/permissions';
import type { Role } from '../access/roles';
import { type Requester, standingIn } from '../access/scope';
import type { DomainWriter } from '../log/domain-write';
import { CaseEntity } from './entities/case.entity';
import { changedRows } from './log.repository';
import { violatedUniqueConstraint } from './pg-errors';
import { preparedQuery } from './prepared';

export interface CaseRecord {
  readonly id: string;
  readonly agency: string;
  readonly reference: string;
  readonly title: string;
  readonly legalBasis: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
}

/** A membership of one case: a subject of an agency, or a whole agency, in one role. */
export interface GrantRecord {
  readonly id: string;
  readonly caseId: string;
  readonly agency: string;
  /** Null: every principal of `agency` holding `role`. */
  readonly sub: string | null;
  readonly role: Role;
  readonly until: Date | null;
  /** The opener of the case: the member who leads it. */
  readonly lead: boolean;
  /** Whether this membership opens the exhibits' bytes. */
  readonly content: boolean;
  /** Set when the member opened the case itself by break-glass, with this reason. */
  readonly breakGlassReason: string | null;
  readonly grantedBy: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/** A case as one caller sees it: the case and where the caller stands in it. */
export interface AccessibleCase {
  readonly record: CaseRecord;
  readonly standing: CaseStanding;
}

/** Keyset position in the listing order (newest first). */
export interface CasePosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** Thrown when (agency, reference) is taken; the service turns it into a conflict. */
export class DuplicateReferenceError extends Error {}

/** Thrown when a grant was revoked by someone else first. */
export class GrantAlreadyRevokedError extends Error {}

export class CaseRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts cases within the log batch that records their opening: one statement for all. */
  readonly caseWriter: DomainWriter<CaseRecord> = {
    writeAll: async (tx, records) => {
      try {
        await tx.query(
          `INSERT INTO cases (id, agency_code, reference, title, legal_basis, created_by, created_at)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])`,
          [
            records.map((r) => r.id),
            records.map((r) => r.agency),
            records.map((r) => r.reference),
            records.map((r) => r.title),
            records.map((r) => r.legalBasis),
            records.map((r) => r.createdBy),
            records.map((r) => r.createdAt),
          ],
        );
      } catch (error) {
        if (violatedUniqueConstraint(error) !== undefined) {
          throw new DuplicateReferenceError();
        }
        throw error;
      }
    },
  };

  /** Inserts grants within their log batch; grantee agencies never seen before are recorded first. */
  readonly grantWriter: DomainWriter<GrantRecord> = {
    writeAll: (tx, grants) => this.insertGrants(tx, grants),
  };

  /** Revokes grants within the log batch that records it; a grant already revoked is a conflict. */
  readonly revocationWriter: DomainWriter<{ id: string; by: string; at: Date }> = {
    writeAll: async (tx, revocations) => {
      for (const revocation of revocations) {
        const changed = await changedRows(
          tx,
          'UPDATE case_grants SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL',
          [revocation.id, revocation.at, revocation.by],
        );
        if (changed === 0) throw new GrantAlreadyRevokedError();
      }
    },
  };

  async insertGrants(tx: EntityManager, grants: readonly GrantRecord[]): Promise<void> {
    const agencies = [...new Set(grants.map((g) => g.agency))];
    await tx.query('INSERT INTO agencies (code) SELECT unnest($1::text[]) ON CONFLICT (code) DO NOTHING', [
      agencies,
    ]);
    await tx.query(
      `INSERT INTO case_grants (id, case_id, grantee_agency, grantee_sub, role, until, lead, content, granted_by,
                                created_at, break_glass_reason)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                            $7::boolean[], $8::boolean[], $9::text[], $10::timestamptz[], $11::text[])`,
      [
        grants.map((g) => g.id),
        grants.map((g) => g.caseId),
        grants.map((g) => g.agency),
        grants.map((g) => g.sub),
        grants.map((g) => g.role),
        grants.map((g) => g.until),
        grants.map((g) => g.lead),
        grants.map((g) => g.content),
        grants.map((g) => g.grantedBy),
        grants.map((g) => g.createdAt),
        grants.map((g) => g.breakGlassReason),
      ],
    );
  }

  /** A case by id if `agency` owns it: where break-glass may open it, whoever its members are. */
  async findOwnedBy(id: string, agency: string): Promise<CaseRecord | undefined> {
    const found = await this.find(id);
    return found?.agency === agency ? found : undefined;
  }

  /** The lead membership of a case (the member told of a break-glass). */
  async leadOf(caseId: string): Promise<GrantRecord | undefined> {
    const rows = await this.db.query(`${GRANT_SELECT} WHERE case_id = $1 AND lead AND revoked_at IS NULL`, [
      caseId,
    ]);
    return rows[0] ? toGrant(rows[0]) : undefined;
  }

  /** Every break-glass opening of a case, oldest first: shown in every report of the case. */
  async breakGlassOf(caseId: string): Promise<GrantRecord[]> {
    const rows = await this.db.query(
      `${GRANT_SELECT} WHERE case_id = $1 AND break_glass_reason IS NOT NULL ORDER BY created_at, id`,
      [caseId],
    );
    return rows.map(toGrant);
  }

  /** A grant of the case by id (revoked ones too), for revocation. */
  async findGrant(caseId: string, grantId: string): Promise<GrantRecord | undefined> {
    const rows = await this.db.query(`${GRANT_SELECT} WHERE case_id = $1 AND id = $2`, [caseId, grantId]);
    return rows[0] ? toGrant(rows[0]) : undefined;
  }

  /** A case by id with no scope check: for documents about items already shown to the caller (reports). */
  async find(id: string): Promise<CaseRecord | undefined> {
    const row = await this.db.getRepository(CaseEntity).findOneBy({ id });
    return row ? fromEntity(row) : undefined;
  }

  /**
   * The case and the caller's standing in it, decided in the same query that
   * finds it: undefined when it does not exist or is out of scope, alike.
   */
  async findAccessible(id: string, requester: Requester): Promise<AccessibleCase | undefined> {
    const rows = await preparedQuery<AccessibleRow>(
      this.db,
      'case-accessible',
      `${ACCESSIBLE} WHERE c.id = $4`,
      [...memberParams(requester), id],
    );
    return rows.map((row: AccessibleRow) => accessible(row, requester)).find(Boolean);
  }

  /** The case of a disclosure and the caller's standing in it, in one query (see `findAccessible`). */
  async findAccessibleOfDisclosure(
    disclosureId: string,
    requester: Requester,
  ): Promise<AccessibleCase | undefined> {
    const rows = await this.db.query(
      `${ACCESSIBLE} WHERE c.id = (SELECT case_id FROM disclosures WHERE id = $4)`,
      [...memberParams(requester), disclosureId],
    );
    return rows.map((row: AccessibleRow) => accessible(row, requester)).find(Boolean);
  }

  /**
   * A page of the cases the caller is a member of (or oversees), newest first,
   * after `after` if given; with `search`, only those whose reference or title
   * contains it, ignoring case, every character taken literally.
   */
  async listAccessible(
    requester: Requester,
    limit: number,
    after?: CasePosition,
    search?: string,
  ): Promise<AccessibleCase[]> {
    const rows = await this.db.query(
      `${ACCESSIBLE}
        WHERE ($4::timestamptz IS NULL OR (c.created_at, c.id) < ($4, $5::uuid))
          AND (cardinality(s.member_roles) > 0 OR ('auditor' = ANY($3) AND c.agency_code = $1))
          AND ($7::text IS NULL OR c.reference ILIKE $7 ESCAPE '\\' OR c.title ILIKE $7 ESCAPE '\\')
        ORDER BY c.created_at DESC, c.id DESC
        LIMIT $6`,
      [
        ...memberParams(requester),
        after?.createdAt ?? null,
        after?.id ?? null,
        limit,
        search === undefined ? null : `%${search.replace(/[\\%_]/g, '\\$&')}%`,
      ],
    );
    return rows.flatMap((row: AccessibleRow) => accessible(row, requester) ?? []);
  }
}

/** A grant that makes the requester ($1 agency, $2 sub, $3 roles) a member of case `c` now. */
const MEMBER_GRANT = `g.case_id = c.id AND g.revoked_at IS NULL AND (g.until IS NULL OR g.until > now())
  AND g.grantee_agency = $1 AND (g.grantee_sub IS NULL OR g.grantee_sub = $2) AND g.role = ANY($3)`;

/**
 * The requester's grants in case `c`, aggregated (roles, lead, content), for
 * queries that find another object and its case's standing in one statement.
 */
export const MEMBER_STANDING = `(SELECT coalesce(array_agg(DISTINCT g.role), '{}') AS member_roles,
    coalesce(bool_or(g.lead), false) AS lead, coalesce(bool_or(g.content), false) AS content
    FROM case_grants g WHERE ${MEMBER_GRANT})`;

/** A case with the requester's standing in it (aggregated over its grants; no grant: empty roles). */
const ACCESSIBLE = `SELECT c.id, c.agency_code, c.reference, c.title, c.legal_basis, c.created_by, c.created_at,
    s.member_roles, s.lead, s.content
  FROM cases c CROSS JOIN LATERAL ${MEMBER_STANDING} s`;

export function memberParams(requester: Requester): [string, string, string[]] {
  return [requester.agency, requester.sub, [...requester.roles]];
}

interface AccessibleRow {
  id: string;
  agency_code: string;
  reference: string;
  title: string;
  legal_basis: string | null;
  created_by: string;
  created_at: Date;
  member_roles: Role[];
  lead: boolean;
  content: boolean;
}

function accessible(row: AccessibleRow, requester: Requester): AccessibleCase | undefined {
  const standing = standingIn(requester, row.agency_code, {
    roles: row.member_roles,
    lead: row.lead,
    content: row.content,
  });
  if (!standing) return undefined;
  return {
    record: {
      id: row.id,
      agency: row.agency_code,
      reference: row.reference,
      title: row.title,
      legalBasis: row.legal_basis,
      createdBy: row.created_by,
      createdAt: row.created_at,
    },
    standing,
  };
}

const GRANT_SELECT = `SELECT id, case_id, grantee_agency, grantee_sub, role, until, lead, content, granted_by,
  created_at, revoked_at, break_glass_reason FROM case_grants`;

function toGrant(row: {
  id: string;
  case_id: string;
  grantee_agency: string;
  grantee_sub: string | null;
  role: Role;
  until: Date | null;
  lead: boolean;
  content: boolean;
  granted_by: string;
  created_at: Date;
  revoked_at: Date | null;
  break_glass_reason: string | null;
}): GrantRecord {
  return {
    id: row.id,
    caseId: row.case_id,
    agency: row.grantee_agency,
    sub: row.grantee_sub,
    role: row.role,
    until: row.until,
    lead: row.lead,
    content: row.content,
    grantedBy: row.granted_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    breakGlassReason: row.break_glass_reason,
  };
}

function fromEntity(entity: CaseEntity): CaseRecord {
  return {
    id: entity.id,
    agency: entity.agencyCode,
    reference: entity.reference,
    title: entity.title,
    legalBasis: entity.legalBasis,
    createdBy: entity.createdBy,
    createdAt: entity.createdAt,
  };
}
