import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Resumable evidence uploads (the tus protocol): one row per upload, from its
 * creation to its commit as an evidence item. The row is what every process of
 * a deployment agrees on: who created the upload (only that principal may see
 * or continue it), what was declared for it, and its state. `receiving` to
 * `completing` is taken by one process at a time, under a lease that a later
 * request may take over once it ran out; `committed` names the evidence item.
 * Not part of the log: the service updates and deletes these rows (expiry).
 */
export class ResumableUploads1764460000000 implements MigrationInterface {
  name = 'ResumableUploads1764460000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE evidence_uploads (
        id               uuid PRIMARY KEY,
        case_id          uuid NOT NULL REFERENCES cases (id),
        created_by       text NOT NULL REFERENCES principals (sub),
        metadata         jsonb NOT NULL,
        original_filename text,
        media_type       text,
        declared_sha256  text NOT NULL CHECK (declared_sha256 ~ '^[0-9a-f]{64}$'),
        length           bigint NOT NULL CHECK (length >= 0),
        state            text NOT NULL CHECK (state IN ('receiving', 'completing', 'committed', 'failed')),
        lease_until      timestamptz,
        evidence_id      uuid REFERENCES evidence (id),
        receipt          text,
        failure          text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        expires_at       timestamptz NOT NULL,
        CHECK ((state = 'committed') = (evidence_id IS NOT NULL)),
        CHECK ((state = 'failed') = (failure IS NOT NULL)),
        CHECK ((state = 'completing') = (lease_until IS NOT NULL))
      )`);
    await db.query(
      `CREATE INDEX evidence_uploads_open ON evidence_uploads (created_by) WHERE state IN ('receiving', 'completing')`,
    );
    await db.query('CREATE INDEX evidence_uploads_expiry ON evidence_uploads (expires_at)');
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT, UPDATE, DELETE ON evidence_uploads TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE evidence_uploads');
  }
}
