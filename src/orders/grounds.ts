import { LedgerError, ValidationError } from '../errors';
import type { Instrument, LegalSettings, Reservation } from './legal-settings';
import type { Direction, OrderKind } from './lifecycle';

/**
 * The grounds on which a request may be refused, postponed or not executed,
 * as each instrument closes them (legal-requirements rows 6, 7, 18, 73).
 * Articles marked [P] are checked against the primary text, [U] are a
 * secondary reading's paragraph numbers, to be checked before they are quoted.
 */

/**
 * Moves that state a ground against the request, or against the data handed
 * over, or put its execution off: the order service requires their reason
 * code and text (Bud 27(5)-(7); UN 40).
 */
export const REASONED_MOVES = [
  'refused',
  'mla_refused',
  'refused_by_enforcing',
  'deletion_or_restriction_required',
  'impossible',
  'postponed',
] as const;
export type ReasonedMove = (typeof REASONED_MOVES)[number];

export interface Ground {
  readonly code: string;
  /** Where the ground comes from. */
  readonly article: string;
  /** The moves that may state it. */
  readonly moves: readonly ReasonedMove[];
  /**
   * Available only where the state made this reservation, and only for an
   * offence the instrument does not establish (Bud 29(4); UN 42(5)).
   */
  readonly reservation?: Reservation;
}

/**
 * Offence categories a request may name (`offenceCategory`), each with the
 * article that establishes it in each Convention: UN Arts 7-17 [U], Budapest
 * Arts 2-10 [P] (Art. 11, attempt and aiding, follows the offence attempted).
 * `other` is an offence neither establishes.
 */
export const OFFENCE_CATEGORIES = {
  illegal_access: { UNCC: '7', BUDAPEST: '2' },
  illegal_interception: { UNCC: '8', BUDAPEST: '3' },
  data_interference: { UNCC: '9', BUDAPEST: '4' },
  system_interference: { UNCC: '10', BUDAPEST: '5' },
  misuse_of_devices: { UNCC: '11', BUDAPEST: '6' },
  computer_forgery: { UNCC: '12', BUDAPEST: '7' },
  computer_fraud: { UNCC: '13', BUDAPEST: '8' },
  child_sexual_abuse_material: { UNCC: '14', BUDAPEST: '9' },
  grooming: { UNCC: '15' },
  non_consensual_intimate_images: { UNCC: '16' },
  laundering_of_proceeds: { UNCC: '17' },
  copyright_infringement: { BUDAPEST: '10' },
  other: {},
} as const satisfies Record<string, Partial<Record<'UNCC' | 'BUDAPEST', string>>>;
export type OffenceCategory = keyof typeof OFFENCE_CATEGORIES;
export const OFFENCE_CATEGORY_CODES = Object.keys(OFFENCE_CATEGORIES) as [
  OffenceCategory,
  ...OffenceCategory[],
];

/** Whether `category` is an offence established in accordance with `instrument`. */
export function isConventionOffence(category: OffenceCategory, instrument: string): boolean {
  return Object.hasOwn(OFFENCE_CATEGORIES[category], instrument);
}

const REFUSED = ['refused'] as const;
const POSTPONED = ['postponed'] as const;
const ENFORCING = ['refused_by_enforcing', 'deletion_or_restriction_required'] as const;
const IMPOSSIBLE = ['impossible'] as const;

const ground = (code: string, article: string, moves: readonly ReasonedMove[], reservation?: Reservation) =>
  ({ code, article, moves, ...(reservation ? { reservation } : {}) }) as Ground;

/** Budapest Art. 29(5) [P]: preservation may be refused only on these, and under Art. 29(4) a reserved one. */
const BUDAPEST_PRESERVATION = [
  ground('POLITICAL_OFFENCE', 'Bud 29(5)(a) [P]', REFUSED),
  ground('ESSENTIAL_INTERESTS', 'Bud 29(5)(b) [P]', REFUSED),
  ground('DUAL_CRIMINALITY', 'Bud 29(4) [P]', REFUSED, 'BUDAPEST:29(4)'),
];

/** Budapest Art. 30(2) [P]: disclosure of preserved traffic data may be withheld only on these. */
const BUDAPEST_TRAFFIC = [
  ground('POLITICAL_OFFENCE', 'Bud 30(2)(a) [P]', REFUSED),
  ground('ESSENTIAL_INTERESTS', 'Bud 30(2)(b) [P]', REFUSED),
];

/**
 * Budapest Art. 27(4) [P] adds two grounds to those of Art. 25(4): the
 * requested Party's law and the applicable treaties (dual criminality among
 * them, Art. 25(5), never that the offence is fiscal); Art. 27(5) postpones.
 */
