import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header): one row per
 * caller and key, written in the transaction of the request's first log entry, so
 * a committed write can always be found again by its key, even after a crash
 * before the answer. The answer is added once it is known; rows are purged after
 * the retention period. Not part of the log: the service may update and delete rows.
 */
export class IdempotencyKeys1764440000000 implements MigrationInterface {
  name = 'IdempotencyKeys1764440000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE idempotency_keys (
        principal   text        NOT NULL,
        key         text        NOT NULL,
        fingerprint bytea       NOT NULL CHECK (octet_length(fingerprint) = 32),
        entry_index bigint      NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        status      smallint,
        location    text,
        body        text,
        PRIMARY KEY (principal, key),
        CHECK ((status IS NULL) = (body IS NULL))
      )`);
    await db.query('CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)');
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE idempotency_keys');
  }
}
