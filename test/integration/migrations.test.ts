import { expect } from 'chai';
import { createDataSource } from '../../src/db/data-source';
import { withScratchDatabase } from '../support/database';

const TABLES = [
  'agencies',
  'case_grants',
  'cases',
  'disclosure_uses',
  'disclosures',
  'evidence',
  'evidence_uploads',
  'idempotency_keys',
  'log_checkpoints',
  'log_entries',
  'log_head',
  'log_nodes',
  'notifications',
  'order_assignees',
  'order_custodian_acknowledgements',
  'order_evidence',
  'order_onward_authorisations',
  'order_user_notices',
  'orders',
  'principals',
  'rate_limits',
  'receipt_keys',
];

async function tablesIn(url: string): Promise<string[]> {
  const db = createDataSource(url);
  await db.initialize();
  try {
    const rows: Array<{ table_name: string }> = await db.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY table_name`,
    );
    return rows.map((row) => row.table_name);
  } finally {
    await db.destroy();
  }
}

describe('migrations', () => {
  it('when run up, down and up again on an empty database, then each step leaves the expected schema', async () => {
    await withScratchDatabase(async (url) => {
      const db = createDataSource(url);
      await db.initialize();
      try {
        const applied = await db.runMigrations();
        expect(applied.length).to.equal(db.migrations.length);
        expect(await tablesIn(url)).to.deep.equal(TABLES);

        for (let i = 0; i < applied.length; i++) await db.undoLastMigration();
        expect(await tablesIn(url)).to.deep.equal([]);

        expect((await db.runMigrations()).length).to.equal(db.migrations.length);
        expect(await tablesIn(url)).to.deep.equal(TABLES);
        expect(await db.showMigrations()).to.equal(false);
      } finally {
        await db.destroy();
      }
    });
  });

  it('when the schema is current, then the data source never synchronises entities on its own', () => {
    const db = createDataSource('postgres://unused@127.0.0.1/unused');
    expect(db.options.synchronize).to.equal(false);
    expect(db.options.migrationsRun ?? false).to.equal(false);
  });
});
