import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the order rules now read besides the status: the MLA request that
 * holds an international preservation until it is decided (UN Art. 42,
 * Budapest Art. 29(7)), and when an EPOC was recorded as notified to the
 * enforcing authority (Reg. 2023/1543 Art. 8), whose window then governs
 * production and objections.
 */
export class OrderHolds1764488000000 implements MigrationInterface {
  name = 'OrderHolds1764488000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders ADD COLUMN linked_mla_id uuid REFERENCES orders (id)');
    await db.query('ALTER TABLE orders ADD COLUMN enforcing_notified_at timestamptz');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders DROP COLUMN enforcing_notified_at');
    await db.query('ALTER TABLE orders DROP COLUMN linked_mla_id');
  }
}
