/**
 * Offline verification, for partners, courts and operators:
 *   npm run verify -- receipt RECEIPT_FILE --jwks JWKS_FILE --vkey VKEY
 *   npm run verify -- consistency OLD_CHECKPOINT NEW_CHECKPOINT --vkey VKEY --proof PROOF_FILE
 *   npm run verify -- package PACKAGE.zip [--vkey VKEY]
 *   npm run verify -- ledger [--vkey VKEY]
 * `receipt`, `consistency` and `package` use no database and no network: only the files and
 * the pinned keys given. `ledger` re-verifies the whole database (DATABASE_URL, or
 * the embedded server under DATA_DIR) and names the first entry that fails.
 * Exit codes: 0 verified, 1 verification failed, 64 usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import jsonld from 'jsonld';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/data-source';
import { databaseServerFor } from '../src/db/database-server';
import { LedgerError } from '../src/errors';
import {
  entryLeafHash,
  fromBase64,
  openCheckpoint,
  parseTlogProof,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
} from '../src/ledger';
import { verifyLedger } from '../src/log/ledger-verification';
import { createLogger } from '../src/logger';
import { verifyReceipt } from '../src/receipts/receipt';
import { openBag, verifyBag } from '../src/reports/bagit';

const USAGE = `usage:
  npm run verify -- receipt RECEIPT_FILE --jwks JWKS_FILE --vkey VKEY
  npm run verify -- consistency OLD_CHECKPOINT NEW_CHECKPOINT --vkey VKEY --proof PROOF_FILE
  npm run verify -- package PACKAGE.zip [--vkey VKEY]
  npm run verify -- ledger [--vkey VKEY] [--full]`;

class UsageError extends Error {}

const out = (line: string) => process.stdout.write(`${line}\n`);
const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');

function read(file: string | undefined, what: string): string {
  if (!file) throw new UsageError(`missing ${what}`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} ${file}`);
  }
}

async function receipt(files: string[], options: { jwks?: string; vkey?: string }): Promise<number> {
  if (!options.vkey) throw new UsageError('missing --vkey');
  const jwks = JSON.parse(read(options.jwks, '--jwks file'));
  const result = await verifyReceipt(read(files[0], 'receipt file').trim(), {
    jwks,
    logKey: parseVerifierKey(options.vkey),
  });
  out(`${mark(result.checks.signature)} JWS signature by a key in the JWKS`);
  out(`${mark(result.checks.leafHash)} leaf hash recomputed from the entry (RFC 8785, RFC 6962)`);
  out(`${mark(result.checks.checkpoint)} checkpoint signed by the log key`);
  out(`${mark(result.checks.inclusion)} inclusion proof of the entry under the checkpoint root`);
  out(`${mark(result.checks.origin)} issuer, entry log and checkpoint origin agree`);
  if (result.valid && result.payload) {
    const { entry, index } = result.payload;
    out(
      `verified: ${entry.type} of ${entry.subject.type}:${entry.subject.id} (seq ${entry.seq}), log index ${index} of ${result.treeSize}`,
    );
    return 0;
  }
  out(`not verified: ${result.reason}`);
  return 1;
}

/** A proof file: base64 hashes one per line, or the JSON of GET /v1/log/proof/consistency. */
function readProof(file: string | undefined): Uint8Array[] {
  const text = read(file, '--proof file').trim();
  const hashes = text.startsWith('{')
    ? (JSON.parse(text) as { proof: string[] }).proof
    : text.split(/\s+/).filter(Boolean);
  return hashes.map(fromBase64);
}

function consistency(files: string[], options: { vkey?: string; proof?: string }): number {
  if (!options.vkey) throw new UsageError('missing --vkey');
  const logKey = parseVerifierKey(options.vkey);
  const older = openCheckpoint(read(files[0], 'old checkpoint'), logKey);
  out(`ok   old checkpoint: ${older.origin} size ${older.size}`);
  const newer = openCheckpoint(read(files[1], 'new checkpoint'), logKey);
  out(`ok   new checkpoint: ${newer.origin} size ${newer.size}`);
  verifyConsistency(older.size, newer.size, readProof(options.proof), older.root, newer.root);
  out(`ok   the log of size ${newer.size} extends the log of size ${older.size} (RFC 9162 §2.1.4.2)`);
  return 0;
}

/**
 * A disclosure package, offline: the bag (manifests, tag manifest, oxum), every
 * receipt in it against the bag's JWKS and the log key (pinned with --vkey, or
 * the bag's own log.vkey, which proves less), and that each payload file's
 * digests are the ones its `evidence.acquired` entry recorded.
 */
