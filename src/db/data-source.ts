import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { AgencyEntity } from './entities/agency.entity';
import { CaseEntity } from './entities/case.entity';
import { CaseGrantEntity } from './entities/case-grant.entity';
import { PrincipalEntity } from './entities/principal.entity';

export const entities = [AgencyEntity, PrincipalEntity, CaseEntity, CaseGrantEntity];

/**
 * The one TypeORM data source. The schema comes from `migrations/` only;
 * `synchronize` stays off so that what runs in production is what was reviewed.
 */
export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    poolSize: 10,
    extra: { application_name: 'custody-ledger', connectionTimeoutMillis: 5000 },
  });
}

/** Arbitrary but fixed: serialises schema migrations across service processes. */
const MIGRATION_LOCK = 6_962_001;

/**
 * Opens the data source and brings the schema up to date. Several processes may
 * start at once on one database; an advisory lock lets one migrate at a time.
 */
export async function openDatabase(url: string): Promise<DataSource> {
  const dataSource = createDataSource(url);
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations();
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  } catch (error) {
    await lock.release();
    await dataSource.destroy();
    throw error;
  }
  await lock.release();
  return dataSource;
}