const BUDAPEST_MLA = [
  ground('POLITICAL_OFFENCE', 'Bud 27(4)(a) [P]', REFUSED),
  ground('ESSENTIAL_INTERESTS', 'Bud 27(4)(b) [P]', REFUSED),
  ground('REQUESTED_PARTY_LAW', 'Bud 25(4) [P]', REFUSED),
  ground('DUAL_CRIMINALITY', 'Bud 25(4)-(5) [P]', REFUSED),
  ground('ONGOING_PROCEEDINGS', 'Bud 27(5) [P]', POSTPONED),
];

/**
 * UN Art. 40(21)-(22) [U]: the request does not conform; sovereignty, security,
 * ordre public or other essential interests; domestic law would prohibit the
 * action for a similar offence; contrary to the legal system on mutual legal
 * assistance; a request made to persecute a person. A political offence is not
 * a ground as such.
 */
const UN_ART_40 = [
  ground('NOT_IN_CONFORMITY', 'UN 40(21)(a) [U]', REFUSED),
  ground('ESSENTIAL_INTERESTS', 'UN 40(21)(b) [U]', REFUSED),
  ground('DOMESTIC_LAW_PROHIBITS', 'UN 40(21)(c) [U]', REFUSED),
  ground('CONTRARY_TO_LEGAL_SYSTEM', 'UN 40(21)(d) [U]', REFUSED),
  ground('DISCRIMINATORY_PURPOSE', 'UN 40(22) [U]', REFUSED),
];

/** UN Arts 42-43 [U] refer to the Art. 40 grounds; Art. 42(5) lets a reserving state refuse for dual criminality. */
const UN_PRESERVATION = [...UN_ART_40, ground('DUAL_CRIMINALITY', 'UN 42(5) [U]', REFUSED, 'UNCC:42(5)')];
const UN_MLA = [
  ...UN_ART_40,
  ground('DUAL_CRIMINALITY', 'UN 40(8)-(9) [U]', REFUSED),
  ground('ONGOING_PROCEEDINGS', 'UN 40(25) [U]', POSTPONED),
];

/** A bilateral treaty's own grounds (the reason cites its article), and those most treaties share. */
const TREATY = [
  ground('TREATY_GROUND', 'the treaty', REFUSED),
  ground('POLITICAL_OFFENCE', 'the treaty', REFUSED),
  ground('ESSENTIAL_INTERESTS', 'the treaty', REFUSED),
  ground('DUAL_CRIMINALITY', 'the treaty', REFUSED),
];
const TREATY_MLA = [...TREATY, ground('ONGOING_PROCEEDINGS', 'the treaty', POSTPONED)];

/** The grounds of `grounds` that refuse (a 24/7 answer is given or refused, never postponed). */
const refusals = (grounds: readonly Ground[]) => grounds.filter((g) => g.moves.includes('refused'));

/** A domestic order is refused by the authority that would issue it: UN Art. 24 [U]; Budapest Art. 15 [P]. */
const DOMESTIC = [
  ground('AUTHORISATION_REFUSED', 'Bud 15(2) [P]; UN 24(2) [U]', REFUSED),
  ground('INSUFFICIENT_GROUNDS', 'Bud 15(2) [P]; UN 24(2) [U]', REFUSED),
  ground('DISPROPORTIONATE', 'Bud 15(1) [P]; UN 24(1) [U]', REFUSED),
];

/**
 * Regulation 2023/1543. The enforcing authority (Art. 12(1)) refuses, or after
 * an emergency production objects (Art. 10(4)), on: immunities or privileges,
 * or rules on press freedom; a manifest breach of a fundamental right; ne bis
 * in idem; conduct that is no offence in the enforcing state (unless an Annex
 * IV offence punishable by three years, which the service does not check). The
 * addressee reports on the Annex III form an order that is incomplete or
 * wrong, or a de facto impossibility (Arts 10(6)-(7), 11(4)-(5) [U]), or a
 * conflicting third-country law (Art. 17).
 */
const EU_ENFORCING = [
  ground('IMMUNITY_OR_PRIVILEGE', 'Reg 12(1)(a)', ENFORCING),
  ground('PRESS_FREEDOM', 'Reg 12(1)(a)', ENFORCING),
  ground('FUNDAMENTAL_RIGHTS', 'Reg 12(1)(b)', ENFORCING),
  ground('NE_BIS_IN_IDEM', 'Reg 12(1)(c)', ENFORCING),
  ground('DUAL_CRIMINALITY', 'Reg 12(1)(d)', ENFORCING),
];
const EPOC = [
  ...EU_ENFORCING,
  ground('INCOMPLETE_OR_ERRONEOUS', 'Reg 10(6), Annex III', IMPOSSIBLE),
  ground('DE_FACTO_IMPOSSIBLE', 'Reg 10(7), Annex III', IMPOSSIBLE),
  ground('CONFLICTING_THIRD_COUNTRY_LAW', 'Reg 17', IMPOSSIBLE),
];
const EPOC_PR = [
  ground('INCOMPLETE_OR_ERRONEOUS', 'Reg 11(4) [U], Annex III', IMPOSSIBLE),
  ground('DE_FACTO_IMPOSSIBLE', 'Reg 11(5) [U], Annex III', IMPOSSIBLE),
];

