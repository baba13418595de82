import { ForbiddenRoleError } from '../errors';
import type { Principal, Role } from './roles';

/**
 * What can be done inside a case, by a member acting in one of its roles there
 * (api.md, "Who calls it"). Scope (is the case known to the caller at all?) is
 * decided by `access/scope.ts`; this table says only which roles may act.
 */
export const CASE_PERMISSIONS = {
  /** The case, its items' metadata and chains. */
  'case.read': ['investigator', 'custodian', 'prosecutor', 'court', 'auditor'],
  /** Add or revoke members (the case's lead may too, whatever its role). */
  'case.share': ['prosecutor'],
  'evidence.upload': ['investigator'],
  /** The exhibit's bytes: only for members whose grant opens them (`CaseStanding.content`). */
  'evidence.content': ['investigator', 'prosecutor', 'custodian', 'court', 'auditor'],
  'evidence.report': ['investigator', 'custodian', 'prosecutor', 'court', 'auditor'],
  /** Transfers, seals, analysis, copies, release, return, disposal, fixity. */
  'evidence.handle': ['investigator', 'custodian'],
  /** Acknowledging a transfer addressed to the caller. */
  'evidence.receive': ['investigator', 'custodian', 'prosecutor'],
  'evidence.hold': ['investigator', 'prosecutor'],
  'order.request': ['investigator', 'prosecutor'],
  'disclosure.create': ['prosecutor'],
} as const satisfies Record<string, readonly Role[]>;

export type CaseAction = keyof typeof CASE_PERMISSIONS;

/**
 * What can be done outside any case: actions whose object is not (yet) in a case
 * the caller belongs to.
 */
export const SERVICE_PERMISSIONS = {
  'case.open': ['investigator', 'prosecutor'],
  /** Submit an incoming request to the central authority (a foreign authority). */
  'order.submit_incoming': ['partner'],
  /** Handle orders owned by the caller's agency: move them, link evidence. */
  'order.handle': ['investigator', 'prosecutor'],
  /** The requesting side's own moves on its request (withdraw it, ask for an extension). */
  'order.request_move': ['partner'],
  /** Supply what the caller's agency's own request lacks, or its formal confirmation (UN 40(14); Bud 25(3)). */
  'order.supplement': ['partner'],
  /** The figures of the orders the caller's agency handles, for implementation review (UN Art. 57). */
  'order.statistics': ['investigator', 'prosecutor', 'auditor'],
  /** Read and acknowledge the notifications addressed to the caller's agency. */
  'notification.read': ['investigator', 'prosecutor', 'auditor', 'partner'],
  /** Acknowledge, as the custodian a preservation order names, the duty to keep it confidential (UN 25(3)). */
  'order.acknowledge_duty': ['custodian'],
  /** The enforcing authority's decisions on an EPOC notified to it (Reg. 2023/1543 Arts 10, 12). */
  'order.enforce': ['partner'],
  /** Read the status view of requests the caller's agency submitted. */
  'order.read_status': ['partner'],
  /** Fetch a package disclosed to the caller's agency. */
  'disclosure.fetch': ['partner'],
  /** Open a case of one's own agency without being a member, briefly and with a reason (break-glass). */
  'case.break_glass': ['investigator', 'prosecutor'],
  /** Disable or re-enable a principal (operators; no case content). */
  'principal.manage': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type ServiceAction = keyof typeof SERVICE_PERMISSIONS;

/**
 * How far a role reaches into a case: read-only oversight, handling items
 * without opening them, and full investigative access. A member may grant
 * roles that reach no further than the role it acts in.
 */
export const ROLE_REACH: Readonly<Record<Role, number>> = {
  court: 1,
  auditor: 1,
  custodian: 2,
  investigator: 3,
  prosecutor: 3,
  partner: 0,
  admin: 0,
};

/** Roles another agency may be given in a case: a court, or an evidence store or lab handling items. */
export const CROSS_AGENCY_ROLES: readonly Role[] = ['court', 'custodian'];

/** Where a principal stands in one case: its member roles there, whether it leads, whether its grants open bytes. */
export interface CaseStanding {
  /** Roles the caller holds both in its token and in an active grant of the case. */
  readonly roles: readonly Role[];
  readonly lead: boolean;
  /** Whether one of its grants opens the exhibits' bytes. */
  readonly content: boolean;
}

/**
 * The role in which a member acts for `action`: the first of its case roles
 * that the table allows; 403 naming the roles that would be needed otherwise.
 * Sharing is also allowed to the lead, and content needs a grant that opens it.
 */
export function caseRole(standing: CaseStanding, action: CaseAction): Role {
  const role = actingRole(standing, action);
  if (!role) throw new ForbiddenRoleError(CASE_PERMISSIONS[action]);
  return role;
}

/** Whether `caseRole` would allow the action (for views that show or hide a capability). */
export function caseAllows(standing: CaseStanding, action: CaseAction): boolean {
  return actingRole(standing, action) !== undefined;
}

function actingRole(standing: CaseStanding, action: CaseAction): Role | undefined {
  if (action === 'evidence.content' && !standing.content) return undefined;
  const allowed: readonly Role[] = CASE_PERMISSIONS[action];
  const role = standing.roles.find((candidate) => allowed.includes(candidate));
  if (role) return role;
  return action === 'case.share' && standing.lead ? standing.roles[0] : undefined;
}

/** The role in which the caller acts for a service-wide action, or 403 naming the roles needed. */
export function serviceRole(principal: Pick<Principal, 'roles'>, action: ServiceAction): Role {
  const allowed: readonly Role[] = SERVICE_PERMISSIONS[action];
  const role = principal.roles.find((candidate) => allowed.includes(candidate));
  if (!role) throw new ForbiddenRoleError(allowed);
  return role;
}

/** Whether the caller holds a role for a service-wide action. */
export function serviceAllows(principal: Pick<Principal, 'roles'>, action: ServiceAction): boolean {
  return principal.roles.some((role) => (SERVICE_PERMISSIONS[action] as readonly Role[]).includes(role));
}
