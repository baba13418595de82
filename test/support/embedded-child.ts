/**
 * A stand-in for a process that uses an embedded PostgreSQL: it starts (or, as
 * a `command`, finds) the server of the directory and port given as arguments,
 * prints the URL, and then waits to be killed or stopped with SIGTERM (which
 * stops a server it started). Used to leave an orphaned postmaster behind, and
 * as a running service beside which commands run.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';

const [dir, port, use = 'service'] = process.argv.slice(2);
startEmbeddedPostgres({
  dir: String(dir),
  port: Number(port),
  database: 'child',
  logger: createLogger('silent'),
  use: use === 'command' ? 'command' : 'service',
}).then(
  (embedded) => {
    process.stdout.write(`${embedded.url}\n`);
    const keepAlive = setInterval(() => {}, 60_000);
    process.once('SIGTERM', () => {
      clearInterval(keepAlive);
      void embedded.stop();
    });
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
