import type { Direction, OrderKind } from './lifecycle';

/**
 * The periods deadlines are made of. Domestic law differs, so they are
 * configuration; the defaults are the conventions' (domain.md §7).
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
}

export const DEFAULT_PERIODS: DeadlinePeriods = Object.freeze({
  internationalPreservationDays: 60,
  domesticPreservationDays: 90,
  epocDays: 10,
  epocEmergencyHours: 8,
  epocPrDays: 60,
  epocPrExtensionDays: 30,
});

/** The facts of an order that its deadline depends on. */
export interface OrderTimeline {
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly emergency: boolean;
  readonly receivedAt: Date;
  /** When the data were preserved (preservation, EPOC-PR). */
  readonly preservedAt: Date | null;
  /** How many extensions (or, domestically, renewals) were granted. */
  readonly extensions: number;
  /** An MLA request is pending (preservation) or production was confirmed (EPOC-PR): keep until decided. */
  readonly heldUntilDecided: boolean;
  /** A deadline the requester asked for (production, MLA, traffic disclosure). */
  readonly requestedBy: Date | null;
}

export type DeadlineRule =
  | 'preserve_at_least_until'
  | 'preservation_order_ends'
  | 'preserve_until_decided'
  | 'produce_by'
  | 'requested_by';

/** What is due when; `at` is null only for "until decided", which no sweep may expire. */
export interface Deadline {
  readonly rule: DeadlineRule;
  readonly at: Date | null;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The order's current deadline, or null when it has none (yet). Deadlines are
 * instants: periods are added to the starting instant in exact days (24 h)
 * or hours, so neither time zones nor leap years nor daylight saving change them.
 */
export function deadlineOf(
  timeline: OrderTimeline,
  periods: DeadlinePeriods = DEFAULT_PERIODS,
): Deadline | null {
  const after = (start: Date, ms: number): Date => new Date(start.getTime() + ms);
  switch (timeline.kind) {
    case 'preservation': {
      if (timeline.heldUntilDecided) return { rule: 'preserve_until_decided', at: null };
      if (!timeline.preservedAt) return null;
      const domestic = timeline.direction === 'domestic';
      const days = domestic ? periods.domesticPreservationDays : periods.internationalPreservationDays;
      return {
        rule: domestic ? 'preservation_order_ends' : 'preserve_at_least_until',
        at: after(timeline.preservedAt, days * DAY * (1 + timeline.extensions)),
      };
    }
    case 'epoc':
      return {
        rule: 'produce_by',
        at: after(
          timeline.receivedAt,
          timeline.emergency ? periods.epocEmergencyHours * HOUR : periods.epocDays * DAY,
        ),
      };
    case 'epoc_pr': {
      if (timeline.heldUntilDecided) return { rule: 'preserve_until_decided', at: null };
      const start = timeline.preservedAt ?? timeline.receivedAt;
      const extension = Math.min(timeline.extensions, 1) * periods.epocPrExtensionDays;
      return { rule: 'preservation_order_ends', at: after(start, (periods.epocPrDays + extension) * DAY) };
    }
    default:
      return timeline.requestedBy ? { rule: 'requested_by', at: timeline.requestedBy } : null;
  }
}

/** Whether a deadline has passed at `now` ("until decided" never lapses). */
export function hasLapsed(deadline: Deadline | null, now: Date): boolean {
  return deadline?.at != null && deadline.at.getTime() <= now.getTime();
}
