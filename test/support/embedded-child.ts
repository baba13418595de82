/**
 * A stand-in for a service process that owns an embedded PostgreSQL: it starts
 * the server in the directory and port given as arguments, prints the URL, and
 * then waits to be killed. Used to leave an orphaned postmaster behind.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';

const [dir, port] = process.argv.slice(2);
startEmbeddedPostgres({
  dir: String(dir),
  port: Number(port),
  database: 'child',
  logger: createLogger('silent'),
}).then(
  (embedded) => {
    process.stdout.write(`${embedded.url}\n`);
    setInterval(() => {}, 60_000);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
