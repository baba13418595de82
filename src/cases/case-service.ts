import { randomUUID } from 'node:crypto';
import { CROSS_AGENCY_ROLES, caseAllows, caseRole, ROLE_REACH, serviceRole } from '../access/permissions';
import type { Principal, Role } from '../access/roles';
import {
  type AccessibleCase,
  type CasePosition,
  type CaseRecord,
  type CaseRepository,
  DuplicateReferenceError,
  GrantAlreadyRevokedError,
  type GrantRecord,
} from '../db/case.repository';
import type { NotificationRecord, NotificationRepository } from '../db/notification.repository';
import { ConflictError, ForbiddenRoleError, NotFoundError, ValidationError } from '../errors';
import type { Actor } from '../ledger';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { type DomainWriter, domainWrite, inLockOrder } from '../log/domain-write';

export interface OpenCaseInput {
  readonly reference: string;
  readonly title: string;
  readonly legalBasis?: string | undefined;
}

/** A membership to give: a subject of an agency, or (without `sub`) the whole agency, in one role. */
export interface GrantInput {
  readonly agency: string;
  readonly sub?: string | undefined;
  readonly role: Role;
  readonly until?: Date | undefined;
  /** Whether the member may open the exhibits' bytes (investigators and prosecutors: always). */
  readonly content?: boolean | undefined;
}

export interface CasePage {
  readonly items: CaseRecord[];
  readonly next: CasePosition | undefined;
}

/** Roles whose membership always opens the bytes: the case cannot be worked without them. */
const CONTENT_ROLES: readonly Role[] = ['investigator', 'prosecutor'];

/** The opener's roles that make it a working member of its case. */
const WORKING_ROLES: readonly Role[] = ['investigator', 'prosecutor', 'custodian'];

/** Cases and their members. Every method takes the verified caller first. */
export class CaseService {
  private readonly openings: DomainWriter<{ record: CaseRecord; members: GrantRecord[] }>;
  private readonly breakGlassOpenings: DomainWriter<{
    grant: GrantRecord;
    notice: NotificationRecord | null;
  }>;
  private readonly grants: DomainWriter<GrantRecord>;
  private readonly revocations: DomainWriter<{ id: string; by: string; at: Date }>;
  private readonly now: () => Date;

  constructor(
    private readonly cases: CaseRepository,
    private readonly notifications: NotificationRepository,
    private readonly log: CustodyLog,
    private readonly options: { readonly breakGlassMs: number; readonly now?: () => Date },
  ) {
    this.now = options.now ?? (() => new Date());
    this.breakGlassOpenings = {
      writeAll: async (tx, openings) => {
        await this.cases.insertGrants(tx, byAgency(openings.map((opening) => opening.grant)));
        await this.notifications.writer.writeAll(
          tx,
          openings.flatMap((opening) => (opening.notice ? [opening.notice] : [])),
        );
      },
    };
    this.openings = {
      writeAll: async (tx, openings) => {
        // A reference sent twice at once (a retried request) is inserted in one order by every batch.
        await this.cases.caseWriter.writeAll(
          tx,
          inLockOrder(
            openings.map((opening) => opening.record),
            (record) => `${record.agency} ${record.reference}`,
          ),
        );
        await this.cases.insertGrants(tx, byAgency(openings.flatMap((opening) => opening.members)));
      },
    };
    this.grants = { writeAll: (tx, grants) => this.cases.insertGrants(tx, byAgency(grants)) };
    this.revocations = {
      writeAll: (tx, revocations) =>
        this.cases.revocationWriter.writeAll(
          tx,
          inLockOrder(revocations, (revocation) => revocation.id),
        ),
    };
  }