type KindGrounds = Readonly<Partial<Record<OrderKind, readonly Ground[]>>>;

/** Domestic orders that can be refused (a production order is objected to by its holder, which states no ground). */
const DOMESTIC_GROUNDS: KindGrounds = { preservation: DOMESTIC, traffic_disclosure: DOMESTIC };

const GROUNDS: Readonly<Record<Exclude<Instrument, 'DOMESTIC'>, KindGrounds>> = {
  // The 24/7 point's assistance is mutual assistance: refused on the instrument's general grounds (Bud 25(4), 27(4); UN 40).
  BUDAPEST: {
    preservation: BUDAPEST_PRESERVATION,
    traffic_disclosure: BUDAPEST_TRAFFIC,
    mla: BUDAPEST_MLA,
    assistance_24_7: refusals(BUDAPEST_MLA),
  },
  UNCC: {
    preservation: UN_PRESERVATION,
    traffic_disclosure: UN_ART_40,
    mla: UN_MLA,
    assistance_24_7: UN_ART_40,
  },
  MLAT: { preservation: TREATY, traffic_disclosure: TREATY, mla: TREATY_MLA, assistance_24_7: TREATY },
  EU_2023_1543: { epoc: EPOC, epoc_pr: EPOC_PR },
};

/**
 * The grounds a move `to` of an order may state. A domestic order's are the
 * domestic authority's whatever article it cites; releasing preserved data
 * because the MLA request was refused states that request's ground.
 */
export function groundsFor(
  instrument: string,
  kind: OrderKind,
  direction: Direction,
  to: ReasonedMove,
): readonly Ground[] {
  const [asKind, asMove]: [OrderKind, ReasonedMove] = to === 'mla_refused' ? ['mla', 'refused'] : [kind, to];
  const all =
    (direction === 'domestic' || instrument === 'DOMESTIC'
      ? DOMESTIC_GROUNDS[asKind]
      : (GROUNDS as Readonly<Record<string, KindGrounds>>)[instrument]?.[asKind]) ?? [];
  return all.filter((g) => g.moves.includes(asMove));
}

export function isReasonedMove(to: string): to is ReasonedMove {
  return (REASONED_MOVES as readonly string[]).includes(to);
}

/** A ground of the instrument that this request cannot rest on: no reservation, or a Convention offence. */
export class GroundNotAvailableError extends LedgerError {
  constructor(readonly fields: ValidationError['fields']) {
    super('GROUND_NOT_AVAILABLE', 'The ground is not available for this request');
  }
}

export interface GroundedOrder {
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly legalBasis: { readonly instrument: string };
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Checks the reason code of a reasoned move against the closed list of the
 * order's instrument and kind (422 `not_a_ground_under_<instrument>`, with the
 * codes allowed), and a reserved ground against the state's reservations and
 * the offence (409 GROUND_NOT_AVAILABLE): dual criminality is no condition of
 * preservation (Bud 29(3); UN 42(4) [U]) unless the state reserved the right,
 * and then only for an offence the Convention does not establish (Bud 29(4);
 * UN 42(5) [U]). Other moves are not checked here.
 */
export function checkGround(
  order: GroundedOrder,
  to: string,
  reasonCode: string | undefined,
  settings: Pick<LegalSettings, 'reservations'>,
): void {
  if (!isReasonedMove(to) || reasonCode === undefined) return;
  const { instrument } = order.legalBasis;
  const grounds = groundsFor(instrument, order.kind, order.direction, to);
  const found = grounds.find((g) => g.code === reasonCode);
  if (!found) {
    const under = order.direction === 'domestic' ? 'domestic' : instrument.toLowerCase();
    throw new ValidationError([
      { pointer: '/reasonCode', reason: `not_a_ground_under_${under}`, allowed: grounds.map((g) => g.code) },
    ]);
  }
  if (!found.reservation) return;
  const category = order.details.offenceCategory as OffenceCategory | undefined;
  const reason = !settings.reservations.includes(found.reservation)
    ? 'no_reservation'
    : category === undefined || !Object.hasOwn(OFFENCE_CATEGORIES, category)
      ? 'offence_category_unknown'
      : isConventionOffence(category, instrument)
        ? 'convention_offence'
        : undefined;
  if (reason) throw new GroundNotAvailableError([{ pointer: '/reasonCode', reason }]);
}
