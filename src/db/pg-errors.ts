import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/**
 * The unique constraint a PostgreSQL error violated (SQLSTATE 23505), as
 * TypeORM wraps it; undefined for any other error. Repositories turn it into
 * their own error so that nothing above the database sees driver details.
 */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const driver = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driver?.code === '23505' ? (driver.constraint ?? '') : undefined;
}

/**
 * PostgreSQL's deadlock_detected (40P01) and serialization_failure (40001), as
 * TypeORM wraps them or bare: the transaction was chosen to give way and can
 * run again as it is.
 */
export function isLockConflict(error: unknown): boolean {
  const code =
    (error as { driverError?: { code?: unknown } } | undefined)?.driverError?.code ??
    (error as { code?: unknown } | undefined)?.code;
  return code === '40P01' || code === '40001';
}

/** SQLSTATE classes and codes of failures that pass: connection, resources, shutdown, cancellation, broken deadlocks. */
const TRANSIENT_SQLSTATE = /^(?:08|53|57P0[1-3]|57014|40001|40P01)/;
/** System errors of a connection or a volume that is gone or stalled, not of the request. */
const TRANSIENT_SYSCALL = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EIO',
  'EROFS',
]);
/** node-postgres's own words when it gives up on a connection. */
const POOL_GAVE_UP =
  /^(?:timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error and is not queryable)/;

/**
 * Whether an error is a dependency failing for a while (the database or the
 * evidence volume), not the request being wrong: the answer is then 503 with
 * Retry-After, never a 500 that reads like a bug.
 */
export function isTransientDependencyFailure(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    const { code, message, driverError } = cause as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
    };
    if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_SYSCALL.has(code)))
      return true;
    if (typeof message === 'string' && POOL_GAVE_UP.test(message)) return true;
    // A transaction whose connection the server ended (and the pool dropped) before its next statement or its commit.
    if (
      cause instanceof QueryRunnerProviderAlreadyReleasedError ||
      cause instanceof QueryRunnerAlreadyReleasedError
    )
      return true;
    cause = driverError ?? (cause as { cause?: unknown }).cause;
  }
  return false;
}
