import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { AgencyEntity } from './entities/agency.entity';
import { CaseEntity } from './entities/case.entity';
import { CaseGrantEntity } from './entities/case-grant.entity';
import { PrincipalEntity } from './entities/principal.entity';

export const entities = [AgencyEntity, PrincipalEntity, CaseEntity, CaseGrantEntity];

/**
 * node-postgres timeouts for every pool of the service: a database that does
 * not answer a connection attempt is a 503 in seconds, and idle connections are
 * closed (a restarted server's are replaced on next use).
 */
export const POOL_TIMEOUTS = { connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 } as const;

/**
 * The one TypeORM data source. The schema comes from `migrations/` only;
 * `synchronize` stays off so that what runs in production is what was reviewed.
 */
export function createDataSource(url: string, limits: ConnectionLimits = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    poolSize: 10,
    extra: {
      application_name: 'custody-ledger',
      ...POOL_TIMEOUTS,
      onConnect: keepErrorsOfTheClient,
      ...(limits.statementTimeoutMs
        ? {
            statement_timeout: limits.statementTimeoutMs,
            idle_in_transaction_session_timeout: limits.statementTimeoutMs * 2,
          }
        : {}),
    },
  });
}

/**
 * A connection the server ends right after the pool handed it out (a
 * terminated backend, a restart) can report that before TypeORM has put its
 * own listener on it, and an 'error' event nobody listens to ends the process.
 * So every connection listens from the start: the error then fails its next
 * query (a transient failure, 503) and the pool drops it.
 */
function keepErrorsOfTheClient(client: { on(event: 'error', listener: () => void): unknown }): void {
  client.on('error', () => {});
}

/**
 * How long the service lets one statement run (and a transaction sit idle)
 * before PostgreSQL cancels it: a stalled database then answers 503 in
 * seconds instead of holding every request. Migrations and operator commands
 * run without it.
 */
export interface ConnectionLimits {
  readonly statementTimeoutMs?: number;
}

/** Arbitrary but fixed: serialises schema migrations across service processes. */
const MIGRATION_LOCK = 6_962_001;

/**
 * Brings the schema up to date as its owner (`ownerUrl`), then opens the data
 * source the service works with (`url`: its least-privileged role, or the
 * owner itself when no separate owner is given). Several processes may start
 * at once on one database; an advisory lock lets one migrate at a time.
 */
export async function openDatabase(
  url: string,
  ownerUrl: string = url,
  limits: ConnectionLimits = {},
): Promise<DataSource> {
  const owner = createDataSource(ownerUrl);
  await owner.initialize();
  const lock = owner.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await owner.runMigrations();
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  } catch (error) {
    await lock.release();
    await owner.destroy();
    throw error;
  }
  await lock.release();
  if (ownerUrl === url && !limits.statementTimeoutMs) return owner;
  await owner.destroy();
  const service = createDataSource(url, limits);
  await service.initialize();
  return service;
}

/**
 * Whether the connected role could rewrite the log: it owns the log's tables,
 * or is a superuser. Operators are told at start (README, "Database roles").
 */
export async function mayRewriteLog(db: DataSource): Promise<boolean> {
  const [row] = await db.query(
    `SELECT rolsuper OR pg_has_role(current_user, tableowner, 'USAGE') AS may
       FROM pg_tables JOIN pg_roles ON rolname = current_user WHERE tablename = 'log_entries'`,
  );
  return row?.may === true;
}

/** The server settings that decide whether an acknowledged write survives a crash, and whether pages are checksummed. */
export interface DurabilitySettings {
  readonly fsync: string;
  readonly synchronousCommit: string;
  readonly fullPageWrites: string;
  readonly dataChecksums: string;
}

export async function durabilitySettings(db: DataSource): Promise<DurabilitySettings> {
  const [row] = await db.query(
    `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit,
            current_setting('full_page_writes') AS full_page_writes, current_setting('data_checksums') AS data_checksums`,
  );
  return {
    fsync: row.fsync,
    synchronousCommit: row.synchronous_commit,
    fullPageWrites: row.full_page_writes,
    dataChecksums: row.data_checksums,
  };
}

/**
 * Why the database could lose a write the service has acknowledged with a
 * receipt, if it could: every receipt promises the entry is durable.
 */
export function undurable(settings: DurabilitySettings): string | undefined {
  const off = [
    settings.fsync === 'off' && 'fsync',
    settings.synchronousCommit === 'off' && 'synchronous_commit',
    settings.fullPageWrites === 'off' && 'full_page_writes',
  ].filter(Boolean);
  return off.length === 0
    ? undefined
    : `PostgreSQL has ${off.join(', ')} off: acknowledged writes could be lost`;
}

/** Whether the database refuses writes now (a standby, or a session default of read-only transactions). */
export async function databaseReadOnly(db: DataSource): Promise<boolean> {
  const [row] = await db.query(
    "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' AS read_only",
  );
  return row?.read_only === true;
}
