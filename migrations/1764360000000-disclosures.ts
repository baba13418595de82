import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Disclosures of evidence to another agency (a partner, a court): what, to whom, under which order and conditions. */
export class Disclosures1764360000000 implements MigrationInterface {
  name = 'Disclosures1764360000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE disclosures (
        id               uuid PRIMARY KEY,
        case_id          uuid NOT NULL REFERENCES cases (id),
        recipient_agency text NOT NULL,
        order_id         uuid REFERENCES orders (id),
        conditions       text,
        evidence_ids     uuid[] NOT NULL CHECK (cardinality(evidence_ids) BETWEEN 1 AND 1000),
        created_by       text NOT NULL REFERENCES principals (sub),
        created_at       timestamptz NOT NULL
      )`);
    await db.query('CREATE INDEX disclosures_by_recipient ON disclosures (recipient_agency)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE disclosures');
  }
}
