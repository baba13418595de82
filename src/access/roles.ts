/** The roles of api.md ("Who calls it"). A token carries one or more. */
export const ROLES = [
  'investigator',
  'custodian',
  'prosecutor',
  'court',
  'partner',
  'auditor',
  'admin',
] as const;

export type Role = (typeof ROLES)[number];

/** The verified caller of a request: who it is, for which agency, in which roles. */
export interface Principal {
  readonly sub: string;
  readonly agency: string;
  readonly roles: readonly Role[];
  readonly issuer: string;
}

/** Agency codes: upper-case letters, digits and dashes, such as `AZ-SSS` or `DE-BKA`. */
export const AGENCY_CODE = /^[A-Z0-9][A-Z0-9-]{1,31}$/;

/** Roles that may open cases and share them. */
export const CASE_WRITERS: readonly Role[] = ['investigator', 'prosecutor'];

/**
 * Roles through which members of the owning agency see its cases. `admin` runs the
 * service and sees no case content; `partner` sees only what is granted or disclosed.
 */
export const CASE_READERS: readonly Role[] = ['investigator', 'custodian', 'prosecutor', 'court', 'auditor'];

export function hasAnyRole(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.roles.some((role) => allowed.includes(role));
}
