import type { DataSource } from 'typeorm';
import type { CaseScope } from '../access/scope';
import type { DomainWriter } from '../log/domain-write';
import { CaseEntity } from './entities/case.entity';
import { violatedUniqueConstraint } from './pg-errors';

export interface CaseRecord {
  readonly id: string;
  readonly agency: string;
  readonly reference: string;
  readonly title: string;
  readonly legalBasis: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface GrantRecord {
  readonly id: string;
  readonly caseId: string;
  readonly agency: string | null;
  readonly sub: string | null;
  readonly role: string;
  readonly until: Date | null;
  readonly grantedBy: string;
  readonly createdAt: Date;
}

/** Keyset position in the listing order (newest first). */
export interface CasePosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** Thrown when (agency, reference) is taken; the service turns it into a conflict. */
export class DuplicateReferenceError extends Error {}

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
    writeAll: async (tx, grants) => {
      const agencies = [...new Set(grants.flatMap((g) => (g.agency ? [g.agency] : [])))];
      if (agencies.length > 0) {
        await tx.query(
          'INSERT INTO agencies (code) SELECT unnest($1::text[]) ON CONFLICT (code) DO NOTHING',
          [agencies],
        );
      }
      await tx.query(
        `INSERT INTO case_grants (id, case_id, grantee_agency, grantee_sub, role, until, granted_by, created_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                              $7::text[], $8::timestamptz[])`,
        [
          grants.map((g) => g.id),
          grants.map((g) => g.caseId),
          grants.map((g) => g.agency),
          grants.map((g) => g.sub),
          grants.map((g) => g.role),
          grants.map((g) => g.until),
          grants.map((g) => g.grantedBy),
          grants.map((g) => g.createdAt),
        ],
      );
    },
  };

  /** A case by id with no scope check: for documents about items already shown to the caller (reports). */
  async find(id: string): Promise<CaseRecord | undefined> {
    const row = await this.db.getRepository(CaseEntity).findOneBy({ id });
    return row ? fromEntity(row) : undefined;
  }

  /** The case if it exists and `scope` may see it; otherwise undefined, whichever the reason. */
  async findVisible(id: string, scope: CaseScope): Promise<CaseRecord | undefined> {
    const query = this.db.getRepository(CaseEntity).createQueryBuilder('c').where('c.id = :id', { id });
    const row = await applyScope(query, scope).getOne();
    return row ? fromEntity(row) : undefined;
  }

  /** A page of the cases `scope` may see, newest first, after `after` if given. */
  async listVisible(scope: CaseScope, limit: number, after?: CasePosition): Promise<CaseRecord[]> {
    const query = this.db.getRepository(CaseEntity).createQueryBuilder('c').where('TRUE');
    if (after) {
      query.andWhere('(c.created_at, c.id) < (:afterAt, :afterId)', {
        afterAt: after.createdAt,
        afterId: after.id,
      });
    }
    const rows = await applyScope(query, scope)
      .orderBy('c.created_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit)
      .getMany();
    return rows.map(fromEntity);
  }
}

type CaseQuery = ReturnType<ReturnType<DataSource['getRepository']>['createQueryBuilder']>;

/** The need-to-know rule of `access/scope.ts`, as SQL. */
function applyScope<Q extends CaseQuery>(query: Q, scope: CaseScope): Q {
  if (scope.readsEverything) return query;
  return query.andWhere(
    `((:readsOwn AND c.agency_code = :agency) OR EXISTS (
        SELECT 1 FROM case_grants g
         WHERE g.case_id = c.id
           AND (g.until IS NULL OR g.until > now())
           AND g.role = ANY(:roles)
           AND (g.grantee_sub = :sub OR g.grantee_agency = :agency)))`,
    { readsOwn: scope.readsOwnAgency, agency: scope.agency, roles: [...scope.roles], sub: scope.sub },
  ) as Q;
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
