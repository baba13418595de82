import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Related orders as one matter (UN Arts 42(1), 43, 44(1); Budapest Arts
 * 29-31): the order an order follows from, and how (`follows`, `executes`,
 * `onward_request`; src/orders/matter.ts). Both are set when the order is
 * registered and never change; orders registered before name none.
 */
export class OrderMatters1764500000000 implements MigrationInterface {
  name = 'OrderMatters1764500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders ADD COLUMN related_order_id uuid REFERENCES orders (id)');
    await db.query('ALTER TABLE orders ADD COLUMN relation text');
    await db.query(
      `ALTER TABLE orders ADD CONSTRAINT orders_relation_named
         CHECK ((related_order_id IS NULL) = (relation IS NULL))`,
    );
    await db.query('CREATE INDEX orders_related_order_idx ON orders (related_order_id)');
    await db.query('CREATE INDEX orders_linked_mla_idx ON orders (linked_mla_id)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX orders_linked_mla_idx');
    await db.query('DROP INDEX orders_related_order_idx');
    await db.query('ALTER TABLE orders DROP CONSTRAINT orders_relation_named');
    await db.query('ALTER TABLE orders DROP COLUMN relation');
    await db.query('ALTER TABLE orders DROP COLUMN related_order_id');
  }
}
