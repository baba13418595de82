import { Temporal } from '@js-temporal/polyfill';
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
  /**
   * The public holidays of the member state where the EU order is executed,
   * as ISO dates (`2026-12-31`): a period in days of Reg. 2023/1543 that
   * would end on one ends on the next working day (Reg. 1182/71 Arts 2(1),
   * 3(4)). Domestic law lists them; none by default.
   */
  readonly publicHolidays?: readonly string[];
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
  publicHolidays: [],
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
  /**
   * The IANA time zone of the source (the requesting authority's, or the
   * deployment's): periods in days are calendar days in it. UTC when not given.
   */
  readonly timeZone?: string;
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

/**
 * Periods in hours are exact hours from the event, whatever the calendar or
 * the day of the week (Reg. 2023/1543 Art. 10(4): "within eight hours";
 * Art. 12(1): 96 hours). Reg. 1182/71 Art. 3(1) would leave the hour of the
 * event out and so end up to an hour later; the exact hours never end later
 * than the law's, and an emergency is no place for the extra hour.
 */
const hoursAfter = (start: Date, hours: number): Date =>
  new Date(Temporal.Instant.fromEpochMilliseconds(start.getTime()).add({ hours }).epochMilliseconds);

const zoned = (instant: Date, timeZone: string): Temporal.ZonedDateTime =>
  Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(timeZone);

/**
 * `days` calendar days after `start` in `timeZone`, at the same local time: a
 * change to or from daylight saving time on the way does not shift the hour
 * (an hour that does not exist that day is taken as the one after it).
 * The UN and Budapest periods (UN Arts 25, 42; Budapest Arts 16(2), 29(7)).
 */
function calendarDaysAfter(start: Date, days: number, timeZone: string): Date {
  return new Date(zoned(start, timeZone).add({ days }).epochMilliseconds);
}

/**
 * The end of a period of `days` days of EU law counted from `event`, as
 * Reg. (EEC, Euratom) 1182/71 Art. 3 counts it, in `timeZone`, for the
 * periods of Reg. 2023/1543 in days (Arts 10(1), 10(2), 11(1), 12(1)):
 * - the day of the event does not count (Art. 3(1)): the period starts at
 *   the beginning of the first hour of the next day (Art. 3(2)(b));
 * - it ends with the last hour of its last day (Art. 3(2)(b)): the deadline
 *   is the first instant of the day after;
 * - Saturdays, Sundays and public holidays count (Art. 3(3)), but a period
 *   whose last day is one ends with the next working day (Art. 3(4));
 * - a period of two days or more holds at least two working days (Art. 3(5)).
 * Periods in hours are not counted this way: see `hoursAfter`.
 */
function euDaysAfter(event: Date, days: number, timeZone: string, holidays: readonly string[]): Date {
  const off = new Set(holidays);
  const working = (day: Temporal.PlainDate) => day.dayOfWeek <= 5 && !off.has(day.toString());
  const first = zoned(event, timeZone).toPlainDate().add({ days: 1 });
  let last = first.add({ days: days - 1 });
  while (!working(last)) last = last.add({ days: 1 });
  if (days >= 2) {
    let workingDays = 0;
    for (let day = first; Temporal.PlainDate.compare(day, last) <= 0; day = day.add({ days: 1 }))
      if (working(day)) workingDays++;
    while (workingDays < 2) {
      last = last.add({ days: 1 });
      if (working(last)) workingDays++;
    }
  }
  return new Date(last.add({ days: 1 }).toZonedDateTime({ timeZone }).epochMilliseconds);
}

/**
 * The order's current deadline, or null when it has none (yet): the earlier
 * of its legal deadline and, for an urgent 24/7 request not yet answered,
 * the time by which to act. Deadlines are instants; periods in hours are
 * exact hours, periods in days are calendar days in the order's time zone
 * (leap days count, daylight saving does not move the hour), and those of
 * the EU instrument end as Reg. 1182/71 Art. 3 has them end (`euDaysAfter`).
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
        at: calendarDaysAfter(timeline.preservedAt, days * (1 + timeline.extensions), zoneOf(timeline)),
      };
    }
    case 'epoc': {
      // Asked back for clarification: the production deadlines do not run until it comes (Reg. 2023/1543 Art. 10(5)).
      if (timeline.status === 'clarification_requested') return null;
      if (timeline.urgency === 'emergency')
        return { rule: 'produce_by', at: hoursAfter(timeline.receivedAt, periods.epocEmergencyHours) };
      // Notified and not confirmed: the data go when the enforcing window ends (Art. 10(2)).
      if (timeline.status === 'enforcing_notified') {
        const window = enforcingWindow(timeline, periods).at as Date;
        return { rule: 'produce_by', at: hoursAfter(window, periods.epocTransmitHours) };
      }
      return { rule: 'produce_by', at: euDays(timeline, periods.epocDays, periods) };
    }
    case 'epoc_pr': {
      if (timeline.heldUntilDecided) return { rule: 'preserve_until_decided', at: null };
      // From receipt, whenever the provider confirmed preservation (Art. 11(1)); the
      // extension lengthens the same period, so the 90 days are counted from receipt too.
      const extension = Math.min(timeline.extensions, 1) * periods.epocPrExtensionDays;
      return {
        rule: 'preservation_order_ends',
        at: euDays(timeline, periods.epocPrDays + extension, periods),
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
    return { rule: 'act_by', at: hoursAfter(timeline.receivedAt, hours) };
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
  return { rule: 'act_by', at: hoursAfter(timeline.receivedAt, hours) };
}

const zoneOf = (timeline: OrderTimeline): string => timeline.timeZone ?? 'UTC';

/** A period of the EU instrument in days, from the order's receipt (Reg. 1182/71 Art. 3). */
const euDays = (timeline: OrderTimeline, days: number, periods: Required<DeadlinePeriods>): Date =>
  euDaysAfter(timeline.receivedAt, days, zoneOf(timeline), periods.publicHolidays);

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
  const at =
    timeline.urgency === 'emergency'
      ? hoursAfter(timeline.receivedAt, all.enforcingEmergencyHours)
      : euDays(timeline, all.enforcingDays, all);
  return { rule: 'enforcing_window_ends', at };
}

/** Whether a deadline has passed at `now` ("until decided" never lapses). */
export function hasLapsed(deadline: Deadline | null, now: Date): boolean {
  return deadline?.at != null && deadline.at.getTime() <= now.getTime();
}
