/**
 * Receipt key management:
 *   npm run keys -- rotate [--sub OPERATOR] [--agency AGENCY]
 *   npm run keys -- compromised --kid KID --since TIME [--sub OPERATOR] [--agency AGENCY]
 * `rotate` makes a new Ed25519 receipt key current and retires the old one. The
 * rotation is itself a log entry (subject `key`), committed together with the
 * JWKS change; retired keys stay published, so receipts signed before keep
 * verifying. Running services switch to the new key within seconds.
 * `compromised` marks a retired key as compromised from TIME (RFC 3339) on: the
 * JWKS publishes the time and verifiers refuse anything the key made after it.
 * A current key is rotated out first. Each prints its result as JSON.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/data-source';
import { databaseServerFor } from '../src/db/database-server';
import { LogRepository } from '../src/db/log.repository';
import { ensureServiceKeys, listReceiptKeys, rotateReceiptKey } from '../src/keys/key-store';
import { CheckpointWitness } from '../src/log/checkpoint-witness';
import { CustodyLog } from '../src/log/custody-log';
import { domainWrite } from '../src/log/domain-write';
import { logSignerOf } from '../src/log/log-key';
import { Sequencer } from '../src/log/sequencer';
import { createLogger } from '../src/logger';
import type { ReceiptSigningKey } from '../src/receipts/receipt';
import { publicReceiptJwk, publishReceiptKeysIn, signingKeyOf } from '../src/receipts/receipt-keys';

const USAGE = `usage: npm run keys -- rotate [--sub OPERATOR] [--agency AGENCY]
       npm run keys -- compromised --kid KID --since TIME [--sub OPERATOR] [--agency AGENCY]`;

type Actor = { sub: string; agency: string };

/** Runs `body` with a sequencer on the database (as its owner), signing with the log key. */
async function withLog(body: (sequencer: Sequencer, dataDir: string) => Promise<void>) {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const server = await databaseServerFor(config, logger, { use: 'command' });
  try {
    const db = await openDatabase(server.url, server.ownerUrl);
    try {
      const keys = await ensureServiceKeys(config.dataDir);
      const log = new LogRepository(db);
      // The same rollback and split-view guard as the service: a restored database is not signed over.
      const witness = await CheckpointWitness.open(
        config.dataDir,
        config.logOrigin,
        await log.databaseName(),
      );
      const sequencer = await Sequencer.open(
        db,
        log,
        logSignerOf(keys.log, config.logOrigin),
        { maxBatch: 1, maxQueue: 1, witness },
        logger,
      );
      if (sequencer.halted)
        throw new Error(`the log refuses to sign (${sequencer.halted}); see docs/operations.md`);
      await body(sequencer, config.dataDir);
    } finally {
      await db.destroy();
    }
  } finally {
    await server.stop();
  }
}

async function rotateWith(sequencer: Sequencer, dataDir: string, actor: Actor) {
  const rotation = await rotateReceiptKey(dataDir);
  try {
    const log = new CustodyLog(sequencer, () => signingKeyOf(rotation.current));
    const all = await listReceiptKeys(dataDir);
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
    return {
      current: rotation.current.kid,
      retired: rotation.retired.map((k) => k.kid),
      index: appended.index,
      receipt,
    };
  } catch (error) {
    await rotation.undo();
    throw error;
  }
}

async function rotate(actor: Actor): Promise<void> {
  await withLog(async (sequencer, dataDir) => {
    process.stdout.write(`${JSON.stringify(await rotateWith(sequencer, dataDir, actor), null, 2)}\n`);
  });
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** Marks `kid` compromised since `since` (rotating it out first if it is current), as one log entry. */
async function compromised(kid: string, since: string, actor: Actor): Promise<number> {
  if (!RFC3339.test(since) || Number.isNaN(Date.parse(since)) || Date.parse(since) > Date.now()) {
    console.error('keys: --since must be an RFC 3339 UTC time (2026-11-29T10:00:00Z), not in the future');
    return 64;
  }
  let code = 0;
  await withLog(async (sequencer, dataDir) => {
    const known = (await listReceiptKeys(dataDir)).find((key) => key.kid === kid);
    if (!known) {
      console.error(`keys: no receipt key ${kid}`);
      code = 1;
      return;
    }
    const rotation = known.retiredAt === null ? await rotateWith(sequencer, dataDir, actor) : undefined;
    const current = (await listReceiptKeys(dataDir)).find((key) => key.retiredAt === null);
    if (!current) throw new Error('no current receipt key');
    const signingKey: ReceiptSigningKey = signingKeyOf(current);
    const at = new Date(since);
    const log = new CustodyLog(sequencer, () => signingKey);
    const { appended, receipt } = await log.record({
      subject: { type: 'key', id: kid },
      type: 'key.compromised',
      actor: { ...actor, role: 'admin' },
      data: { purpose: 'receipt', kid, since: at.toISOString() },
      write: domainWrite(
        {
          writeAll: async (tx) => {
            await tx.query(
              `UPDATE receipt_keys SET compromised_at = LEAST(COALESCE(compromised_at, $2), $2) WHERE kid = $1`,
              [kid, at],
            );
          },
        },
        kid,
      ),
    });
    process.stdout.write(
      `${JSON.stringify({ compromised: kid, since: at.toISOString(), rotated: rotation ?? null, index: appended.index, receipt }, null, 2)}\n`,
    );
  });
  return code;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      sub: { type: 'string' },
      agency: { type: 'string' },
      kid: { type: 'string' },
      since: { type: 'string' },
    },
  });
  const actor = { sub: values.sub ?? `os:${os.userInfo().username}`, agency: values.agency ?? 'OPERATOR' };
  if (positionals.length === 1 && positionals[0] === 'rotate') {
    await rotate(actor);
    return 0;
  }
  if (positionals.length === 1 && positionals[0] === 'compromised' && values.kid && values.since) {
    return compromised(values.kid, values.since, actor);
  }
  console.error(USAGE);
  return 64;
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
