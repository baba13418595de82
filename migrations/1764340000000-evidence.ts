import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Evidence items: the exhibit's metadata, the digests of the stored bytes (the
 * content address), and its custody state. The state is a projection of the
 * item's chain in the log, kept here so that "who holds it" is one lookup; it
 * changes only in the transaction that logs the event causing the change.
 */
export class Evidence1764340000000 implements MigrationInterface {
  name = 'Evidence1764340000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE evidence (
        id                 uuid PRIMARY KEY,
        case_id            uuid NOT NULL REFERENCES cases (id),
        exhibit_number     text NOT NULL CHECK (length(exhibit_number) BETWEEN 1 AND 64),
        description        text NOT NULL,
        source             text NOT NULL,
        acquired_at        timestamptz NOT NULL,
        acquired_by        text NOT NULL,
        acquisition_tool   text,
        location           text,
        seal_number        text,
        original_filename  text,
        media_type         text,
        size               bigint NOT NULL CHECK (size >= 0),
        sha256             text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        sha512             text NOT NULL CHECK (sha512 ~ '^[0-9a-f]{128}$'),
        md5                text CHECK (md5 ~ '^[0-9a-f]{32}$'),
        sha1               text CHECK (sha1 ~ '^[0-9a-f]{40}$'),
        acquisition_hash   jsonb,
        created_by         text NOT NULL REFERENCES principals (sub),
        created_at         timestamptz NOT NULL,
        status             text NOT NULL CHECK (status IN ('in_custody', 'in_transit', 'released', 'disposed')),
        holder_agency      text NOT NULL,
        holder_sub         text,
        transfer_to        jsonb,
        sealed             boolean NOT NULL DEFAULT false,
        on_hold            boolean NOT NULL DEFAULT false,
        CONSTRAINT evidence_exhibit_unique UNIQUE (case_id, exhibit_number)
      )`);
    await db.query('CREATE INDEX evidence_by_case ON evidence (case_id, created_at)');
    await db.query('CREATE INDEX evidence_by_blob ON evidence (sha256)');
    await db.query('CREATE INDEX evidence_by_holder ON evidence (holder_agency)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE evidence');
  }
}
