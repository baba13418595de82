import type { FieldError } from '../errors';
import type { Direction, OrderKind } from './lifecycle';

/**
 * How an order relates to the order it follows from, so that the requests and
 * orders of one investigation are one matter (UN Arts 42(1), 43, 44(1);
 * Budapest Arts 29-31):
 * - `follows`: the same requesting side's next request in the same matter
 *   (an Art. 44 MLA request, or an Art. 43 request, after its Art. 42
 *   preservation request; our own MLA request after our preservation request).
 * - `executes`: the domestic order through which the requested state carries
 *   out an incoming request (UN 42(4) with 25(2); Budapest 29(3) with 16(2)).
 * - `onward_request`: our request to a third state where the traffic path
 *   leads (UN 43(1), Budapest 30(1)), or abroad from a domestic Art. 26 trace.
 */
export const RELATIONS = ['follows', 'executes', 'onward_request'] as const;
export type Relation = (typeof RELATIONS)[number];

/** Which states the two orders must name: the same requesting state, the same requested state, a third state, or none. */
type StateRule = 'same_requesting' | 'same_requested' | 'third_state' | 'none';

interface Side {
  readonly kinds: readonly OrderKind[];
  readonly direction: Direction;
}

interface RelationRule {
  readonly relation: Relation;
  /** The order followed from. */
  readonly related: Side;
  /** The order being registered. */
  readonly order: Side;
  readonly states: StateRule;
}

/** Which kind and direction may follow which: anything not listed is not one matter. */
const RULES: readonly RelationRule[] = [
  {
    relation: 'follows',
    related: { kinds: ['preservation'], direction: 'incoming' },
    order: { kinds: ['mla', 'traffic_disclosure'], direction: 'incoming' },
    states: 'same_requesting',
  },
  {
    relation: 'follows',
    related: { kinds: ['traffic_disclosure'], direction: 'incoming' },
    order: { kinds: ['mla'], direction: 'incoming' },
    states: 'same_requesting',
  },
  {
    relation: 'follows',
    related: { kinds: ['preservation', 'traffic_disclosure'], direction: 'outgoing' },
    order: { kinds: ['mla', 'traffic_disclosure'], direction: 'outgoing' },
    states: 'same_requested',
  },
  {
    relation: 'executes',
    related: { kinds: ['preservation', 'traffic_disclosure'], direction: 'incoming' },
    order: { kinds: ['preservation'], direction: 'domestic' },
    states: 'none',
  },
  {
    relation: 'executes',
    related: { kinds: ['mla'], direction: 'incoming' },
    order: { kinds: ['preservation', 'production'], direction: 'domestic' },
    states: 'none',
  },
  {
    relation: 'onward_request',
    related: { kinds: ['preservation', 'traffic_disclosure', 'mla'], direction: 'incoming' },
    order: { kinds: ['preservation', 'mla'], direction: 'outgoing' },
    states: 'third_state',
  },
  {
    relation: 'onward_request',
    related: { kinds: ['preservation'], direction: 'domestic' },
    order: { kinds: ['preservation', 'mla'], direction: 'outgoing' },
    states: 'none',
  },
];

/** What the relation check reads of either order. */
export interface MatterParty {
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly requestingState: string | null;
  readonly requestedState: string | null;
}

/**
 * Why `order` cannot follow `related` as `relation`, as field errors on the
 * submitted body (empty when it can). A state is compared only where both
 * orders name it, as for the MLA request that holds a preservation.
 */
export function relationProblems(related: MatterParty, order: MatterParty, relation: Relation): FieldError[] {
  const fits = (side: Side, party: MatterParty) =>
    side.kinds.includes(party.kind) && side.direction === party.direction;
  const rule = RULES.find((r) => r.relation === relation && fits(r.related, related) && fits(r.order, order));
  if (!rule) {
    const allowed = [
      ...new Set(
        RULES.filter((r) => fits(r.related, related) && fits(r.order, order)).map((r) => r.relation),
      ),
    ];
    return [{ pointer: '/relation', reason: 'relation_not_plausible', allowed }];
  }
  const differ = (a: string | null, b: string | null) => a !== null && b !== null && a !== b;
  switch (rule.states) {
    case 'same_requesting':
      return differ(related.requestingState, order.requestingState)
        ? [{ pointer: '/requestingState', reason: 'other_requesting_state' }]
        : [];
    case 'same_requested':
      return differ(related.requestedState, order.requestedState)
        ? [{ pointer: '/requestedState', reason: 'other_requested_state' }]
        : [];
    case 'third_state':
      if (order.requestedState === null)
        return [{ pointer: '/requestedState', reason: 'required_for_onward_request' }];
      return order.requestedState === related.requestingState
        ? [{ pointer: '/requestedState', reason: 'not_a_third_state' }]
        : [];
    case 'none':
      return [];
  }
}

