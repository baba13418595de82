import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The central authority's tools (UN Art. 40(13), 41; Budapest Arts 27, 35):
 * the agency an order was forwarded to for execution, which handles it beside
 * its owner; the deadline whose early warning went out (once per deadline);
 * and notifications the recipient acknowledges, linked to the order they
 * tell of.
 */
export class CentralAuthority1764530000000 implements MigrationInterface {
  name = 'CentralAuthority1764530000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders ADD COLUMN executing_agency text');
    await db.query('ALTER TABLE orders ADD COLUMN deadline_warned_for timestamptz');
    await db.query(
      'CREATE INDEX orders_by_executing_agency ON orders (executing_agency) WHERE executing_agency IS NOT NULL',
    );
    await db.query(`
      ALTER TABLE notifications
        ADD COLUMN order_id        uuid REFERENCES orders (id),
        ADD COLUMN acknowledged_at timestamptz,
        ADD COLUMN acknowledged_by text`);
    await db.query(
      'CREATE INDEX notifications_by_recipient ON notifications (recipient_agency, created_at DESC, id DESC)',
    );
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT UPDATE (acknowledged_at, acknowledged_by) ON notifications TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX notifications_by_recipient');
    await db.query(
      'ALTER TABLE notifications DROP COLUMN acknowledged_by, DROP COLUMN acknowledged_at, DROP COLUMN order_id',
    );
    await db.query('DROP INDEX orders_by_executing_agency');
    await db.query('ALTER TABLE orders DROP COLUMN deadline_warned_for, DROP COLUMN executing_agency');
  }
}
