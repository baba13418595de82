import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs a hot statement as a named prepared statement: PostgreSQL parses and
 * plans it once per connection instead of on every request (TypeORM's `query`
 * sends unnamed statements, and planning was a third of the database's work on
 * the read path; docs/performance.md). Works on the data source's pool and
 * inside a transaction (on its connection). `name` must be unique per text.
 */
export async function preparedQuery<T extends QueryResultRow>(
  q: Pick<DataSource | EntityManager, 'query'>,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const connection = (
    (q as EntityManager).queryRunner as unknown as { databaseConnection?: PoolClient } | undefined
  )?.databaseConnection;
  const pool = ((q as DataSource).driver as unknown as { master?: Pool } | undefined)?.master;
  const target = connection ?? pool;
  if (!target) return q.query(text, values);
  return (await target.query<T>({ name, text, values })).rows;
}