/** International preservation states in which the requested state still holds the data (UN 42; Bud 29(7)). */
export const HOLDS_DATA: readonly string[] = [
  'preserved',
  'at_risk_notified',
  'extension_requested',
  'extended',
  'pending_mla_decision',
  'mla_refused',
];

/** Domestic preservation states in which the order is in force (its term runs). */
const IN_FORCE: readonly string[] = [
  'ordered',
  'preserved',
  'at_risk_notified',
  'extension_requested',
  'extended',
];

/** Whether a domestic preservation order in `status` is in force (its term runs). */
export function inForce(status: string): boolean {
  return IN_FORCE.includes(status);
}

/** Domestic preservation states before the order is made: it executes nothing yet. */
const NOT_YET_MADE: readonly string[] = ['received', 'info_requested', 'under_assessment'];

/** What the execution check reads of an order. */
export interface TermedOrder {
  readonly id: string;
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly status: string;
  readonly deadlineAt: Date | null;
  readonly lapseRecorded: boolean;
}

/**
 * Where the domestic execution of an international preservation stands (row
 * 13: UN 25(2) with 42(4); Bud 16(2) with 29(3)). The international request
 * holds the data for as long as its state says, with no end while an MLA
 * request is pending, but the domestic order that carries it out ends with
 * its term (at most 90 days, renewable). The central authority needs to know,
 * before the term ends, that it must renew it:
 * - `none`: no data are held, or the request is not an international preservation;
 * - `unexecuted`: data are held and no domestic order executing it has been made yet;
 * - `lapsed`: an executing order was made and none is in force any more (expired,
 *   lifted, withdrawn, or its term passed): the data are held without one;
 * - `renewal_needed`: the latest term in force ends before the international hold may end
 *   (the hold is open-ended while an MLA request is pending, or its minimum
 *   period is reached): renew by `renewBy`;
 * - `in_force`: a term in force outlasts the hold's current floor.
 */
export type ExecutionStanding =
  | { readonly standing: 'none' | 'unexecuted' | 'lapsed' }
  | { readonly standing: 'renewal_needed' | 'in_force'; readonly renewBy: Date | null };

export function executionStanding(
  international: TermedOrder,
  executing: readonly TermedOrder[],
  now: Date,
): ExecutionStanding {
  if (international.kind !== 'preservation' || international.direction !== 'incoming')
    return { standing: 'none' };
  if (!HOLDS_DATA.includes(international.status)) return { standing: 'none' };
  const domestic = executing.filter((o) => o.kind === 'preservation' && o.direction === 'domestic');
  const terms = domestic
    .filter((o) => IN_FORCE.includes(o.status) && (o.deadlineAt === null || o.deadlineAt > now))
    .map((o) => o.deadlineAt);
  if (terms.length === 0)
    return { standing: domestic.every((o) => NOT_YET_MADE.includes(o.status)) ? 'unexecuted' : 'lapsed' };
  // An order in force without a term end yet (ordered, not preserved) holds open-endedly for now.
  const renewBy = terms.some((t) => t === null)
    ? null
    : new Date(Math.max(...terms.map((t) => (t as Date).getTime())));
  const openEnded = !['preserved', 'at_risk_notified', 'extension_requested', 'extended'].includes(
    international.status,
  );
  const holdFloor = openEnded || international.lapseRecorded ? null : international.deadlineAt;
  const endsFirst = renewBy !== null && (holdFloor === null || renewBy < holdFloor);
  return { standing: endsFirst ? 'renewal_needed' : 'in_force', renewBy };
}
