import type { CaseStanding } from './permissions';
import type { Principal, Role } from './roles';

/**
 * Who asks, reduced to what a scope query needs. Need-to-know (api.md): a case
 * is known to its members only, that is to principals matched by an active
 * grant (a grant names a subject with its agency, or a whole agency) through a
 * role their token holds; and, for oversight, to auditors of the owning
 * agency. Everyone else is told "not found", never "forbidden".
 */
export type Requester = Pick<Principal, 'sub' | 'agency' | 'roles'>;

/**
 * The caller's standing in a case from the grants that match it, adding the
 * auditor's oversight of its own agency's cases (metadata, chains, reports;
 * never bytes unless a grant opens them). Undefined: the case is out of scope.
 */
export function standingIn(
  requester: Requester,
  caseAgency: string,
  granted: { readonly roles: readonly Role[]; readonly lead: boolean; readonly content: boolean },
): CaseStanding | undefined {
  const roles = [...granted.roles];
  if (requester.roles.includes('auditor') && caseAgency === requester.agency && !roles.includes('auditor')) {
    roles.push('auditor');
  }
  return roles.length === 0 ? undefined : { roles, lead: granted.lead, content: granted.content };
}
