import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The enforcing authority an EPOC is notified to (Reg. 2023/1543 Art. 8), as
 * an agency of its own: it reads the order's status and records its own
 * decisions on it (confirmation, refusal, and the objection that follows an
 * emergency production, Arts 10(2)-(4), 12).
 */
export class EnforcingAgency1764560000000 implements MigrationInterface {
  name = 'EnforcingAgency1764560000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders ADD COLUMN enforcing_agency text');
    await db.query(
      'CREATE INDEX orders_enforcing_agency ON orders (enforcing_agency) WHERE enforcing_agency IS NOT NULL',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders DROP COLUMN enforcing_agency');
  }
}
