import { LedgerError } from '../errors';

/**
 * The order kinds of api.md, each with the convention articles it implements:
 * preservation (UN Arts 25/42, Budapest 16/29), traffic_disclosure (UN 26/43,
 * Budapest 17/30), production (UN 27, Budapest 18), mla (UN 40/44, Budapest
 * 25-31), epoc and epoc_pr (EU Regulation 2023/1543), assistance_24_7 (the
 * 24/7 point's other functions, UN Art. 41, Budapest Art. 35(1)) and
 * spontaneous_information (UN Art. 40(4)-(5), Budapest Art. 26).
 */
export const ORDER_KINDS = [
  'preservation',
  'traffic_disclosure',
  'production',
  'mla',
  'epoc',
  'epoc_pr',
  'assistance_24_7',
  'spontaneous_information',
] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/**
 * What a request of kind `assistance_24_7` asks of the 24/7 point of contact
 * (UN Art. 41(3); Budapest Art. 35(1)(a), (c)): technical advice, legal
 * information, locating suspects, or data to avert an emergency.
 */
export const ASSISTANCE_TYPES = [
  'technical_advice',
  'legal_information',
  'locating_suspects',
  'emergency_data',
] as const;

export const DIRECTIONS = ['incoming', 'outgoing', 'domestic'] as const;
export type Direction = (typeof DIRECTIONS)[number];

type Table = Readonly<Record<string, readonly string[]>>;

/**
 * Preservation for a foreign request (UN Art. 42, Budapest Art. 29), from the
 * requested state's side (domain.md §6; an outgoing request mirrors it).
 * Partial disclosure of traffic data (Art. 43) is an action inside
 * `preserved`, not a state. The period is a floor: reaching it changes
 * nothing by itself, and a human releases the data (`expired`, `lifted`).
 * An MLA request received while the data are still held keeps them until it
 * is decided (`pending_mla_decision`). Once told that preservation will not
 * ensure the data's availability or threatens confidentiality
 * (`at_risk_notified`), the requester decides whether to go ahead (Bud
 * 29(6)): it confirms (`proceed_confirmed`, its own move) or withdraws; the
 * requested side goes on preserving only after that.
 */
const INTERNATIONAL_PRESERVATION = {
  received: ['info_requested', 'under_assessment', 'withdrawn'],
  info_requested: ['under_assessment', 'withdrawn', 'closed'],
  under_assessment: ['refused', 'ordered', 'at_risk_notified', 'info_requested', 'withdrawn'],
  refused: ['closed'],
  ordered: ['preserved', 'at_risk_notified', 'withdrawn'],
  preserved: [
    'at_risk_notified',
    'extension_requested',
    'pending_mla_decision',
    'expired',
    'withdrawn',
    'lifted',
  ],
  at_risk_notified: ['proceed_confirmed', 'pending_mla_decision', 'withdrawn', 'lifted'],
  proceed_confirmed: ['ordered', 'preserved', 'pending_mla_decision', 'withdrawn', 'lifted'],
  extension_requested: ['extended', 'preserved', 'pending_mla_decision', 'expired', 'withdrawn'],
  extended: ['extension_requested', 'pending_mla_decision', 'expired', 'withdrawn', 'lifted'],
  pending_mla_decision: ['produced', 'mla_refused', 'withdrawn'],
  produced: ['closed'],
  mla_refused: ['lifted', 'closed'],
  expired: ['closed'],
  withdrawn: ['closed'],
  lifted: ['closed'],
  closed: [],
} as const satisfies Table;

/**
 * A domestic preservation order (UN Art. 25(2), Budapest Art. 16(2)): each
 * term at most 90 days, renewable (`extension_requested` -> `extended`), and
 * it ends when its term does. It has no state that holds data for an MLA
 * request, so it can never become indefinite.
 */
const DOMESTIC_PRESERVATION = {
  received: ['info_requested', 'under_assessment', 'withdrawn'],
  info_requested: ['under_assessment', 'withdrawn', 'closed'],
  under_assessment: ['refused', 'ordered', 'info_requested', 'withdrawn'],
  refused: ['closed'],
  ordered: ['preserved', 'at_risk_notified', 'withdrawn'],
  preserved: ['at_risk_notified', 'extension_requested', 'expired', 'withdrawn', 'lifted'],
  at_risk_notified: ['preserved', 'withdrawn', 'lifted'],
  extension_requested: ['extended', 'preserved', 'expired', 'withdrawn'],
  extended: ['extension_requested', 'expired', 'withdrawn', 'lifted'],
  expired: ['closed'],
  withdrawn: ['closed'],
  lifted: ['closed'],
  closed: [],
} as const satisfies Table;

