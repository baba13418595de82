/**
 * Offline verification, for partners, courts and operators:
 *   npm run verify -- receipt RECEIPT_FILE --jwks JWKS_FILE --vkey VKEY
 *   npm run verify -- report REPORT_FILE (JWS, JSON or PDF) --jwks JWKS_FILE --vkey VKEY
 *   npm run verify -- consistency OLD_CHECKPOINT NEW_CHECKPOINT --vkey VKEY --proof PROOF_FILE
 *   npm run verify -- package PACKAGE.zip [--vkey VKEY]
 *   npm run verify -- ledger [--vkey VKEY]
 * `receipt`, `report`, `consistency` and `package` use no database and no network: only the files and
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
import { parseVerifierKey } from '../src/ledger';
import { verifyLedger } from '../src/log/ledger-verification';
import { createLogger } from '../src/logger';
import { bagReader, type OpenedBag, openBag } from '../src/reports/bagit';
import {
  bundleOf,
  type DisclosedEntry,
  enclosedKeys,
  readConsistencyProof,
  receiptOf,
  reportOf,
  verifyBundle,
  verifyCheckpointPair,
  verifyPackage,
  verifyReceipt,
  verifyReport,
} from '../src/verify';
import { pdfAttachments } from '../src/verify/pdf-attachments';

const USAGE = `usage:
  npm run verify -- receipt RECEIPT_FILE --jwks JWKS_FILE --vkey VKEY
  npm run verify -- report REPORT_FILE (JWS, JSON or PDF) --jwks JWKS_FILE --vkey VKEY
  npm run verify -- consistency OLD_CHECKPOINT NEW_CHECKPOINT --vkey VKEY --proof PROOF_FILE
  npm run verify -- package PACKAGE.zip [--vkey VKEY]
  npm run verify -- ledger [--vkey VKEY] [--full]`;

class UsageError extends Error {}

const out = (line: string) => process.stdout.write(`${line}\n`);
const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');

function readBytes(file: string | undefined, what: string): Uint8Array {
  if (!file) throw new UsageError(`missing ${what}`);
  try {
    return readFileSync(file);
  } catch {
    throw new UsageError(`cannot read ${what} ${file}`);
  }
}

const read = (file: string | undefined, what: string) => Buffer.from(readBytes(file, what)).toString('utf8');

async function receipt(files: string[], options: { jwks?: string; vkey?: string }): Promise<number> {
  if (!options.vkey) throw new UsageError('missing --vkey');
  const result = verifyReceipt(receiptOf(read(files[0], 'receipt file')), {
    jwks: readJson(options.jwks, '--jwks file'),
    logKey: parseVerifierKey(options.vkey),
  });
  out(`${mark(result.checks.signature)} JWS signature by a key in the JWKS, valid when the entry was logged`);
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
  out(`not verified: ${result.reason}: ${result.detail}`);
  return 1;
}

/**
 * A signed custody report on its own: the file holds its compact JWS, or the
 * body of GET /v1/evidence/:id/report (`{report, jws}`, the JSON then checked
 * to be what was signed), or is the court's PDF, whose attached report.jws,
 * receipts, proofs and disclosures are checked together. Only the file and
 * the pinned keys are read.
 */
async function report(files: string[], options: { jwks?: string; vkey?: string }): Promise<number> {
  if (!options.vkey) throw new UsageError('missing --vkey');
  const trust = { jwks: readJson(options.jwks, '--jwks file'), logKey: parseVerifierKey(options.vkey) };
  const bytes = readBytes(files[0], 'report file');
  if (Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-') {
    const attached = await pdfAttachments(bytes);
    const verdict = verifyBundle(await bundleOf(attached), trust);
    for (const line of verdict.passed) out(`ok   ${line}`);
    for (const failure of verdict.failures) out(`FAIL ${failure.code} ${failure.where}: ${failure.detail}`);
    out(verdict.valid ? 'verified: the report PDF and its attachments' : 'not verified');
    return verdict.valid ? 0 : 1;
  }
  const { jws, json } = reportOf(Buffer.from(bytes).toString('utf8'));
  const result = verifyReport(jws, trust, json);
  for (const line of result.passed) out(`ok   ${line}`);
  if (result.valid && result.report) {
    const { itemId, entries, checkpoint } = result.report;
    out(
      `verified: the report of evidence:${itemId}, ${entries.length} entries, under the checkpoint of size ${checkpoint.size}`,
    );
    return 0;
  }
  out(`FAIL ${result.failure?.code} ${result.failure?.where}: ${result.failure?.detail}`);
  return 1;
}