async function verifyPackage(files: string[], options: { vkey?: string }): Promise<number> {
  const file = files[0];
  if (!file) throw new UsageError('missing package file');
  let bag: Awaited<ReturnType<typeof openBag>>;
  try {
    bag = await openBag(file);
  } catch (error) {
    out(`FAIL not a readable bag: ${(error as Error).message}`);
    return 1;
  }
  try {
    let failures = 0;
    const report = (ok: boolean, text: string) => {
      if (!ok) failures++;
      out(`${mark(ok)} ${text}`);
    };
    for (const check of await verifyBag(bag))
      report(check.ok, check.detail && !check.ok ? `${check.name} (${check.detail})` : check.name);
    const pinned = options.vkey !== undefined;
    const vkey =
      options.vkey ?? (bag.files.has('log.vkey') ? (await bag.read('log.vkey')).toString('utf8').trim() : '');
    if (!pinned)
      out('note: no --vkey given; the log key is taken from the package itself, which proves less');
    const jwks = bag.files.has('jwks.json')
      ? JSON.parse((await bag.read('jwks.json')).toString('utf8'))
      : { keys: [] };
    const logKey = parseVerifierKey(vkey);
    const acquired = new Map<string, { sha256: string; sha512: string }>();
    const leaves = new Map<number, Uint8Array>();
    const receipts = [...bag.files.keys()].filter((name) => /^receipts\/\d+\.jws$/.test(name));
    report(receipts.length > 0, `${receipts.length} receipts in the package`);
    for (const name of receipts) {
      const result = await verifyReceipt((await bag.read(name)).toString('utf8').trim(), { jwks, logKey });
      report(result.valid, `${name}${result.valid ? '' : `: ${result.reason}`}`);
      const entry = result.payload?.entry;
      if (result.valid && result.payload)
        leaves.set(result.payload.index, entryLeafHash(result.payload.entry));
      if (result.valid && entry?.type === 'evidence.acquired') {
        acquired.set(entry.subject.id, {
          sha256: String(entry.data.sha256),
          sha512: String(entry.data.sha512),
        });
      }
    }
    const proofs = [...bag.files.keys()].filter((name) => /^proofs\/\d+\.tlog-proof$/.test(name));
    for (const name of proofs) {
      const index = Number(name.slice('proofs/'.length, -'.tlog-proof'.length));
      const leaf = leaves.get(index);
      try {
        if (!leaf) throw new Error('no verified receipt for this index');
        const bundle = parseTlogProof((await bag.read(name)).toString('utf8'));
        const checkpoint = openCheckpoint(bundle.checkpoint, logKey);
        verifyInclusion(bundle.index, checkpoint.size, leaf, bundle.proof, checkpoint.root);
        report(
          bundle.index === index,
          `${name} proves entry ${index} in the signed log of size ${checkpoint.size}`,
        );
      } catch (error) {
        report(false, `${name}: ${(error as Error).message}`);
      }
    }
    const manifest = new Map(
      (await bag.read('manifest-sha256.txt'))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [digest, ...rest] = line.split(/\s+/);
          return [rest.join(' '), digest] as const;
        }),
    );
    for (const [payloadPath, digest] of manifest) {
      const matched = [...acquired.values()].some((recorded) => recorded.sha256 === digest);
      report(matched, `${payloadPath} is the bytes an evidence.acquired receipt recorded`);
    }
    try {
      const graph = JSON.parse((await bag.read('custody.jsonld')).toString('utf8'));
      const expanded = JSON.stringify(await jsonld.expand(graph));
      const named = [...manifest.keys()].every((payloadPath) =>
        expanded.includes(JSON.stringify(payloadPath)),
      );
      report(named, 'custody.jsonld is JSON-LD (CASE/UCO) and names every payload file');
    } catch (error) {
      report(false, `custody.jsonld: ${(error as Error).message}`);
    }
    out(
      failures === 0
        ? 'verified: the package is intact and every receipt in it verifies'
        : `not verified: ${failures} checks failed`,
    );
    return failures === 0 ? 0 : 1;
  } finally {
    bag.close();
  }
}

/** Verifies the stored log from the last recorded run (`--full`: from scratch) and records the run. */
async function ledger(options: { vkey?: string; full?: boolean }): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const server = await databaseServerFor(config, logger, { use: 'command' });
  const db = await openDatabase(server.url, server.ownerUrl).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  try {
    const bar = new SingleBar({
      format: 'verifying the log [{bar}] {percentage}% | {value}/{total} entries | ETA {eta}s',
      stream: process.stderr,
      noTTYOutput: false,
    });
    let started = false;
    const { vkey, report, recorded } = await verifyLedger(
      db,
      {
        dataDir: config.dataDir,
        origin: config.logOrigin,
        vkey: options.vkey,
        full: options.full === true,
        logger,
      },
      (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
    );
    if (started) bar.stop();
    out(`log key: ${vkey}`);
    out(
      `${report.checkpoints} signed checkpoints, ${report.entries} of ${report.size} entries checked (from entry ${report.from})`,
    );
    out(
      'index' in recorded
        ? `run recorded as log entry ${recorded.index}`
        : `run not recorded: ${recorded.refused}`,
    );
    if (report.ok) {
      out('ok   every checkpoint signature, entry, chain link, tree node and root verified');
      return 0;
    }
    const where = report.failure?.index === null ? 'the log' : `entry ${report.failure?.index}`;
    out(`FAIL first failure at ${where}: ${report.failure?.code}: ${report.failure?.detail}`);
    return 1;
  } finally {
    await db.destroy();
    await server.stop();
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      jwks: { type: 'string' },
      vkey: { type: 'string' },
      proof: { type: 'string' },
      full: { type: 'boolean' },
    },
  });
  const [command, ...files] = positionals;
  switch (command) {
    case 'receipt':
      return receipt(files, values);
    case 'consistency':
      return consistency(files, values);
    case 'package':
      return verifyPackage(files, values);
    case 'ledger':
      return ledger(values);
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'missing command');
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n${USAGE}`);
      process.exitCode = 64;
    } else if (error instanceof LedgerError) {
      out(`FAIL ${error.code}: ${error.message}`);
      process.exitCode = 1;
    } else {
      console.error(`verify: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  },
);
