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
