/**
 * What the law of the deploying state says where the instruments leave it a
 * choice: which state this is, which roles it plays under the EU e-evidence
 * rules, the reservations it made, which domestic orders need an authorising
 * body, and who the other parties are. Configuration (src/config.ts reads it
 * from the environment); the defaults are an Azerbaijani deployment's.
 */

/** The instruments a request may rest on (api.md `legalBasis.instrument`). */
export const INSTRUMENTS = ['UNCC', 'BUDAPEST', 'MLAT', 'EU_2023_1543', 'DOMESTIC'] as const;
export type Instrument = (typeof INSTRUMENTS)[number];

/**
 * The roles Regulation 2023/1543 and Directive 2023/1544 give (Reg. Arts 1, 3,
 * 7): an EU issuing or enforcing authority, a service provider offering
 * services in the Union, or its legal representative. A third country's
 * central authority plays none.
 */
export const EU_ROLES = [
  'issuing_authority',
  'enforcing_authority',
  'service_provider',
  'legal_representative',
] as const;
export type EuRole = (typeof EU_ROLES)[number];

/**
 * Provisions under which a state may reserve a right to refuse, and which
 * the service applies when the register holds them:
 * - `BUDAPEST:29(4)` [P]: refuse preservation for want of dual criminality,
 *   for offences other than those of Arts 2-11, where it will fail at disclosure.
 * - `UNCC:42(5)` [U]: the same under the UN Convention, for offences other than
 *   those established in accordance with it.
 */
export const RESERVABLE = ['BUDAPEST:29(4)', 'UNCC:42(5)'] as const;
export type Reservation = (typeof RESERVABLE)[number];

/** Domestic orders that may need an authorising body (UN Art. 24 [U]; Budapest Art. 15 [P]). */
export const AUTHORISABLE_KINDS = ['production', 'preservation'] as const;
export type AuthorisableKind = (typeof AUTHORISABLE_KINDS)[number];

export interface LegalSettings {
  /** ISO 3166-1 alpha-2 code of the state the deployment acts for. */
  readonly thisState: string;
  /** The EU roles the deployment plays; none for a third country's authority. */
  readonly euRoles: readonly EuRole[];
  /** The reservations the state made (see `RESERVABLE`). */
  readonly reservations: readonly Reservation[];
  /** Domestic order kinds the law lets issue only with an authorising body and its reference. */
  readonly authorisationRequired: readonly AuthorisableKind[];
  /**
   * The UN Convention's parties, when the deployment maintains the list; absent:
   * not checked (see states-parties.ts for why there is no default list).
   */
  readonly uncParties?: readonly string[] | undefined;
}

export const DEFAULT_LEGAL_SETTINGS: LegalSettings = {
  thisState: 'AZ',
  euRoles: [],
  reservations: [],
  authorisationRequired: ['production'],
};
