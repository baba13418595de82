import type { Config } from '../config';
import type { Logger } from '../logger';
import { type EmbeddedUse, startEmbeddedPostgres } from './embedded-postgres';

/** Where the database is, and how to let go of it. */
export interface DatabaseServer {
  /** How the service connects: its own least-privileged role where there is one. */
  readonly url: string;
  /** How migrations connect: the schema owner (the same as `url` when none is given). */
  readonly ownerUrl: string;
  stop(): Promise<void>;
}

export interface DatabaseServerOptions {
  /** `command`: use the embedded server of a service running on the same DATA_DIR, if there is one. */
  readonly use?: EmbeddedUse;
  /** Remove the embedded cluster when stopped (benchmarks). */
  readonly temporary?: boolean;
}

/** The database named by DATABASE_URL, or, without one, the embedded server of DATA_DIR. */
export async function databaseServerFor(
  config: Config,
  logger: Logger,
  options: DatabaseServerOptions = {},
): Promise<DatabaseServer> {
  if (config.databaseUrl !== undefined) {
    return {
      url: config.databaseUrl,
      ownerUrl: config.databaseOwnerUrl ?? config.databaseUrl,
      stop: async () => {},
    };
  }
  const embedded = await startEmbeddedPostgres({
    dir: config.dataDir,
    port: config.embeddedPostgresPort,
    database: 'custody_ledger',
    logger: logger.child({ component: 'embedded-postgres' }),
    ...options,
  });
  if (embedded.clusterDir !== undefined) {
    logger.info(
      { port: config.embeddedPostgresPort, clusterDir: embedded.clusterDir },
      'embedded PostgreSQL running',
    );
  }
  return embedded;
}
