import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The disclosures of version 2 entries (formats.md §1.1): each withheld field
 * of an entry, as the disclosure string whose digest the entry lists in `_sd`
 * of its actor or its data, filed by where it belongs and what it is named.
 * Kept in the entry's own row, beside its bytes: the entry commits to each
 * disclosure by its digest, the row is append-only like the rest of it, and a
 * chain is read with its disclosures in one statement. Who receives which
 * disclosure is decided per reader. Version 1 entries keep none.
 * A disclosure to another agency names the facts its recipient receives.
 */
export class EntryDisclosures1764470000000 implements MigrationInterface {
  name = 'EntryDisclosures1764470000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE log_entries
        ADD COLUMN disclosures jsonb NOT NULL DEFAULT '[]'
          CONSTRAINT log_entries_disclosures_array CHECK (jsonb_typeof(disclosures) = 'array')`);
    await db.query(`ALTER TABLE disclosures ADD COLUMN facts text[] NOT NULL DEFAULT '{}'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE disclosures DROP COLUMN facts');
    await db.query('ALTER TABLE log_entries DROP COLUMN disclosures');
  }
}
