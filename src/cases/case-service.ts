import { randomUUID } from 'node:crypto';
import { CASE_WRITERS, hasAnyRole, type Principal, type Role } from '../access/roles';
import { caseScopeOf } from '../access/scope';
import {
  type CasePosition,
  type CaseRecord,
  type CaseRepository,
  DuplicateReferenceError,
  type GrantRecord,
} from '../db/case.repository';
import { ConflictError, ForbiddenRoleError, NotFoundError, ValidationError } from '../errors';

export interface OpenCaseInput {
  readonly reference: string;
  readonly title: string;
  readonly legalBasis?: string | undefined;
}

/** Exactly one of `agency` and `sub` names the grantee. */
export interface GrantInput {
  readonly agency?: string | undefined;
  readonly sub?: string | undefined;
  readonly role: Exclude<Role, 'admin'>;
  readonly until?: Date | undefined;
}

export interface CasePage {
  readonly items: CaseRecord[];
  readonly next: CasePosition | undefined;
}

/** Cases and who may see them. Every method takes the verified caller first. */
export class CaseService {
  constructor(
    private readonly cases: CaseRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Opens a case owned by the caller's agency. */
  async open(principal: Principal, input: OpenCaseInput): Promise<CaseRecord> {
    if (!hasAnyRole(principal, CASE_WRITERS)) throw new ForbiddenRoleError();
    const record: CaseRecord = {
      id: randomUUID(),
      agency: principal.agency,
      reference: input.reference,
      title: input.title,
      legalBasis: input.legalBasis ?? null,
      createdBy: principal.sub,
      createdAt: this.now(),
    };
    try {
      await this.cases.insert(record);
    } catch (error) {
      if (error instanceof DuplicateReferenceError) {
        throw new ConflictError('CASE_REFERENCE_TAKEN', 'Your agency already has a case with this reference');
      }
      throw error;
    }
    return record;
  }

  /** The case, if the caller may know it exists; NotFoundError otherwise. */
  async get(principal: Principal, id: string): Promise<CaseRecord> {
    const found = await this.cases.findVisible(id, caseScopeOf(principal));
    if (!found) throw new NotFoundError('case');
    return found;
  }

  /** One page of the cases the caller may see, newest first. */
  async list(principal: Principal, limit: number, after?: CasePosition): Promise<CasePage> {
    const rows = await this.cases.listVisible(caseScopeOf(principal), limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : undefined,
    };
  }

  /**
   * Shares a case with a principal or an agency through one role. Only the owning
   * agency's investigators and prosecutors may share; grantees cannot re-share.
   */
  async grant(principal: Principal, caseId: string, input: GrantInput): Promise<GrantRecord> {
    const target = await this.get(principal, caseId);
    if (target.agency !== principal.agency || !hasAnyRole(principal, CASE_WRITERS)) {
      throw new ForbiddenRoleError();
    }
    const now = this.now();
    if (input.until && input.until.getTime() <= now.getTime()) {
      throw new ValidationError([{ pointer: '/until', reason: 'must be in the future' }]);
    }
    const grant: GrantRecord = {
      id: randomUUID(),
      caseId: target.id,
      agency: input.agency ?? null,
      sub: input.sub ?? null,
      role: input.role,
      until: input.until ?? null,
      grantedBy: principal.sub,
      createdAt: now,
    };
    await this.cases.insertGrant(grant);
    return grant;
  }
}