function readJson(file: string | undefined, what: string): unknown {
  try {
    return JSON.parse(read(file, what));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what} is not JSON`);
  }
}

function consistency(files: string[], options: { vkey?: string; proof?: string }): number {
  if (!options.vkey) throw new UsageError('missing --vkey');
  const result = verifyCheckpointPair(
    read(files[0], 'old checkpoint'),
    read(files[1], 'new checkpoint'),
    readConsistencyProof(read(options.proof, '--proof file')),
    { logKey: parseVerifierKey(options.vkey) },
  );
  if (result.older) out(`ok   old checkpoint: ${result.older.origin} size ${result.older.size}`);
  if (result.newer) out(`ok   new checkpoint: ${result.newer.origin} size ${result.newer.size}`);
  if (result.valid && result.older && result.newer) {
    out(
      `ok   the log of size ${result.newer.size} extends the log of size ${result.older.size} (RFC 9162 §2.1.4.2)`,
    );
    return 0;
  }
  out(`FAIL ${result.failure?.code}: ${result.failure?.detail}`);
  return 1;
}

/** `name=value` for each field, values as JSON. */
const fieldsText = (fields: DisclosedEntry['data']) =>
  Object.entries(fields)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(' ');

/**
 * One proven entry as this package's recipient may read it: the fields in
 * the clear or disclosed, and how many the entry commits to without giving
 * them to this reader (withheld: they exist, their values were not given).
 */
function printEntry(entry: DisclosedEntry): void {
  const { actor, data, withheld } = entry;
  const count = (n: number) => (n === 0 ? '' : `  (${n} withheld)`);
  out(
    `     entry ${entry.index}: ${entry.type} of ${entry.subject.type}:${entry.subject.id} seq ${entry.seq} at ${entry.at}`,
  );
  out(`       actor ${fieldsText(actor)}${count(withheld.actor)}`);
  out(`       data  ${fieldsText(data) || '-'}${count(withheld.data)}`);
}

/** CASE/UCO JSON-LD, expanded offline: a context that would have to be fetched is refused. */
async function checkGraph(bag: OpenedBag, payloadPaths: readonly string[]): Promise<string | undefined> {
  try {
    const graph = JSON.parse((await bag.read('custody.jsonld')).toString('utf8'));
    const expanded = JSON.stringify(
      await jsonld.expand(graph, {
        documentLoader: async (url: string) => {
          throw new Error(`custody.jsonld names a remote context (${url}); nothing is fetched`);
        },
      }),
    );
    const missing = payloadPaths.filter((path) => !expanded.includes(JSON.stringify(path)));
    return missing.length === 0 ? undefined : `custody.jsonld does not name ${missing.join(', ')}`;
  } catch (error) {
    return `custody.jsonld: ${(error as Error).message}`;
  }
}

/**
 * A disclosure package, offline: the bag (declaration, manifests, oxum, tag
 * manifest), then everything in it through the one verifier (receipts,
 * proofs, one history of checkpoints, complete chains, signed reports, the
 * disclosures of withheld entry fields, each payload against its own item's
 * intake entry) with the log key pinned by --vkey (or the package's own
 * log.vkey, which proves less), and the CASE/UCO graph read without the
 * network. Prints each proven entry with what was disclosed and how much is withheld.
 */
async function packageCommand(files: string[], options: { vkey?: string }): Promise<number> {
  const file = files[0];
  if (!file) throw new UsageError('missing package file');
  let bag: OpenedBag;
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
    if (options.vkey === undefined)
      out('note: no --vkey given; the log key is taken from the package itself, which proves less');
    const reader = bagReader(bag);
    const enclosed = await enclosedKeys(reader);
    const verdict = await verifyPackage(reader, {
      jwks: enclosed.jwks ?? { keys: [] },
      logKey: parseVerifierKey(options.vkey ?? enclosed.vkey ?? ''),
    });
    for (const check of verdict.bag.checks)
      report(check.ok, check.detail && !check.ok ? `${check.name} (${check.detail})` : check.name);
    for (const line of verdict.bundle.passed) out(`     ${line}`);
    if (verdict.bundle.entries.length > 0)
      out('     the proven entries, as disclosed to this package’s recipient:');
    for (const entry of verdict.bundle.entries) printEntry(entry);
    for (const failure of verdict.bundle.failures)
      report(false, `${failure.code} ${failure.where}: ${failure.detail}`);
    const graph = await checkGraph(
      bag,
      verdict.bag.payload.map((payload) => payload.path),
    );
    report(
      graph === undefined,
      graph ?? 'custody.jsonld is JSON-LD (CASE/UCO), read offline, and names every payload file',
    );
    out(
      failures === 0
        ? 'verified: the package is intact and everything in it verifies'
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
    case 'report':
      return report(files, values);
    case 'consistency':
      return consistency(files, values);
    case 'package':
      return packageCommand(files, values);
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
