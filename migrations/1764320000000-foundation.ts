import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Agencies, principals, cases and need-to-know grants. */
export class Foundation1764320000000 implements MigrationInterface {
  name = 'Foundation1764320000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE agencies (
        code          text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
        first_seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE principals (
        sub           text PRIMARY KEY CHECK (length(sub) BETWEEN 1 AND 255),
        issuer        text NOT NULL,
        agency_code   text NOT NULL REFERENCES agencies (code),
        first_seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE cases (
        id          uuid PRIMARY KEY,
        agency_code text NOT NULL REFERENCES agencies (code),
        reference   text NOT NULL CHECK (length(reference) BETWEEN 1 AND 128),
        title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
        legal_basis text CHECK (length(legal_basis) <= 500),
        created_by  text NOT NULL REFERENCES principals (sub),
        created_at  timestamptz NOT NULL,
        CONSTRAINT cases_agency_reference_unique UNIQUE (agency_code, reference)
      )`);
    await db.query('CREATE INDEX cases_listing ON cases (created_at DESC, id DESC)');
    await db.query(`
      CREATE TABLE case_grants (
        id             uuid PRIMARY KEY,
        case_id        uuid NOT NULL REFERENCES cases (id),
        grantee_agency text REFERENCES agencies (code),
        grantee_sub    text,
        role           text NOT NULL,
        until          timestamptz,
        granted_by     text NOT NULL REFERENCES principals (sub),
        created_at     timestamptz NOT NULL,
        CONSTRAINT case_grants_one_grantee CHECK ((grantee_agency IS NULL) <> (grantee_sub IS NULL))
      )`);
    await db.query('CREATE INDEX case_grants_by_case ON case_grants (case_id)');
    await db.query(
      'CREATE INDEX case_grants_by_sub ON case_grants (grantee_sub) WHERE grantee_sub IS NOT NULL',
    );
    await db.query(
      'CREATE INDEX case_grants_by_agency ON case_grants (grantee_agency) WHERE grantee_agency IS NOT NULL',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE case_grants');
    await db.query('DROP TABLE cases');
    await db.query('DROP TABLE principals');
    await db.query('DROP TABLE agencies');
  }
}
