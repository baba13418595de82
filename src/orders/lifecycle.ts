import { LedgerError } from '../errors';

/**
 * The order kinds of api.md, each with the convention articles it implements:
 * preservation (UN Arts 25/42, Budapest 16/29), traffic_disclosure (UN 26/43,
 * Budapest 17/30), production (UN 27, Budapest 18), mla (UN 40/44, Budapest
 * 25-31), epoc and epoc_pr (EU Regulation 2023/1543).
 */
export const ORDER_KINDS = [
  'preservation',
  'traffic_disclosure',
  'production',
  'mla',
  'epoc',
  'epoc_pr',
] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

export const DIRECTIONS = ['incoming', 'outgoing', 'domestic'] as const;
export type Direction = (typeof DIRECTIONS)[number];

type Table = Readonly<Record<string, readonly string[]>>;

/**
 * Preservation, from the requested state's side (domain.md §6). Partial
 * disclosure of traffic data (Art. 43) is an action inside `preserved`, not a
 * state; a pending MLA request keeps the data preserved until it is decided.
 */
const PRESERVATION = {
  received: ['info_requested', 'under_assessment', 'withdrawn'],
  info_requested: ['under_assessment', 'withdrawn', 'closed'],
  under_assessment: ['refused', 'ordered', 'info_requested', 'withdrawn'],
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
  at_risk_notified: ['preserved', 'withdrawn', 'lifted'],
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

/** A domestic production order (Art. 27): issued, served on the holder, produced or objected to. */
const PRODUCTION = {
  issued: ['served', 'withdrawn'],
  served: ['produced', 'objected', 'expired', 'withdrawn'],
  objected: ['served', 'withdrawn', 'closed'],
  produced: ['closed'],
  expired: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/** Mutual legal assistance (Arts 40/44): assessed, possibly postponed, executed in whole or part. */
const MLA = {
  received: ['info_requested', 'under_assessment', 'withdrawn'],
  info_requested: ['under_assessment', 'withdrawn', 'closed'],
  under_assessment: ['accepted', 'refused', 'postponed', 'info_requested', 'withdrawn'],
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
 * deadline unless the enforcing authority raises a ground for refusal, or report
 * impossibility on the Annex III form.
 */
const EPOC = {
  received: ['enforcing_notified', 'produced', 'impossible', 'withdrawn'],
  enforcing_notified: ['produced', 'refused_by_enforcing', 'impossible', 'withdrawn'],
  produced: ['closed'],
  refused_by_enforcing: ['closed'],
  impossible: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

/** EPOC-PR (Annex II): 60 days, one 30-day extension (Annex VI), longer once production is confirmed (Annex V). */
const EPOC_PR = {
  received: ['preserved', 'impossible', 'withdrawn'],
  preserved: ['extended', 'production_confirmed', 'expired', 'lifted'],
  extended: ['production_confirmed', 'expired', 'lifted'],
  production_confirmed: ['produced', 'lifted'],
  produced: ['closed'],
  impossible: ['closed'],
  expired: ['closed'],
  lifted: ['closed'],
  withdrawn: ['closed'],
  closed: [],
} as const satisfies Table;

const TABLES: Readonly<Record<OrderKind, Table>> = {
  preservation: PRESERVATION,
  traffic_disclosure: TRAFFIC_DISCLOSURE,
  production: PRODUCTION,
  mla: MLA,
  epoc: EPOC,
  epoc_pr: EPOC_PR,
};

/** Where an order of `kind` starts. */
export function initialState(kind: OrderKind): string {
  return kind === 'production' ? 'issued' : 'received';
}

/** Every state of `kind`. */
export function statesOf(kind: OrderKind): string[] {
  return Object.keys(TABLES[kind]);
}

/** Every state of any kind, sorted: what a status filter may name. */
export const ORDER_STATUSES = [...new Set(ORDER_KINDS.flatMap(statesOf))].sort() as [string, ...string[]];

/** The states `kind` may move to from `from` (none for an unknown or final state). */
export function nextStates(kind: OrderKind, from: string): readonly string[] {
  return Object.hasOwn(TABLES[kind], from) ? (TABLES[kind][from] as readonly string[]) : [];
}

/** Final states accept no transition. */
export function isFinal(kind: OrderKind, state: string): boolean {
  return nextStates(kind, state).length === 0;
}

/**
 * What the passing of an order's deadline means in a state: the order
 * `expires` (a period that ends: preservation, EPOC-PR), or it is `overdue`
 * (someone failed to act in time, which is non-compliance and leaves the order
 * as it is: production, EPOC, MLA and traffic disclosure due dates; a
 * preservation period ending while the data are at risk; an EPOC-PR never
 * confirmed preserved). Undefined where no deadline runs (legal-requirements.md
 * rows 26 and 61).
 */
export type Lapse = 'expires' | 'overdue';

const LAPSES: Readonly<Record<OrderKind, Readonly<Record<string, Lapse>>>> = {
  preservation: {
    preserved: 'expires',
    extension_requested: 'expires',
    extended: 'expires',
    at_risk_notified: 'overdue',
  },
  traffic_disclosure: { received: 'overdue', info_requested: 'overdue', under_assessment: 'overdue' },
  production: { issued: 'overdue', served: 'overdue', objected: 'overdue' },
  mla: {
    received: 'overdue',
    info_requested: 'overdue',
    under_assessment: 'overdue',
    postponed: 'overdue',
    accepted: 'overdue',
    executing: 'overdue',
    partially_executed: 'overdue',
  },
  epoc: { received: 'overdue', enforcing_notified: 'overdue' },
  epoc_pr: { received: 'overdue', preserved: 'expires', extended: 'expires' },
};

/** What a passed deadline means for an order of `kind` in `state` (see `Lapse`). */
export function lapseOf(kind: OrderKind, state: string): Lapse | undefined {
  return Object.hasOwn(LAPSES[kind], state) ? LAPSES[kind][state] : undefined;
}

/** Every (kind, state) in which a deadline runs: the states the deadline sweep reads. */
export const RUNNING_DEADLINES: ReadonlyArray<{ readonly kind: OrderKind; readonly state: string }> =
  ORDER_KINDS.flatMap((kind) => Object.keys(LAPSES[kind]).map((state) => ({ kind, state })));

/** An illegal move; carries both states for the problem body. */
export class OrderTransitionError extends LedgerError {
  constructor(
    readonly kind: OrderKind,
    readonly from: string,
    readonly to: string,
  ) {
    super('ORDER_TRANSITION_INVALID', `A ${kind} order cannot go from ${from} to ${to}`);
  }
}

/** Checks one move against the kind's table; returns the new state or throws ORDER_TRANSITION_INVALID. */
export function transition(kind: OrderKind, from: string, to: string): string {
  if (!nextStates(kind, from).includes(to)) throw new OrderTransitionError(kind, from, to);
  return to;
}
