import type { Direction, OrderKind } from './lifecycle';

/**
 * The periods deadlines are made of. Domestic law differs, so they are
 * configuration; the defaults are the conventions' (domain.md §7). The
 * optional ones take their defaults when not configured.
 */
export interface DeadlinePeriods {
  /** UN Art. 42 / Budapest Art. 29(7): international preservation lasts at least this long. */
  readonly internationalPreservationDays: number;
  /** UN Art. 25 / Budapest Art. 16(2): one domestic preservation order lasts at most this long; renewable. */
  readonly domesticPreservationDays: number;
  /** Reg. 2023/1543 Art. 10(1): EPOC production. */
  readonly epocDays: number;
  /** Reg. 2023/1543 Art. 10(4): EPOC production in an emergency. */
  readonly epocEmergencyHours: number;
  /** Reg. 2023/1543 Art. 11: EPOC-PR preservation, and its one extension. */
  readonly epocPrDays: number;
  readonly epocPrExtensionDays: number;
  /**
   * Reg. 2023/1543 Arts 10(2), 12(1): the enforcing authority's window to raise
   * grounds for refusal, counted from the EPOC's receipt (the notification
   * goes with the EPOC, Art. 8(1)); 96 hours in an emergency (Art. 10(4)).
   */
  readonly enforcingDays?: number;
  readonly enforcingEmergencyHours?: number;
  /**
   * Art. 10(2) has the data transmitted at the end of the enforcing window;
   * how long after that end the transmission is overdue (practice, not law).
   */
  readonly epocTransmitHours?: number;
  /**
   * How soon an urgent, or an emergency, request received through the 24/7
   * point of contact must be answered (an order, a refusal or a request for
   * information). The conventions say "expeditiously" (UN Arts 41-42,
   * Budapest Arts 29(3), 35); the hours are practice, not law.
   */
  readonly urgentActByHours?: number;
  readonly emergencyActByHours?: number;
  /**
   * How long after an urgent request sent through an expedited channel its
   * formal confirmation is due (Bud 25(3), 27(9); UN 40(14) say "followed";
   * the days are practice, not law).
   */
  readonly formalConfirmationDays?: number;
}

export const DEFAULT_PERIODS: Required<DeadlinePeriods> = Object.freeze({
  internationalPreservationDays: 60,
  domesticPreservationDays: 90,
  epocDays: 10,
  epocEmergencyHours: 8,
  epocPrDays: 60,
  epocPrExtensionDays: 30,
  enforcingDays: 10,
  enforcingEmergencyHours: 96,
  epocTransmitHours: 24,
  urgentActByHours: 24,
  emergencyActByHours: 8,
  formalConfirmationDays: 30,
});

/** The facts of an order that its deadline depends on. */
export interface OrderTimeline {
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly status: string;
  readonly channel: string;
  readonly urgency: 'normal' | 'urgent' | 'emergency';
  readonly receivedAt: Date;
  /** When the data were preserved (preservation). */
  readonly preservedAt: Date | null;
  /** How many extensions (or, domestically, renewals) were granted. */
  readonly extensions: number;
  /** An MLA request is pending (international preservation) or production was confirmed (EPOC-PR): keep until decided. */
  readonly heldUntilDecided: boolean;
  /** A deadline the requester asked for (production, MLA, traffic disclosure). */
  readonly requestedBy: Date | null;
  /** EPOC: the enforcing authority was notified (Reg. 2023/1543 Art. 8). */
  readonly enforcingNotified: boolean;
  /** An Art. 44 request states that the data are vulnerable to loss or modification (UN 44(3), Bud 31(3)). */
  readonly dataVulnerable?: boolean;
}

export type DeadlineRule =
  | 'act_by'
  | 'preserve_at_least_until'
  | 'preservation_order_ends'
  | 'preserve_until_decided'
  | 'produce_by'
  | 'requested_by'
  | 'enforcing_window_ends';

