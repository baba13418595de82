import type { DataSource, EntityManager } from 'typeorm';
import type { CaseScope } from '../access/scope';
import { CaseEntity } from './entities/case.entity';
import { CaseGrantEntity } from './entities/case-grant.entity';

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

const UNIQUE_VIOLATION = '23505';

/** Thrown when (agency, reference) is taken; the service turns it into a conflict. */
export class DuplicateReferenceError extends Error {}

export class CaseRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts the case within `tx` (the log batch that records its opening). */
  async insert(tx: EntityManager, record: CaseRecord): Promise<void> {
    try {
      await tx.query(
        `INSERT INTO cases (id, agency_code, reference, title, legal_basis, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          record.id,
          record.agency,
          record.reference,
          record.title,
          record.legalBasis,
          record.createdBy,
          record.createdAt,
        ],
      );
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw new DuplicateReferenceError();
      }
      throw error;
    }
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

  /** Adds a grant within `tx`; records the grantee agency first if it has never been seen. */
  async insertGrant(tx: EntityManager, grant: GrantRecord): Promise<void> {
    if (grant.agency) {
      await tx.query('INSERT INTO agencies (code) VALUES ($1) ON CONFLICT (code) DO NOTHING', [grant.agency]);
    }
    await tx.getRepository(CaseGrantEntity).insert({
      id: grant.id,
      caseId: grant.caseId,
      granteeAgency: grant.agency,
      granteeSub: grant.sub,
      role: grant.role,
      until: grant.until,
      grantedBy: grant.grantedBy,
      createdAt: grant.createdAt,
    });
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
