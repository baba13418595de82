import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Time as the law counts it (legal-requirements rows 14, 59): the source time
 * zone of every order, in which its periods in days are counted (orders
 * recorded before were counted in exact 24-hour days, as in UTC), and where a
 * stated receipt or preservation time comes from and why it was stated.
 */
export class OrderEventTimes1764540000000 implements MigrationInterface {
  name = 'OrderEventTimes1764540000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE orders ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC'`);
    await db.query('ALTER TABLE orders ALTER COLUMN time_zone DROP DEFAULT');
    await db.query(`ALTER TABLE orders ADD COLUMN received_at_source text,
                                       ADD COLUMN received_at_reason text,
                                       ADD COLUMN preserved_at_source text,
                                       ADD COLUMN preserved_at_reason text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE orders DROP COLUMN time_zone, DROP COLUMN received_at_source,
                                       DROP COLUMN received_at_reason, DROP COLUMN preserved_at_source,
                                       DROP COLUMN preserved_at_reason`);
  }
}
