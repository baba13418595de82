import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The deadline whose lapse is on an order's chain (an `order.overdue` entry):
 * the sweep records a lapse once per deadline, and skips the orders whose
 * current deadline it has recorded already.
 */
export class OrderLapses1764450000000 implements MigrationInterface {
  name = 'OrderLapses1764450000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders ADD COLUMN lapse_recorded_for timestamptz');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders DROP COLUMN lapse_recorded_for');
  }
}
