import type { DataSource } from 'typeorm';
import type { IdempotencyClaim } from '../log/idempotency-claim';
import { changedRows, type Queryable } from './log.repository';

/** A key found again: the request it was first used for, and the answer given, once known. */
export interface StoredIdempotencyKey {
  readonly fingerprint: Uint8Array;
  readonly entryIndex: number;
  readonly answer?: { readonly status: number; readonly location: string | null; readonly body: string };
}

interface KeyRow {
  fingerprint: Buffer;
  entry_index: string;
  status: number | null;
  location: string | null;
  body: string | null;
}

/** SQL for `idempotency_keys` (see the migration for why the rows live outside the log). */
export class IdempotencyRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Inside a batch: claims the keys with the entries they were claimed with.
   * Returns the claims that lost to a row committed first (another process's
   * request with the same key); nothing is written for those.
   */
  async claim(
    tx: Queryable,
    claims: ReadonlyArray<{ claim: IdempotencyClaim; entryIndex: number }>,
  ): Promise<Set<IdempotencyClaim>> {
    if (claims.length === 0) return new Set();
    const won: Array<{ principal: string; key: string }> = await tx.query(
      `INSERT INTO idempotency_keys (principal, key, fingerprint, entry_index)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[])
       ON CONFLICT DO NOTHING
       RETURNING principal, key`,
      [
        claims.map(({ claim }) => claim.principal),
        claims.map(({ claim }) => claim.key),
        claims.map(({ claim }) => Buffer.from(claim.fingerprint)),
        claims.map(({ entryIndex }) => entryIndex),
      ],
    );
    const inserted = new Set(won.map((row) => `${row.principal}\n${row.key}`));
    return new Set(
      claims
        .filter(({ claim }) => !inserted.has(`${claim.principal}\n${claim.key}`))
        .map(({ claim }) => claim),
    );
  }

  /** The key as stored, unless it is older than `notBefore` (past retention: as good as gone). */
  async find(principal: string, key: string, notBefore: Date): Promise<StoredIdempotencyKey | undefined> {
    const rows: KeyRow[] = await this.db.query(
      `SELECT fingerprint, entry_index, status, location, body FROM idempotency_keys
        WHERE principal = $1 AND key = $2 AND created_at >= $3`,
      [principal, key, notBefore],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      fingerprint: new Uint8Array(row.fingerprint),
      entryIndex: Number(row.entry_index),
      ...(row.status !== null && row.body !== null
        ? { answer: { status: row.status, location: row.location, body: row.body } }
        : {}),
    };
  }

  /** Keeps the answer given to the request that claimed the key, for its retries. */
  async answer(
    principal: string,
    key: string,
    answer: { status: number; location: string | null; body: string },
  ): Promise<void> {
    await this.db.query(
      'UPDATE idempotency_keys SET status = $3, location = $4, body = $5 WHERE principal = $1 AND key = $2',
      [principal, key, answer.status, answer.location, answer.body],
    );
  }

  /** Forgets keys created before `before`; returns how many. */
  async purge(before: Date): Promise<number> {
    return changedRows(this.db, 'DELETE FROM idempotency_keys WHERE created_at < $1', [before]);
  }
}