/** What is due when; `at` is null only for "until decided", which never lapses. */
export interface Deadline {
  readonly rule: DeadlineRule;
  readonly at: Date | null;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const after = (start: Date, ms: number): Date => new Date(start.getTime() + ms);

/**
 * The order's current deadline, or null when it has none (yet): the earlier
 * of its legal deadline and, for an urgent 24/7 request not yet answered,
 * the time by which to act. Deadlines are instants: periods are added to the
 * starting instant in exact days (24 h) or hours, so neither time zones nor
 * leap years nor daylight saving change them.
 */
export function deadlineOf(
  timeline: OrderTimeline,
  periods: DeadlinePeriods = DEFAULT_PERIODS,
): Deadline | null {
  const all = { ...DEFAULT_PERIODS, ...periods };
  const legal = legalDeadline(timeline, all);
  const answer = actBy(timeline, all);
  if (!answer || legal?.at === null) return legal;
  return !legal || (answer.at as Date) < legal.at ? answer : legal;
}

function legalDeadline(timeline: OrderTimeline, periods: Required<DeadlinePeriods>): Deadline | null {
  switch (timeline.kind) {
    case 'preservation': {
      // A domestic order ends with its term, whatever else is pending (UN Art. 25(2)).
      const domestic = timeline.direction === 'domestic';
      if (timeline.heldUntilDecided && !domestic) return { rule: 'preserve_until_decided', at: null };
      if (!timeline.preservedAt) return null;
      const days = domestic ? periods.domesticPreservationDays : periods.internationalPreservationDays;
      return {
        rule: domestic ? 'preservation_order_ends' : 'preserve_at_least_until',
        at: after(timeline.preservedAt, days * DAY * (1 + timeline.extensions)),
      };
    }
    case 'epoc': {
      // Asked back for clarification: the production deadlines do not run until it comes (Reg. 2023/1543 Art. 10(5)).
      if (timeline.status === 'clarification_requested') return null;
      if (timeline.urgency === 'emergency')
        return { rule: 'produce_by', at: after(timeline.receivedAt, periods.epocEmergencyHours * HOUR) };
      // Notified and not confirmed: the data go when the enforcing window ends (Art. 10(2)).
      if (timeline.status === 'enforcing_notified') {
        const window = enforcingWindow(timeline, periods).at as Date;
        return { rule: 'produce_by', at: after(window, periods.epocTransmitHours * HOUR) };
      }
      return { rule: 'produce_by', at: after(timeline.receivedAt, periods.epocDays * DAY) };
    }
    case 'epoc_pr': {
      if (timeline.heldUntilDecided) return { rule: 'preserve_until_decided', at: null };
      // From receipt, whenever the provider confirmed preservation (Art. 11(1)).
      const extension = Math.min(timeline.extensions, 1) * periods.epocPrExtensionDays;
      return {
        rule: 'preservation_order_ends',
        at: after(timeline.receivedAt, (periods.epocPrDays + extension) * DAY),
      };
    }
    default:
      return timeline.requestedBy ? { rule: 'requested_by', at: timeline.requestedBy } : null;
  }
}

/** Kinds a 24/7 point of contact receives (UN Art. 41, Budapest Art. 35). */
const POINT_OF_CONTACT_KINDS: readonly OrderKind[] = [
  'preservation',
  'traffic_disclosure',
  'mla',
  'assistance_24_7',
];
/** States in which the requested side has not yet answered a request. */
const UNANSWERED = ['received', 'under_assessment'];

/**
 * The time by which an urgent incoming 24/7 request must be answered, while it
 * is not (legal-requirements rows 5, 61); and an incoming Art. 44 request whose
 * data are vulnerable to loss or modification, through whatever channel, as
 * an urgent one (UN 44(3), Bud 31(3): "on an expedited basis"; row 41).
 */
function actBy(timeline: OrderTimeline, periods: Required<DeadlinePeriods>): Deadline | null {
  if (
    timeline.dataVulnerable === true &&
    timeline.kind === 'mla' &&
    timeline.direction === 'incoming' &&
    UNANSWERED.includes(timeline.status)
  ) {
    const hours = timeline.urgency === 'emergency' ? periods.emergencyActByHours : periods.urgentActByHours;
    return { rule: 'act_by', at: after(timeline.receivedAt, hours * HOUR) };
  }
  if (
    timeline.direction !== 'incoming' ||
    timeline.channel !== '24/7' ||
    // The 24/7 point's own assistance is urgent by nature (UN Art. 41(1): "immediate assistance").
    (timeline.urgency === 'normal' && timeline.kind !== 'assistance_24_7') ||
    !POINT_OF_CONTACT_KINDS.includes(timeline.kind) ||
    !UNANSWERED.includes(timeline.status)
  )
    return null;
  const hours = timeline.urgency === 'emergency' ? periods.emergencyActByHours : periods.urgentActByHours;
  return { rule: 'act_by', at: after(timeline.receivedAt, hours * HOUR) };
}

/**
 * The end of the enforcing authority's window to raise grounds for refusal of
 * an EPOC: 10 days from receipt, 96 hours in an emergency (Reg. 2023/1543
 * Arts 10(2), 10(4), 12(1)).
 */
export function enforcingWindow(
  timeline: OrderTimeline,
  periods: DeadlinePeriods = DEFAULT_PERIODS,
): Deadline {
  const all = { ...DEFAULT_PERIODS, ...periods };
  const length =
    timeline.urgency === 'emergency' ? all.enforcingEmergencyHours * HOUR : all.enforcingDays * DAY;
  return { rule: 'enforcing_window_ends', at: after(timeline.receivedAt, length) };
}

/** Whether a deadline has passed at `now` ("until decided" never lapses). */
export function hasLapsed(deadline: Deadline | null, now: Date): boolean {
  return deadline?.at != null && deadline.at.getTime() <= now.getTime();
}
