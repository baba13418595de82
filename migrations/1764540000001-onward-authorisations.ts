import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The supplying state's prior authorisation of an onward transfer (UN Art.
 * 36(3)): recorded on our own request under which the data came in, for one
 * named recipient agency in one named state. Append-only, like its entries.
 */
export class OnwardAuthorisations1764540000001 implements MigrationInterface {
  name = 'OnwardAuthorisations1764540000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE order_onward_authorisations (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders (id),
        recipient_agency text NOT NULL,
        recipient_state text NOT NULL,
        reference text NOT NULL,
        recorded_by text NOT NULL,
        recorded_at timestamptz NOT NULL
      )`);
    await db.query(
      'CREATE INDEX order_onward_authorisations_order ON order_onward_authorisations (order_id)',
    );
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT ON order_onward_authorisations TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE order_onward_authorisations');
  }
}
