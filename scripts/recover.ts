/**
 * Recovery after a rollback (a database restored from a backup older than the
 * last checkpoint the service signed, or a database beside it: a split view):
 *   npm run recover -- rollback [--confirm] [--sub OPERATOR] [--agency AGENCY]
 * Without --confirm it only shows what the database lost. With it, it verifies
 * the surviving log, appends a `log.rolled_back` entry naming the lost
 * checkpoint's size and root, and moves the checkpoint kept in DATA_DIR to the
 * new head, so the service signs again (restart it). Prints JSON.
 * Exit codes: 0 recorded or nothing to recover, 1 not recorded, 64 usage error.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/data-source';
import { databaseServerFor } from '../src/db/database-server';
import { LogRepository } from '../src/db/log.repository';
import { LedgerError } from '../src/errors';
import { ensureServiceKeys } from '../src/keys/key-store';
import { toBase64 } from '../src/ledger';
import { CheckpointWitness } from '../src/log/checkpoint-witness';
import { logSignerOf } from '../src/log/log-key';
import { Sequencer } from '../src/log/sequencer';
import { createLogger } from '../src/logger';

const USAGE = 'usage: npm run recover -- rollback [--confirm] [--sub OPERATOR] [--agency AGENCY]';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

async function rollback(confirm: boolean, actor: { sub: string; agency: string }): Promise<number> {
  const config = loadConfig();
  // The outcome is the JSON on stdout; the sequencer's own log lines would only garble it.
  const logger = createLogger('silent');
  const server = await databaseServerFor(config, logger, { use: 'command' });
  try {
    const db = await openDatabase(server.url, server.ownerUrl);
    try {
      const log = new LogRepository(db);
      const keys = await ensureServiceKeys(config.dataDir);
      const sequencer = await Sequencer.open(
        db,
        log,
        logSignerOf(keys.log, config.logOrigin),
        {
          maxBatch: 1,
          maxQueue: 1,
          witness: await CheckpointWitness.open(config.dataDir, config.logOrigin, await log.databaseName()),
        },
        logger,
      );
      const rollback = sequencer.rolledBack;
      if (!rollback) {
        print({ recorded: false, halted: sequencer.halted ?? null });
        return sequencer.halted ? 1 : 0;
      }
      const lost = { size: rollback.lost.size, root: toBase64(rollback.lost.root) };
      if (!confirm) {
        print({ recorded: false, reason: rollback.reason, lost, next: 'run again with --confirm' });
        return 1;
      }
      const appended = await sequencer.recordRollback({ ...actor, role: 'admin' });
      print({
        recorded: true,
        reason: rollback.reason,
        lost,
        index: appended.index,
        checkpoint: appended.checkpoint,
      });
      return 0;
    } finally {
      await db.destroy();
    }
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { confirm: { type: 'boolean' }, sub: { type: 'string' }, agency: { type: 'string' } },
  });
  if (positionals[0] !== 'rollback' || positionals.length !== 1) {
    console.error(USAGE);
    return 64;
  }
  return rollback(values.confirm === true, {
    sub: values.sub ?? `os:${os.userInfo().username}`,
    agency: values.agency ?? 'OPERATOR',
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n${USAGE}`);
      process.exitCode = 64;
    } else if (error instanceof LedgerError) {
      print({ recorded: false, code: error.code, reason: (error as { reason?: string }).reason ?? null });
      process.exitCode = 1;
    } else {
      console.error(`recover: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  },
);
