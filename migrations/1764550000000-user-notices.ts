import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What was decided about telling the person whose data an order concerns:
 * notified, notification deferred until a date, or not notified, each with its
 * ground (UN Art. 42(3)(g); Reg. 2023/1543 Art. 13 with Directive 2016/680
 * Art. 13(3)). Append-only like the log: a new decision is a new row, and the
 * latest one stands.
 */
export class UserNotices1764550000000 implements MigrationInterface {
  name = 'UserNotices1764550000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE order_user_notices (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders (id),
        decision text NOT NULL CHECK (decision IN ('notified', 'deferred', 'not_notified')),
        ground text,
        until timestamptz,
        decided_at timestamptz NOT NULL,
        decided_by text NOT NULL,
        CHECK ((decision = 'deferred') = (until IS NOT NULL)),
        CHECK ((decision = 'notified') = (ground IS NULL))
      )`);
    await db.query('CREATE INDEX order_user_notices_order ON order_user_notices (order_id, decided_at DESC)');
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT ON order_user_notices TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE order_user_notices');
  }
}
