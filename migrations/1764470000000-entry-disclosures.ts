import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The disclosures of version 2 entries (formats.md §1.1): each withheld field
 * of an entry, as the disclosure string whose digest the entry lists in `_sd`
 * of its actor or its data. Kept beside the log, not in it: the entry commits
 * to each disclosure by its digest, and who reads which disclosure is decided
 * per reader. Append-only like the log; the service may only add and read.
 * A disclosure to another agency names the facts its recipient receives.
 */
export class EntryDisclosures1764470000000 implements MigrationInterface {
  name = 'EntryDisclosures1764470000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE log_disclosures (
        idx         bigint NOT NULL REFERENCES log_entries (idx),
        withheld_in text NOT NULL CHECK (withheld_in IN ('actor', 'data')),
        name        text NOT NULL CHECK (name <> ''),
        disclosure  text NOT NULL CHECK (disclosure ~ '^[A-Za-z0-9_-]+$'),
        PRIMARY KEY (idx, withheld_in, name)
      )`);
    await db.query(`CREATE TRIGGER log_disclosures_append_only BEFORE UPDATE OR DELETE ON log_disclosures
                      FOR EACH ROW EXECUTE FUNCTION log_refuse_change()`);
    await db.query(`CREATE TRIGGER log_disclosures_no_truncate BEFORE TRUNCATE ON log_disclosures
                      FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change()`);
    await db.query(`ALTER TABLE disclosures ADD COLUMN facts text[] NOT NULL DEFAULT '{}'`);
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT ON log_disclosures TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE disclosures DROP COLUMN facts');
    await db.query('DROP TABLE log_disclosures');
  }
}
