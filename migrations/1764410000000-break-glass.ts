import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Break-glass access (api.md): a time-boxed membership opened by the caller
 * itself, with the reason it gave; and an outbox of notifications (the case's
 * lead is told) that the console and a webhook deliver.
 */
export class BreakGlass1764410000000 implements MigrationInterface {
  name = 'BreakGlass1764410000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE case_grants
        ADD COLUMN break_glass_reason text CHECK (length(break_glass_reason) BETWEEN 1 AND 1000)`);
    await db.query(`
      CREATE TABLE notifications (
        id               uuid PRIMARY KEY,
        recipient_agency text NOT NULL,
        recipient_sub    text,
        kind             text NOT NULL,
        case_id          uuid REFERENCES cases (id),
        payload          jsonb NOT NULL,
        created_at       timestamptz NOT NULL,
        delivered_at     timestamptz
      )`);
    await db.query(
      'CREATE INDEX notifications_undelivered ON notifications (created_at) WHERE delivered_at IS NULL',
    );
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT ON notifications TO custody_service;
          GRANT UPDATE (delivered_at) ON notifications TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE notifications');
    await db.query('ALTER TABLE case_grants DROP COLUMN break_glass_reason');
  }
}