  /**
   * Opens a case owned by the caller's agency, with the caller as its lead
   * member (in the role it opens it in, and in its other working roles); the
   * opening is the first entry of the case's chain.
   */
  async open(principal: Principal, input: OpenCaseInput): Promise<Receipted<CaseRecord>> {
    const role = serviceRole(principal, 'case.open');
    const createdAt = this.now();
    const record: CaseRecord = {
      id: randomUUID(),
      agency: principal.agency,
      reference: input.reference,
      title: input.title,
      legalBasis: input.legalBasis ?? null,
      createdBy: principal.sub,
      createdAt,
    };
    const roles = [
      role,
      ...principal.roles.filter((other) => other !== role && WORKING_ROLES.includes(other)),
    ];
    const members = roles.map((memberRole) =>
      membership(principal, {
        caseId: record.id,
        agency: principal.agency,
        sub: principal.sub,
        role: memberRole,
        lead: memberRole === role,
        content: true,
        createdAt,
      }),
    );
    try {
      const { receipt } = await this.log.record({
        subject: { type: 'case', id: record.id },
        type: 'case.opened',
        actor: { sub: principal.sub, agency: principal.agency, role },
        data: {
          agency: record.agency,
          reference: record.reference,
          title: record.title,
          legalBasis: record.legalBasis,
        },
        write: domainWrite(this.openings, { record, members }),
      });
      return { value: record, receipt };
    } catch (error) {
      if (error instanceof DuplicateReferenceError) {
        throw new ConflictError('CASE_REFERENCE_TAKEN', 'Your agency already has a case with this reference');
      }
      throw error;
    }
  }

  /** The case and the caller's standing in it, if the caller may know it exists; NotFoundError otherwise. */
  async access(principal: Principal, id: string): Promise<AccessibleCase> {
    const found = await this.cases.findAccessible(id, principal);
    if (!found) throw new NotFoundError('case');
    return found;
  }

  async get(principal: Principal, id: string): Promise<CaseRecord> {
    const { record, standing } = await this.access(principal, id);
    caseRole(standing, 'case.read');
    return record;
  }

  /**
   * One page of the cases the caller is a member of (or, as an auditor,
   * oversees), newest first; with `search`, those among them whose reference
   * or title contains it.
   */
  async list(principal: Principal, limit: number, after?: CasePosition, search?: string): Promise<CasePage> {
    const rows = await this.cases.listAccessible(principal, limit + 1, after, search);
    const items = rows
      .filter(({ standing }) => caseAllows(standing, 'case.read'))
      .map(({ record }) => record);
    const last = rows.length > limit ? rows[limit - 1]?.record : undefined;
    return {
      items: items.slice(0, limit),
      next: last ? { createdAt: last.createdAt, id: last.id } : undefined,
    };
  }

  /**
   * Adds a member. The lead and prosecutor members may share; they give roles
   * that reach no further than their own (ROLE_REACH), open the bytes only if
   * they can themselves, and give another agency only a court's or a
   * custodian's role (foreign authorities receive disclosures, never
   * membership). Grants form the case's `access` chain in the log.
   */
  async grant(principal: Principal, caseId: string, input: GrantInput): Promise<Receipted<GrantRecord>> {
    const { record: target, standing } = await this.access(principal, caseId);
    const role = caseRole(standing, 'case.share');
    if (ROLE_REACH[input.role] > ROLE_REACH[role] || ROLE_REACH[input.role] === 0) {
      throw new ForbiddenRoleError(rolesReaching(ROLE_REACH[input.role]));
    }
    if (input.agency !== target.agency && !CROSS_AGENCY_ROLES.includes(input.role)) {
      throw new ValidationError([{ pointer: '/role', reason: 'not_grantable_to_another_agency' }]);
    }
    const content = CONTENT_ROLES.includes(input.role) || input.content === true;
    if (content && !caseAllows(standing, 'evidence.content')) throw new ForbiddenRoleError();
    const now = this.now();
    if (input.until && input.until.getTime() <= now.getTime()) {
      throw new ValidationError([{ pointer: '/until', reason: 'must be in the future' }]);
    }
    const grant = membership(principal, {
      caseId: target.id,
      agency: input.agency,
      sub: input.sub ?? null,
      role: input.role,
      until: input.until ?? null,
      content,
      createdAt: now,
    });
    const { receipt } = await this.log.record({
      subject: { type: 'access', id: target.id },
      type: 'access.granted',
      actor: actor(principal, role),
      data: {
        grant: grant.id,
        case: grant.caseId,
        grantee: grant.sub === null ? { agency: grant.agency } : { agency: grant.agency, sub: grant.sub },
        role: grant.role,
        content: grant.content,
        until: grant.until?.toISOString() ?? null,
      },
      write: domainWrite(this.grants, grant),
    });
    return { value: grant, receipt };
  }

