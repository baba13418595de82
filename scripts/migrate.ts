/**
 * Brings the database schema up to date (`npm run migrate`), or with `--revert`
 * undoes the latest migration. Uses DATABASE_URL; without it, the embedded server.
 */
import { loadConfig } from '../src/config';
import { createDataSource, openDatabase } from '../src/db/data-source';
import { databaseServerFor } from '../src/db/database-server';
import { createLogger } from '../src/logger';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const server = await databaseServerFor(config, logger, { use: 'command' });
  const url = server.ownerUrl;
  try {
    if (process.argv.includes('--revert')) {
      const db = createDataSource(url);
      await db.initialize();
      await db.undoLastMigration();
      await db.destroy();
      logger.info('reverted the latest migration');
    } else {
      const db = await openDatabase(url);
      const applied = await db.query('SELECT name FROM migrations ORDER BY id');
      await db.destroy();
      logger.info({ applied: applied.map((row: { name: string }) => row.name) }, 'schema up to date');
    }
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`migrate: ${(error as Error).message}`);
  process.exitCode = 1;
});
