/**
 * Receipt key management:
 *   npm run keys -- rotate [--sub OPERATOR] [--agency AGENCY]
 * Makes a new Ed25519 receipt key current and retires the old one. The rotation
 * is itself a log entry (subject `key`), committed together with the JWKS change;
 * retired keys stay published, so receipts signed before keep verifying. Running
 * services switch to the new key within seconds. Prints the result as JSON.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/data-source';
import { databaseServerFor } from '../src/db/database-server';
import { LogRepository } from '../src/db/log.repository';
import { ensureServiceKeys, listReceiptKeys, rotateReceiptKey } from '../src/keys/key-store';
import { CustodyLog } from '../src/log/custody-log';
import { domainWrite } from '../src/log/domain-write';
import { logSignerOf } from '../src/log/log-key';
import { Sequencer } from '../src/log/sequencer';
import { createLogger } from '../src/logger';
import { publicReceiptJwk, publishReceiptKeysIn, signingKeyOf } from '../src/receipts/receipt-keys';

const USAGE = 'usage: npm run keys -- rotate [--sub OPERATOR] [--agency AGENCY]';

async function rotate(actor: { sub: string; agency: string }): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const server = await databaseServerFor(config, logger, { use: 'command' });
  try {
    const db = await openDatabase(server.url, server.ownerUrl);
    try {
      const keys = await ensureServiceKeys(config.dataDir);
      const sequencer = await Sequencer.open(
        db,
        new LogRepository(db),
        logSignerOf(keys.log, config.logOrigin),
        { maxBatch: 1, maxQueue: 1 },
        logger,
      );
      const rotation = await rotateReceiptKey(config.dataDir);
      try {
        const log = new CustodyLog(sequencer, () => signingKeyOf(rotation.current));
        const all = await listReceiptKeys(config.dataDir);
        const { appended, receipt } = await log.record({
          subject: { type: 'key', id: rotation.current.kid },
          type: 'key.rotated',
          actor: { ...actor, role: 'admin' },
          data: {
            purpose: 'receipt',
            kid: rotation.current.kid,
            publicJwk: { ...publicReceiptJwk(rotation.current) },
            retires: rotation.retired.map((key) => key.kid),
          },
          write: domainWrite({ writeAll: (tx) => publishReceiptKeysIn(tx, all) }, all),
        });
        process.stdout.write(
          `${JSON.stringify({ current: rotation.current.kid, retired: rotation.retired.map((k) => k.kid), index: appended.index, receipt }, null, 2)}\n`,
        );
      } catch (error) {
        await rotation.undo();
        throw error;
      }
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
    options: { sub: { type: 'string' }, agency: { type: 'string' } },
  });
  if (positionals[0] !== 'rotate' || positionals.length !== 1) {
    console.error(USAGE);
    return 64;
  }
  await rotate({ sub: values.sub ?? `os:${os.userInfo().username}`, agency: values.agency ?? 'OPERATOR' });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`keys: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