  /**
   * Break-glass: a member of the owning agency whose role permits it opens a
   * case it is not a member of, for a short fixed time (BREAK_GLASS_SECONDS),
   * stating why. It is an entry on the case's access chain, it is shown in
   * every report of the case, and the case's lead is told (notification
   * outbox). Anyone else is told the case does not exist.
   */
  async breakGlass(principal: Principal, caseId: string, reason: string): Promise<Receipted<GrantRecord>> {
    // The role first: a refusal for the role says nothing about whether the case exists.
    const role = serviceRole(principal, 'case.break_glass');
    const target = await this.cases.findOwnedBy(caseId, principal.agency);
    if (!target) throw new NotFoundError('case');
    const now = this.now();
    const grant = membership(principal, {
      caseId: target.id,
      agency: principal.agency,
      sub: principal.sub,
      role,
      until: new Date(now.getTime() + this.options.breakGlassMs),
      content: CONTENT_ROLES.includes(role),
      createdAt: now,
      breakGlassReason: reason,
    });
    const lead = await this.cases.leadOf(target.id);
    const notice: NotificationRecord | null = lead
      ? {
          id: randomUUID(),
          recipientAgency: lead.agency,
          recipientSub: lead.sub,
          kind: 'case.break_glass',
          caseId: target.id,
          payload: { by: { sub: principal.sub, agency: principal.agency, role }, reason, until: grant.until },
          createdAt: now,
        }
      : null;
    const { receipt } = await this.log.record({
      subject: { type: 'access', id: target.id },
      type: 'access.break_glass',
      actor: actor(principal, role),
      data: {
        grant: grant.id,
        case: target.id,
        role,
        reason,
        until: (grant.until as Date).toISOString(),
      },
      write: domainWrite(this.breakGlassOpenings, { grant, notice }),
    });
    return { value: grant, receipt };
  }

  /**
   * Ends a membership now; the next request of the former member is refused.
   * The lead's own membership is not revoked this way (a case always has a lead).
   */
  async revoke(principal: Principal, caseId: string, grantId: string): Promise<Receipted<GrantRecord>> {
    const { record: target, standing } = await this.access(principal, caseId);
    const role = caseRole(standing, 'case.share');
    const grant = await this.cases.findGrant(target.id, grantId);
    if (!grant) throw new NotFoundError('grant');
    if (grant.lead) throw new ConflictError('CONFLICT', 'The lead membership of a case cannot be revoked');
    if (grant.revokedAt !== null) throw new ConflictError('CONFLICT', 'The grant is already revoked');
    const at = this.now();
    try {
      const { receipt } = await this.log.record({
        subject: { type: 'access', id: target.id },
        type: 'access.revoked',
        actor: actor(principal, role),
        data: { grant: grant.id, case: target.id },
        write: domainWrite(this.revocations, { id: grant.id, by: principal.sub, at }),
      });
      return { value: { ...grant, revokedAt: at }, receipt };
    } catch (error) {
      if (error instanceof GrantAlreadyRevokedError) {
        throw new ConflictError('CONFLICT', 'The grant is already revoked');
      }
      throw error;
    }
  }
}

/** A new membership given by `granter`: not the lead, not revoked, not by break-glass unless said. */
function membership(
  granter: Principal,
  fields: Pick<GrantRecord, 'caseId' | 'agency' | 'sub' | 'role' | 'content' | 'createdAt'> &
    Partial<Pick<GrantRecord, 'until' | 'lead' | 'breakGlassReason'>>,
): GrantRecord {
  return {
    id: randomUUID(),
    until: null,
    lead: false,
    breakGlassReason: null,
    revokedAt: null,
    grantedBy: granter.sub,
    ...fields,
  };
}

function actor(principal: Principal, role: Role): Actor {
  return { sub: principal.sub, agency: principal.agency, role };
}

/** The roles whose reach is at least `reach`: what a granter would need to give such a role. */
function rolesReaching(reach: number): Role[] {
  return (Object.keys(ROLE_REACH) as Role[]).filter((role) => ROLE_REACH[role] >= reach && reach > 0);
}

/**
 * Grants in the order their agencies are recorded: a grantee agency seen for
 * the first time is inserted (and its key locked) in one order by every batch.
 */
function byAgency(grants: readonly GrantRecord[]): GrantRecord[] {
  return inLockOrder(grants, (grant) => grant.agency);
}
