import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The central authority's registry number of every request and order: the
 * reference both sides quote in their correspondence. `<owner agency>/<year>/
 * <IN|OUT|DOM>/<six-digit number>`, the number from one sequence, in the order
 * of registration. Orders registered before get theirs in that order.
 */
export class OrderRegistry1764490000000 implements MigrationInterface {
  name = 'OrderRegistry1764490000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE SEQUENCE order_registry_seq');
    await db.query('ALTER TABLE orders ADD COLUMN registry_number text');
    await db.query(`
      UPDATE orders o SET registry_number = format('%s/%s/%s/%s', o.owner_agency,
               to_char(o.received_at AT TIME ZONE 'UTC', 'YYYY'),
               CASE o.direction WHEN 'incoming' THEN 'IN' WHEN 'outgoing' THEN 'OUT' ELSE 'DOM' END,
               lpad(r.n::text, 6, '0'))
        FROM (SELECT id, nextval('order_registry_seq') AS n FROM (SELECT id FROM orders ORDER BY created_at, id) s) r
       WHERE r.id = o.id`);
    await db.query('ALTER TABLE orders ALTER COLUMN registry_number SET NOT NULL');
    await db.query(
      'ALTER TABLE orders ADD CONSTRAINT orders_registry_number_unique UNIQUE (registry_number)',
    );
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT USAGE ON SEQUENCE order_registry_seq TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders DROP COLUMN registry_number');
    await db.query('DROP SEQUENCE order_registry_seq');
  }
}
