import { randomUUID } from 'node:crypto';
import { CASE_WRITERS, type Principal, type Role } from '../access/roles';
import { caseScopeOf } from '../access/scope';
import {
  type CasePosition,
  type CaseRecord,
  type CaseRepository,
  DuplicateReferenceError,
  type GrantRecord,
} from '../db/case.repository';
import { ConflictError, ForbiddenRoleError, NotFoundError, ValidationError } from '../errors';
import type { Actor } from '../ledger';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { domainWrite } from '../log/domain-write';

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
    private readonly log: CustodyLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Opens a case owned by the caller's agency; the opening is the first entry of the case's chain. */
  async open(principal: Principal, input: OpenCaseInput): Promise<Receipted<CaseRecord>> {
    const actor = actingAs(principal, CASE_WRITERS);
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
      const { receipt } = await this.log.record({
        subject: { type: 'case', id: record.id },
        type: 'case.opened',
        actor,
        data: {
          agency: record.agency,
          reference: record.reference,
          title: record.title,
          legalBasis: record.legalBasis,
        },
        write: domainWrite(this.cases.caseWriter, record),
      });
      return { value: record, receipt };
    } catch (error) {
      if (error instanceof DuplicateReferenceError) {
        throw new ConflictError('CASE_REFERENCE_TAKEN', 'Your agency already has a case with this reference');
      }
      throw error;
    }
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
   * Grants form the case's `access` chain in the log.
   */
  async grant(principal: Principal, caseId: string, input: GrantInput): Promise<Receipted<GrantRecord>> {
    const target = await this.get(principal, caseId);
    if (target.agency !== principal.agency) throw new ForbiddenRoleError();
    const actor = actingAs(principal, CASE_WRITERS);
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
    const { receipt } = await this.log.record({
      subject: { type: 'access', id: target.id },
      type: 'access.granted',
      actor,
      data: {
        grant: grant.id,
        case: grant.caseId,
        grantee: grant.agency === null ? { sub: grant.sub } : { agency: grant.agency },
        role: grant.role,
        until: grant.until?.toISOString() ?? null,
      },
      write: domainWrite(this.cases.grantWriter, grant),
    });
    return { value: grant, receipt };
  }
}

/** The role a principal acts in for an action: the first of its roles that the action allows. */
function actingAs(principal: Principal, allowed: readonly Role[]): Actor {
  const role = principal.roles.find((candidate) => allowed.includes(candidate));
  if (!role) throw new ForbiddenRoleError();
  return { sub: principal.sub, agency: principal.agency, role };
}
