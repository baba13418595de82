import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A receipt key can be marked compromised from a time on (docs/verifying.md):
 * the JWKS publishes the time, and verifiers accept nothing the key made
 * after it. Once set, the time only ever moves earlier.
 */
export class KeyCompromise1764425000000 implements MigrationInterface {
  name = 'KeyCompromise1764425000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE receipt_keys ADD COLUMN compromised_at timestamptz');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE receipt_keys DROP COLUMN compromised_at');
  }
}
