import { CASE_READERS, hasAnyRole, type Principal } from './roles';

/**
 * What a principal may see, reduced to the facts a query needs. Need-to-know:
 * members of the owning agency through a reading role, explicit grantees (a
 * principal or an agency, through the granted role, until the grant ends), and
 * auditors, whose oversight covers every case read-only. Everyone else sees
 * nothing, and is told "not found" rather than "forbidden".
 */
export interface CaseScope {
  readonly sub: string;
  readonly agency: string;
  readonly roles: readonly string[];
  readonly readsOwnAgency: boolean;
  readonly readsEverything: boolean;
}

export function caseScopeOf(principal: Principal): CaseScope {
  return {
    sub: principal.sub,
    agency: principal.agency,
    roles: principal.roles,
    readsOwnAgency: hasAnyRole(principal, CASE_READERS),
    readsEverything: principal.roles.includes('auditor'),
  };
}
