import { LedgerError } from '../errors';
import {
  type Deadline,
  type DeadlinePeriods,
  deadlineOf,
  enforcingWindow,
  hasLapsed,
  type OrderTimeline,
} from './deadlines';
import {
  isExtension,
  type LapseStep,
  lapseStepOf,
  nextStates,
  OrderTransitionError,
  transition,
} from './lifecycle';

/**
 * A move refused for when it is made: after the deadline it had to beat
 * (ORDER_DEADLINE_PASSED), or before the one it must wait for
 * (ORDER_DEADLINE_NOT_REACHED). Carries both states and that deadline.
 */
export class OrderDeadlineError extends LedgerError {
  constructor(
    code: 'ORDER_DEADLINE_PASSED' | 'ORDER_DEADLINE_NOT_REACHED',
    readonly from: string,
    readonly to: string,
    readonly deadline: Deadline | null,
  ) {
    const when = deadline?.at ? `${deadline.rule} ${deadline.at.toISOString()}` : 'no deadline';
    super(
      code,
      code === 'ORDER_DEADLINE_PASSED'
        ? `The move from ${from} to ${to} had to come before the deadline (${when})`
        : `The move from ${from} to ${to} must wait for the deadline (${when})`,
    );
  }
}

/** An order's timeline, and whether the lapse of its current deadline is on its chain already. */
export interface TimedOrder extends OrderTimeline {
  readonly lapseRecorded: boolean;
}

/**
 * Checks a move against the table of the order's kind and direction and
 * against the clock, when it is made and not only when the sweep next runs
 * (legal-requirements row 63):
 * - extensions come before the period ends (rows 12, 54);
 * - once a deadline whose lapse is a move has passed (a period that ends, a
 *   production order's date), the order is in that lapse state whether or not
 *   the sweep has recorded it: the move goes on from there, taking the lapse
 *   first, or is refused if it was only possible before;
 * - `expired` and `overdue` wait for the deadline: a floor is not cut short
 *   (row 10), and no one is late before the date;
 * - the EPOC enforcing authority's window (row 51): production waits for its
 *   end unless the authority confirmed, or it is an emergency; the
 *   authority's refusal, and its objection after an emergency production,
 *   come within it.
 * Returns the lapse the move records before itself, as the sweep would have
 * (a move into the lapse state, or an `order.overdue` or
 * `order.minimum_reached` entry not yet on the chain), or undefined.
 */
export function admitMove(
  order: TimedOrder,
  to: string,
  now: Date,
  periods?: DeadlinePeriods,
): LapseStep | undefined {
  const { kind, direction, status: from } = order;
  const deadline = deadlineOf(order, periods);
  const lapsed = hasLapsed(deadline, now);
  const step = lapsed ? lapseStepOf(kind, direction, from) : undefined;
  const passed = () => new OrderDeadlineError('ORDER_DEADLINE_PASSED', from, to, deadline);
  if (step && 'move' in step && to !== step.move) {
    if (nextStates(kind, direction, step.move).includes(to)) return step;
    transition(kind, direction, from, to);
    throw passed();
  }
  transition(kind, direction, from, to);
  if (kind === 'epoc') checkEnforcingWindow(order, to, now, periods);
  if ((to === 'expired' || to === 'overdue') && !lapsed)
    throw new OrderDeadlineError('ORDER_DEADLINE_NOT_REACHED', from, to, deadline);
  if (lapsed && isExtension(to)) throw passed();
  return step && 'entry' in step && !order.lapseRecorded ? step : undefined;
}

function checkEnforcingWindow(order: TimedOrder, to: string, now: Date, periods?: DeadlinePeriods): void {
  const window = enforcingWindow(order, periods);
  const open = !hasLapsed(window, now);
  const emergency = order.urgency === 'emergency';
  // A certificate sent back for clarification after the notification still waits for the window's end.
  const notified =
    order.status === 'enforcing_notified' ||
    (order.status === 'clarification_requested' && order.enforcingNotified);
  if (notified && to === 'produced' && !emergency && open)
    throw new OrderDeadlineError('ORDER_DEADLINE_NOT_REACHED', order.status, to, window);
  // Back from clarification, only an authority that was notified can have confirmed (Art. 10(2)).
  if (to === 'enforcing_confirmed' && !order.enforcingNotified)
    throw new OrderTransitionError(
      order.kind,
      order.direction,
      order.status,
      to,
      'the enforcing authority was not notified',
    );
  if (to === 'refused_by_enforcing' && !open)
    throw new OrderDeadlineError('ORDER_DEADLINE_PASSED', order.status, to, window);
  if (to === 'deletion_or_restriction_required') {
    // Only an emergency production precedes the enforcing authority's decision (Art. 10(4)).
    if (!emergency || !order.enforcingNotified)
      throw new OrderTransitionError(order.kind, order.direction, order.status, to);
    if (!open) throw new OrderDeadlineError('ORDER_DEADLINE_PASSED', order.status, to, window);
  }
}

/**
 * The moves `admitMove` may admit now: the table's next states and, where a
 * lapse that is a move has passed, those after its lapse state. Each is
 * still to be checked by `admitMove`.
 */
export function moveCandidates(order: TimedOrder, now: Date, periods?: DeadlinePeriods): string[] {
  const { kind, direction, status: from } = order;
  const step = hasLapsed(deadlineOf(order, periods), now) ? lapseStepOf(kind, direction, from) : undefined;
  return [
    ...new Set([
      ...nextStates(kind, direction, from),
      ...(step && 'move' in step ? nextStates(kind, direction, step.move) : []),
    ]),
  ];
}
