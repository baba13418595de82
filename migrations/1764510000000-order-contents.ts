import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a request still lacks, element by element (UN Arts 40(15), 42(3), 27;
 * a translation under 40(14)), so that the requester's status view can say
 * it and a supplement can be checked against it; and by when the formal
 * confirmation of an urgent request sent ahead through an expedited channel
 * is due (Bud 25(3), 27(9); UN 40(14)). Orders registered before lack
 * nothing on record and await no confirmation.
 */
export class OrderContents1764510000000 implements MigrationInterface {
  name = 'OrderContents1764510000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE orders ADD COLUMN missing text[] NOT NULL DEFAULT '{}'`);
    await db.query('ALTER TABLE orders ADD COLUMN formal_confirmation_due timestamptz');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE orders DROP COLUMN formal_confirmation_due');
    await db.query('ALTER TABLE orders DROP COLUMN missing');
  }
}
