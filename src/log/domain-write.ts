import type { EntityManager } from 'typeorm';

/**
 * Writes the domain rows of many requests of one kind at once (one statement,
 * not one per request). The sequencer groups a batch's requests by writer, so a
 * hundred case openings cost one INSERT, inside the transaction of their log entries.
 */
export interface DomainWriter<T> {
  writeAll(tx: EntityManager, values: readonly T[]): Promise<void>;
}

/** One request's domain write: a value for a writer. */
export interface DomainWrite {
  readonly writer: DomainWriter<never>;
  readonly value: unknown;
}

export function domainWrite<T>(writer: DomainWriter<T>, value: T): DomainWrite {
  return { writer: writer as DomainWriter<never>, value };
}

/**
 * The values in the order a writer must lock their rows: by `key`, keeping
 * the request order among values of one key (they change the same row in
 * turn). Two batches in flight that lock the same rows in this one order
 * wait for each other instead of deadlocking.
 */
export function inLockOrder<T>(values: readonly T[], key: (value: T) => string): T[] {
  return values
    .map((value, i) => ({ value, i, key: key(value) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map(({ value }) => value);
}
