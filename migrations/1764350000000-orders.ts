import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Legal orders and requests, and the evidence items preserved or produced under them (preservation, traffic disclosure, production, MLA,
 * EPOC, EPOC-PR). Status and deadline are a projection of the order's chain in
 * the log, changed only in the transaction that logs the transition.
 */
export class Orders1764350000000 implements MigrationInterface {
  name = 'Orders1764350000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE orders (
        id                     uuid PRIMARY KEY,
        kind                   text NOT NULL,
        direction              text NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'domestic')),
        status                 text NOT NULL,
        legal_basis            jsonb NOT NULL,
        case_id                uuid REFERENCES cases (id),
        requesting_state       text,
        requested_state        text,
        requesting_authority   text NOT NULL,
        channel                text NOT NULL,
        urgency                text NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
        details                jsonb NOT NULL,
        safeguards             jsonb NOT NULL,
        owner_agency           text NOT NULL,
        submitted_by_agency    text NOT NULL,
        received_at            timestamptz NOT NULL,
        preserved_at           timestamptz,
        extensions             integer NOT NULL DEFAULT 0 CHECK (extensions >= 0),
        held_until_decided     boolean NOT NULL DEFAULT false,
        requested_by           timestamptz,
        deadline_rule          text,
        deadline_at            timestamptz,
        created_by             text NOT NULL REFERENCES principals (sub),
        created_at             timestamptz NOT NULL
      )`);
    await db.query('CREATE INDEX orders_by_deadline ON orders (deadline_at) WHERE deadline_at IS NOT NULL');
    await db.query('CREATE INDEX orders_by_owner ON orders (owner_agency, created_at)');
    await db.query('CREATE INDEX orders_by_submitter ON orders (submitted_by_agency, created_at)');
    await db.query(`
      CREATE TABLE order_evidence (
        order_id    uuid NOT NULL REFERENCES orders (id),
        evidence_id uuid NOT NULL REFERENCES evidence (id),
        linked_at   timestamptz NOT NULL,
        linked_by   text NOT NULL,
        PRIMARY KEY (order_id, evidence_id)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE order_evidence');
    await db.query('DROP TABLE orders');
  }
}
