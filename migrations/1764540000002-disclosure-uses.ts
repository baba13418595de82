import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The use ledger of a disclosure (Budapest Art. 28(2)(b), 28(4); UN Art. 40
 * speciality): the supplying side's inquiries into the use made of the data
 * and the recipient's reports of it. Append-only, like their entries.
 */
export class DisclosureUses1764540000002 implements MigrationInterface {
  name = 'DisclosureUses1764540000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE disclosure_uses (
        id uuid PRIMARY KEY,
        disclosure_id uuid NOT NULL REFERENCES disclosures (id),
        kind text NOT NULL CHECK (kind IN ('inquiry', 'report')),
        inquiry_id uuid REFERENCES disclosure_uses (id),
        text text NOT NULL,
        agency text NOT NULL,
        recorded_by text NOT NULL,
        recorded_at timestamptz NOT NULL,
        CHECK (kind = 'report' OR inquiry_id IS NULL)
      )`);
    await db.query('CREATE INDEX disclosure_uses_disclosure ON disclosure_uses (disclosure_id, recorded_at)');
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT ON disclosure_uses TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE disclosure_uses');
  }
}
