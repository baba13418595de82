import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The custodian's acknowledgement of its duty to keep a preservation
 * confidential for the period domestic law sets (UN Art. 25(3); Budapest Art.
 * 16(3)): once per order and custodian agency, with the period acknowledged.
 */
export class CustodianAcknowledgements1764540000004 implements MigrationInterface {
  name = 'CustodianAcknowledgements1764540000004';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE order_custodian_acknowledgements (
        order_id uuid NOT NULL REFERENCES orders (id),
        custodian_agency text NOT NULL,
        confidential_until timestamptz NOT NULL,
        acknowledged_by text NOT NULL,
        acknowledged_at timestamptz NOT NULL,
        PRIMARY KEY (order_id, custodian_agency)
      )`);
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT ON order_custodian_acknowledgements TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE order_custodian_acknowledgements');
  }
}
