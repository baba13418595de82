import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the handlers and the requester were reminded that the formal
 * confirmation of an urgent request sent ahead is overdue (Bud 25(3), 27(9);
 * UN 40(14)): once per order, so that the sweep does not remind twice.
 */
export class FormalConfirmationReminders1764570000000 implements MigrationInterface {
  name = 'FormalConfirmationReminders1764570000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders ADD COLUMN formal_confirmation_reminded_at timestamptz');
    await db.query(`
      CREATE INDEX orders_formal_confirmation_open ON orders (formal_confirmation_due)
       WHERE formal_confirmation_due IS NOT NULL AND formal_confirmation_reminded_at IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders DROP COLUMN formal_confirmation_reminded_at');
  }
}
