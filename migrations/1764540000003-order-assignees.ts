import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The handlers assigned to an order (domain.md §5 `assigned_officer`): for a
 * confidential request, the only handlers of the owning agency who may know
 * of it besides the one who recorded it (Budapest Art. 27(8); UN Art. 42(3)(g)).
 */
export class OrderAssignees1764540000003 implements MigrationInterface {
  name = 'OrderAssignees1764540000003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE order_assignees (
        order_id uuid NOT NULL REFERENCES orders (id),
        sub text NOT NULL,
        assigned_by text NOT NULL,
        assigned_at timestamptz NOT NULL,
        PRIMARY KEY (order_id, sub)
      )`);
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT SELECT, INSERT ON order_assignees TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE order_assignees');
  }
}
