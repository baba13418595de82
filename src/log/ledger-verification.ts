import type { DataSource } from 'typeorm';
import { LogRepository } from '../db/log.repository';
import { ensureServiceKeys } from '../keys/key-store';
import {
  fromBase64,
  inclusionProof,
  leafHash,
  type NoteVerifier,
  openCheckpoint,
  parseEntry,
  parseVerifierKey,
  toBase64,
  verifyInclusion,
} from '../ledger';
import type { Logger } from '../logger';
import { CheckpointWitness, type TreePoint } from './checkpoint-witness';
import { type AuditReport, auditLedger } from './ledger-audit';
import { logSignerOf, logVerifierKey } from './log-key';
import { Sequencer } from './sequencer';

/** Verification runs are one chain of the log: subject `audit`, id `ledger`. */
const RUNS = { type: 'audit', id: 'ledger' } as const;

export interface LedgerVerification {
  readonly vkey: string;
  readonly report: AuditReport;
  /** The log index of the `ledger.verified` entry, or why the run could not be recorded. */
  readonly recorded: { readonly index: number } | { readonly refused: string };
}

/**
 * `verify ledger`: verifies the stored log from the end of the last successful
 * run (or from scratch with `full`, or when there is none), then records the run
 * as a `ledger.verified` entry with its range and result. Recording needs the
 * log key (DATA_DIR) and a log that signs; a halted log is reported, not written.
 */
export async function verifyLedger(
  db: DataSource,
  settings: { dataDir: string; origin: string; vkey?: string; full: boolean; logger: Logger },
  onProgress?: (done: number, total: number) => void,
): Promise<LedgerVerification> {
  const log = new LogRepository(db);
  const signer = logSignerOf((await ensureServiceKeys(settings.dataDir)).log, settings.origin);
  const vkey = settings.vkey ?? logVerifierKey(signer);
  const logKey = parseVerifierKey(vkey);
  const from = settings.full ? undefined : await lastVerifiedPoint(log, logKey);
  const report = await auditLedger(log, logKey, { from, onProgress });
  if (vkey !== logVerifierKey(signer)) return { vkey, report, recorded: { refused: 'NOT_THE_LOG_KEY' } };

  const sequencer = await Sequencer.open(
    db,
    log,
    signer,
    {
      maxBatch: 1,
      maxQueue: 1,
      witness: await CheckpointWitness.open(settings.dataDir, settings.origin, await log.databaseName()),
    },
    settings.logger,
  );
  if (sequencer.halted) return { vkey, report, recorded: { refused: sequencer.halted } };
  const appended = await sequencer.append({
    subject: RUNS,
    type: 'ledger.verified',
    actor: { sub: 'system:verify', agency: 'SYSTEM', role: 'system' },
    data: {
      ok: report.ok,
      from: report.from,
      to: report.size,
      root: toBase64(report.root),
      entries: report.entries,
      failure: report.failure ? { code: report.failure.code, index: report.failure.index } : null,
    },
  });
  return { vkey, report, recorded: { index: appended.index } };
}

/**
 * Where the last successful run ended, taken from its `ledger.verified` entry
 * only if that entry is authentic: its bytes hash to a leaf that the stored tree
 * proves included under the signed head checkpoint. Otherwise none (a full run).
 */
async function lastVerifiedPoint(log: LogRepository, logKey: NoteVerifier): Promise<TreePoint | undefined> {
  const head = await log.head();
  if (!head) return undefined;
  const runs = await log.chain(RUNS.type, RUNS.id);
  for (const stored of runs.reverse()) {
    try {
      const entry = parseEntry(JSON.parse(Buffer.from(stored.leafData).toString('utf8')));
      const data = entry.data as { ok?: unknown; to?: unknown; root?: unknown };
      if (entry.type !== 'ledger.verified' || data.ok !== true) continue;
      const signed = openCheckpoint(head.checkpoint, logKey);
      const leaf = leafHash(stored.leafData);
      const proof = await inclusionProof(log.nodeReader(), stored.index, signed.size);
      verifyInclusion(stored.index, signed.size, leaf, proof, signed.root);
      if (typeof data.to !== 'number' || typeof data.root !== 'string') return undefined;
      return { size: data.to, root: fromBase64(data.root) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
