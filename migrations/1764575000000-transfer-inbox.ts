import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The receiving side's inbox (`GET /v1/transfers`) reads the items in transit
 * to one agency: few rows among all items, found without reading the rest.
 */
export class TransferInbox1764575000000 implements MigrationInterface {
  name = 'TransferInbox1764575000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX evidence_in_transit_to ON evidence ((transfer_to ->> 'agency')) WHERE status = 'in_transit'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX evidence_in_transit_to');
  }
}
