import { Temporal } from '@js-temporal/polyfill';
import { ValidationError } from '../errors';

/**
 * The IANA time zone named by `name`, in its canonical spelling
 * (`europe/berlin` is `Europe/Berlin`), or undefined when there is none such.
 * Offsets (`+04:00`) are not zones: they know no daylight saving time.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(name)) return undefined;
  try {
    return Temporal.Now.zonedDateTimeISO(name).timeZoneId;
  } catch {
    return undefined;
  }
}

/**
 * Where a stated event time comes from: the record that shows when the event
 * happened, not the moment it was typed in (legal-requirements row 14).
 */
export const EVENT_TIME_SOURCES = [
  '24/7_desk_log',
  'email',
  'fax',
  'eu_decentralised_system',
  'custodian_statement',
  'registry',
  'other',
] as const;

export type EventTimeSource = (typeof EVENT_TIME_SOURCES)[number];

/** A time stated for an event that starts a clock, with its source and why it is stated. */
export interface StatedEventTime {
  readonly at: Date;
  readonly source: EventTimeSource;
  readonly reason: string;
}

/**
 * How far back an event time may be stated. The clock of a request starts at
 * its receipt (Reg. 2023/1543 Art. 10(2)-(4) "following the receipt"; UN
 * Art. 42; Budapest Art. 29), which is recorded when the request is entered,
 * often later; a month covers a request or a custodian's statement entered
 * late, and an earlier date is more likely a typing error than a late entry.
 */
export const EVENT_TIME_MAX_AGE_DAYS = 30;

/**
 * Checks a stated event time against `now`: never later than now
 * (`in_the_future`), not more than `EVENT_TIME_MAX_AGE_DAYS` before it
 * (`too_far_in_the_past`), and not before `notBefore` when given
 * (`before_receipt`: preservation cannot precede the request). `pointer` names
 * the time's field.
 */
export function checkEventTime(stated: Date, now: Date, pointer: string, notBefore?: Date): void {
  const earliest = Temporal.Instant.fromEpochMilliseconds(now.getTime()).subtract({
    hours: 24 * EVENT_TIME_MAX_AGE_DAYS,
  }).epochMilliseconds;
  const reason =
    stated.getTime() > now.getTime()
      ? 'in_the_future'
      : stated.getTime() < earliest
        ? 'too_far_in_the_past'
        : notBefore && stated.getTime() < notBefore.getTime()
          ? 'before_receipt'
          : undefined;
  if (reason) throw new ValidationError([{ pointer, reason }]);
}

/**
 * A stated event time from a body's `<name>`, `<name>Source` and
 * `<name>Reason`: all three or none (a time without its source and reason is
 * an assertion nobody can check). Undefined when none is given.
 */
export function statedEventTime(
  name: string,
  fields: { at?: string | undefined; source?: EventTimeSource | undefined; reason?: string | undefined },
): StatedEventTime | undefined {
  const { at, source, reason } = fields;
  if (at === undefined && source === undefined && reason === undefined) return undefined;
  if (at !== undefined && source !== undefined && reason !== undefined)
    return { at: new Date(at), source, reason };
  const missing = [
    ...(at === undefined ? [name] : []),
    ...(source === undefined ? [`${name}Source`] : []),
    ...(reason === undefined ? [`${name}Reason`] : []),
  ];
  throw new ValidationError(missing.map((field) => ({ pointer: `/${field}`, reason: 'stated_together' })));
}
