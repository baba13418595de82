import { Temporal } from '@js-temporal/polyfill';

/** An instant as the clock on the wall shows it in one zone. */
export interface LocalTime {
  readonly zone: string;
  /** ISO 8601 with the zone's offset at that instant (`2026-12-12T00:00:00+01:00`), to the millisecond. */
  readonly at: string;
}

/**
 * `at` in each of `zones` (each once, in the order given): a deadline shown
 * both where the service runs and where the request came from (design §5,
 * legal-requirements row 59). Empty when there is no instant.
 */
export function localTimes(at: Date | null, zones: readonly string[]): LocalTime[] {
  if (!at) return [];
  const instant = Temporal.Instant.fromEpochMilliseconds(at.getTime());
  return [...new Set(zones)].map((zone) => ({
    zone,
    at: instant.toZonedDateTimeISO(zone).toString({ timeZoneName: 'never' }),
  }));
}