/** Expedited disclosure of (preserved) traffic data: enough to identify the providers and the path. */
const TRAFFIC_DISCLOSURE = {
  received: ['info_requested', 'under_assessment', 'withdrawn'],
  info_requested: ['under_assessment', 'withdrawn', 'closed'],
  under_assessment: ['refused', 'disclosed', 'info_requested', 'withdrawn'],
  refused: ['closed'],
  disclosed: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/**
 * A domestic production order (Art. 27): issued, served on the holder,
 * produced or objected to. A holder that misses the date is non-compliant,
 * which does not end the order: it is `overdue` (the sweep moves it there
 * when the date passes), may be `escalated` for enforcement, and may still be
 * produced late.
 */
const PRODUCTION = {
  issued: ['served', 'withdrawn'],
  served: ['produced', 'objected', 'overdue', 'withdrawn'],
  objected: ['served', 'withdrawn', 'closed'],
  overdue: ['produced', 'escalated', 'withdrawn'],
  escalated: ['produced', 'withdrawn', 'closed'],
  produced: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/**
 * Mutual legal assistance (Arts 40/44): assessed, possibly postponed, executed
 * in whole or part. A requested side that cannot keep a confidential request
 * confidential says so, and the requester decides whether it goes ahead
 * (`confidentiality_notified`, `proceed_confirmed`; Bud 27(8)).
 */
const MLA = {
  received: ['info_requested', 'under_assessment', 'withdrawn'],
  info_requested: ['under_assessment', 'withdrawn', 'closed'],
  under_assessment: [
    'accepted',
    'refused',
    'postponed',
    'info_requested',
    'confidentiality_notified',
    'withdrawn',
  ],
  confidentiality_notified: ['proceed_confirmed', 'withdrawn'],
  proceed_confirmed: ['under_assessment', 'accepted', 'withdrawn'],
  postponed: ['under_assessment', 'withdrawn'],
  accepted: ['executing', 'withdrawn'],
  executing: ['executed', 'partially_executed', 'withdrawn'],
  executed: ['closed'],
  partially_executed: ['executing', 'closed'],
  refused: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/**
 * EPOC (Regulation 2023/1543, Annex I): preserve at once, produce within the
 * deadline unless the enforcing authority raises a ground for refusal, or
 * report impossibility on the Annex III form. Once the enforcing authority is
 * notified (Art. 8) the data wait for the end of its window unless it
 * confirms earlier (`enforcing_confirmed`, Art. 10(2)-(3)); in an emergency
 * they go at once, and an objection within its 96 hours means the data
 * handed over must be deleted or their use restricted (Art. 10(4)). An
 * incomplete certificate, or one with manifest errors, goes back to the
 * issuing authority (`clarification_requested`, Annex III, Art. 10(5)): the
 * data are kept meanwhile, the production deadlines wait for the answer, and
 * the order goes on from where a received certificate goes.
 */
const EPOC = {
  received: ['enforcing_notified', 'clarification_requested', 'produced', 'impossible', 'withdrawn'],
  clarification_requested: [
    'enforcing_notified',
    'enforcing_confirmed',
    'produced',
    'impossible',
    'withdrawn',
  ],
  enforcing_notified: [
    'enforcing_confirmed',
    'clarification_requested',
    'produced',
    'refused_by_enforcing',
    'impossible',
    'withdrawn',
  ],
  enforcing_confirmed: ['clarification_requested', 'produced', 'impossible', 'withdrawn'],
  produced: ['deletion_or_restriction_required', 'closed'],
  deletion_or_restriction_required: ['closed'],
  refused_by_enforcing: ['closed'],
  impossible: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/**
 * EPOC-PR (Annex II): 60 days from receipt, one 30-day extension during them
 * (Annex VI), kept until produced once production is confirmed (Annex V).
 * An incomplete certificate goes back to the issuing authority for
 * clarification (Annex III, Art. 11(4)) while the data are preserved: the
 * period runs on, and a clarified order is `preserved` again.
 */
const EPOC_PR = {
  received: ['preserved', 'clarification_requested', 'impossible', 'withdrawn'],
  clarification_requested: ['preserved', 'impossible', 'expired', 'lifted', 'withdrawn'],
  preserved: ['extended', 'clarification_requested', 'production_confirmed', 'expired', 'lifted'],
  extended: ['clarification_requested', 'production_confirmed', 'expired', 'lifted'],
  production_confirmed: ['produced', 'lifted'],
  produced: ['closed'],
  impossible: ['closed'],
  expired: ['closed'],
  lifted: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/**
 * What the 24/7 point of contact does besides preservation (UN Art. 41;
 * Budapest Art. 35(1)(a), (c)): technical advice, legal information,
 * locating suspects, data to avert an emergency. Answered (or refused) by
 * the act-by time, like an urgent preservation request.
 */
const ASSISTANCE_24_7 = {
  received: ['answered', 'refused', 'withdrawn'],
  answered: ['closed'],
  refused: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/**
 * Information sent without a request (UN Art. 40(4)-(5); Budapest Art. 26),
 * with the sender's conditions of confidentiality or use. The receiving side
 * accepts it with them, or says it cannot comply with them (the sender then
 * decides whether the information is to be provided; Bud 26(2)).
 */
const SPONTANEOUS_INFORMATION = {
  received: ['acknowledged', 'conditions_declined', 'withdrawn'],
  acknowledged: ['closed'],
  conditions_declined: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/** One transition table per kind, and for preservation per direction: domestic (Art. 25) or international (Art. 42). */
type Flow = Exclude<OrderKind, 'preservation'> | 'domestic_preservation' | 'international_preservation';

const TABLES: Readonly<Record<Flow, Table>> = {
  domestic_preservation: DOMESTIC_PRESERVATION,
  international_preservation: INTERNATIONAL_PRESERVATION,
  traffic_disclosure: TRAFFIC_DISCLOSURE,
  production: PRODUCTION,
  mla: MLA,
  epoc: EPOC,
  epoc_pr: EPOC_PR,
  assistance_24_7: ASSISTANCE_24_7,
  spontaneous_information: SPONTANEOUS_INFORMATION,
};

function flowOf(kind: OrderKind, direction: Direction): Flow {
  if (kind !== 'preservation') return kind;
  return direction === 'domestic' ? 'domestic_preservation' : 'international_preservation';
}

/** Where an order of `kind` starts. */
export function initialState(kind: OrderKind): string {
  return kind === 'production' ? 'issued' : 'received';
}

/** Every state of `kind` in `direction`. */
export function statesOf(kind: OrderKind, direction: Direction): string[] {
  return Object.keys(TABLES[flowOf(kind, direction)]);
}

/** Every state of any kind, sorted: what a status filter may name. */
export const ORDER_STATUSES = [
  ...new Set(Object.values(TABLES).flatMap((table) => Object.keys(table))),
].sort() as [string, ...string[]];

/** The states an order of `kind` in `direction` may move to from `from` (none for an unknown or final state). */
export function nextStates(kind: OrderKind, direction: Direction, from: string): readonly string[] {
  const table = TABLES[flowOf(kind, direction)];
  return Object.hasOwn(table, from) ? (table[from] as readonly string[]) : [];
}

/** Final states accept no transition. */
export function isFinal(kind: OrderKind, direction: Direction, state: string): boolean {
  return nextStates(kind, direction, state).length === 0;
}

/** Moves that lengthen a period; they must come before it ends (UN Art. 42, Reg. 2023/1543 Art. 11(1)). */
export function isExtension(to: string): boolean {
  return to === 'extension_requested' || to === 'extended';
}

/**
 * What the passing of an order's deadline means in a state (legal-requirements
 * rows 10, 26, 61):
 * - `expires`: a maximum period ends (a domestic preservation order's term,
 *   an EPOC-PR's 60 or 90 days); the order becomes `expired`.
 * - `overdue`: someone failed to act in time, which is non-compliance and
 *   does not end the order (production, EPOC, MLA and traffic disclosure due
 *   dates; an urgent 24/7 request not answered; a preservation period ending
 *   while the data are at risk; an EPOC-PR never confirmed preserved). Where
 *   the state has an `overdue` state to go to, the order moves there;
 *   otherwise an `order.overdue` entry records it and the order stays.
 * - `minimum_reached`: a floor is reached (the 60 days of an international
 *   preservation, UN Art. 42, Budapest Art. 29(7)); an
 *   `order.minimum_reached` entry records it and the data stay preserved
 *   until a human releases them or an MLA request holds them.
 * Undefined where no deadline runs.
 */
export type Lapse = 'expires' | 'overdue' | 'minimum_reached';

const UNANSWERED = { received: 'overdue', under_assessment: 'overdue' } as const;

const LAPSES: Readonly<Record<Flow, Readonly<Record<string, Lapse>>>> = {
  domestic_preservation: {
    preserved: 'expires',
    extension_requested: 'expires',
    extended: 'expires',
    at_risk_notified: 'overdue',
  },
  international_preservation: {
    ...UNANSWERED,
    preserved: 'minimum_reached',
    extension_requested: 'minimum_reached',
    extended: 'minimum_reached',
    at_risk_notified: 'overdue',
    proceed_confirmed: 'overdue',
  },
  traffic_disclosure: { ...UNANSWERED, info_requested: 'overdue' },
  production: { issued: 'overdue', served: 'overdue', objected: 'overdue' },
  mla: {
    ...UNANSWERED,
    info_requested: 'overdue',
    postponed: 'overdue',
    accepted: 'overdue',
    executing: 'overdue',
    partially_executed: 'overdue',
  },
  epoc: { received: 'overdue', enforcing_notified: 'overdue', enforcing_confirmed: 'overdue' },
  epoc_pr: {
    received: 'overdue',
    clarification_requested: 'expires',
    preserved: 'expires',
    extended: 'expires',
  },
  assistance_24_7: { received: 'overdue' },
  spontaneous_information: {},
};

/** What a passed deadline means for an order of `kind` in `direction` and `state` (see `Lapse`). */
export function lapseOf(kind: OrderKind, direction: Direction, state: string): Lapse | undefined {
  const lapses = LAPSES[flowOf(kind, direction)];
  return Object.hasOwn(lapses, state) ? lapses[state] : undefined;
}

/**
 * How a lapse is recorded: a move into `expired` or `overdue`, or an entry
 * (`order.overdue`, `order.minimum_reached`) that leaves the state as it is.
 */
export type LapseStep =
  | { readonly move: 'expired' | 'overdue' }
  | { readonly entry: 'order.overdue' | 'order.minimum_reached' };

/** How the lapse of an order of `kind` in `direction` and `state` is recorded, if a deadline runs there. */
export function lapseStepOf(kind: OrderKind, direction: Direction, state: string): LapseStep | undefined {
  switch (lapseOf(kind, direction, state)) {
    case 'expires':
      return { move: 'expired' };
    case 'overdue':
      return nextStates(kind, direction, state).includes('overdue')
        ? { move: 'overdue' }
        : { entry: 'order.overdue' };
    case 'minimum_reached':
      return { entry: 'order.minimum_reached' };
    default:
      return undefined;
  }
}

/** Every (kind, direction, state) in which a deadline runs: what the deadline sweep reads. */
export const RUNNING_DEADLINES: ReadonlyArray<{
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly state: string;
}> = ORDER_KINDS.flatMap((kind) =>
  DIRECTIONS.flatMap((direction) =>
    Object.keys(LAPSES[flowOf(kind, direction)]).map((state) => ({ kind, direction, state })),
  ),
);

/** An illegal move; carries both states for the problem body, and why when the table alone does not say. */
export class OrderTransitionError extends LedgerError {
  constructor(
    readonly kind: OrderKind,
    readonly direction: Direction,
    readonly from: string,
    readonly to: string,
    why?: string,
  ) {
    super(
      'ORDER_TRANSITION_INVALID',
      `A ${direction} ${kind} order cannot go from ${from} to ${to}${why ? `: ${why}` : ''}`,
    );
  }
}

/** Checks one move against the table of the order's kind and direction; returns the new state or throws ORDER_TRANSITION_INVALID. */
export function transition(kind: OrderKind, direction: Direction, from: string, to: string): string {
  if (!nextStates(kind, direction, from).includes(to))
    throw new OrderTransitionError(kind, direction, from, to);
  return to;
}
