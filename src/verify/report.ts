import canonicalize from 'canonicalize';
import {
  type Checkpoint,
  entryLeafHash,
  type LogEntry,
  parseEntry,
  toBase64,
  verifyInclusion,
} from '../ledger';
import { firstBreak } from './chain';
import { VerifyError, type VerifyFailure } from './codes';
import { checkDisclosures } from './disclosures';
import { parseCompactJws, verifyJwsSignature } from './jws';
import { openTrustedCheckpoint, parseProof } from './receipt';
import type { TrustMaterial } from './trust';

/** The JWS `typ` of signed custody reports: a receipt's sibling, never accepted as either a receipt or a token. */
export const REPORT_TYPE = 'custody-report+jwt';

/** What a verified report vouches for: its item, its entries and the checkpoint it was issued under. */
export interface SignedReport {
  readonly itemId: string;
  readonly entries: ReadonlyArray<{
    readonly index: number;
    readonly leafHash: string;
    readonly entry: LogEntry;
    /** The disclosures the report gives its reader for this entry, each checked against it. */
    readonly disclosures: readonly string[];
  }>;
  readonly checkpoint: Checkpoint;
  /** The whole signed payload, as signed. */
  readonly payload: unknown;
}

/** The checks of a signed report, in the order made (`json` only when JSON is given beside the JWS). */
export const REPORT_CHECKS = [
  'signature',
  'json',
  'checkpoint',
  'inclusion',
  'chain',
  'disclosures',
] as const;
export type ReportCheck = (typeof REPORT_CHECKS)[number];

/** The outcome of checking one signed report on its own (the CLI's `verify report`); never throws. */
export interface ReportVerification {
  readonly valid: boolean;
  /** What held, in words, in the order checked. */
  readonly passed: readonly string[];
  /** The checks that held, for a reader to name in its own words. */
  readonly held: readonly ReportCheck[];
  /** The first failure: its code, the part of the report it concerns, and why. */
  readonly failure?: VerifyFailure;
  readonly report?: SignedReport;
}

interface ReportRow {
  readonly index: unknown;
  readonly leafHash: unknown;
  readonly entry: unknown;
  readonly disclosures?: unknown;
  readonly withheld?: unknown;
  readonly tlog_proof?: unknown;
}

interface ReportShape {
  readonly generatedAt: string;
  readonly item: { readonly id: string };
  readonly log: { readonly origin?: unknown; readonly size?: unknown; readonly checkpoint: string };
  readonly entries: readonly ReportRow[];
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function shapeOf(payload: unknown): ReportShape {
  const report = payload as Partial<ReportShape> | null;
  const ok =
    typeof report === 'object' &&
    report !== null &&
    typeof report.generatedAt === 'string' &&
    typeof report.item === 'object' &&
    report.item !== null &&
    typeof report.item.id === 'string' &&
    typeof report.log === 'object' &&
    report.log !== null &&
    typeof report.log.checkpoint === 'string' &&
    Array.isArray(report.entries) &&
    report.entries.every(
      (row) =>
        typeof row === 'object' &&
        row !== null &&
        // Reports of version 1 entries list neither; `withheld` names fields and is for reading only.
        (row.disclosures === undefined || isStringList(row.disclosures)) &&
        (row.withheld === undefined || isStringList(row.withheld)),
    );
  if (!ok) throw new VerifyError('REPORT_MALFORMED', 'the payload is not a custody report');
  return report as ReportShape;
}

/**
 * Verifies a signed custody report, self-contained, with only the trust
 * material passed in (the pinned JWKS and log vkey), in this order:
 * 1. the JWS form and `typ`, and its signature by a receipt key valid when
 *    the report was made (the later of `generatedAt` and its newest entry,
 *    which the log dated);
 * 2. that the JSON given beside it (if any) is what was signed;
 * 3. the checkpoint `log.checkpoint`: signed by the pinned log key, of the
 *    origin and size `log` states;
 * 4. each entry: well formed, of the report's item and log, its `leafHash`
 *    recomputed from it (formats.md §1), its `tlog_proof` against the
 *    report's checkpoint at its own index, leading its leaf to the root
 *    (RFC 6962 §2.1.1);
 * 5. the chain: listed in order of seq and log index, from seq 1 with no gap,
 *    each `prev` naming the entry before;
 * 6. every disclosure against the digests of its entry (formats.md §1.1).
 * The last entries of a chain cannot be proven present by inclusion proofs:
 * a report cut short after a valid signature verifies up to its last entry
 * (docs/verifying.md). Throws VerifyError.
 */
export function verifySignedReport(jws: unknown, json: unknown, trust: TrustMaterial): SignedReport {
  return checkReport(jws, json, trust, () => {});
}

/**
 * As `verifySignedReport`, reporting what held and the first failure instead
 * of throwing: hostile input (anything at all) is a typed failure.
 */
export function verifyReport(jws: unknown, trust: TrustMaterial, json?: unknown): ReportVerification {
  const passed: string[] = [];
  const held: ReportCheck[] = [];
  let where = 'report';
  try {
    const report = checkReport(jws, json, trust, (line, part = 'report', check) => {
      if (line) passed.push(line);
      if (check) held.push(check);
      where = part;
    });
    return { valid: true, passed, held, report };
  } catch (error) {
    const known =
      error instanceof VerifyError
        ? error
        : new VerifyError('REPORT_MALFORMED', 'the report could not be read');
    return { valid: false, passed, held, failure: { code: known.code, where, detail: known.message } };
  }
}

/** Runs a ledger check; any failure it throws becomes `code`. */
function as<T>(code: VerifyError['code'], detail: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof VerifyError) throw error;
    throw new VerifyError(code, detail);
  }
}

/** `progress(passed, part, check)`: a check that held (in words, and which), and the part checked next. */
type Progress = (passed: string | undefined, part?: string, check?: ReportCheck) => void;

function checkReport(jws: unknown, json: unknown, trust: TrustMaterial, progress: Progress): SignedReport {
  const parsed = parseCompactJws(jws, REPORT_TYPE, 'REPORT_MALFORMED');
  const report = shapeOf(parsed.payload);
  const entries = report.entries.map((row, position) => {
    progress(undefined, `entries[${position}]`);
    const entry = as('ENTRY_INVALID', `report entry ${String(row.index)} is not a well-formed entry`, () =>
      parseEntry(row.entry),
    );
    if (!Number.isSafeInteger(row.index) || (row.index as number) < 0) {
      throw new VerifyError('REPORT_MALFORMED', 'a report entry has no log index');
    }
    return { row, index: row.index as number, entry, disclosures: (row.disclosures ?? []) as string[] };
  });
  progress(undefined, 'signature');
  // A reduce, not a spread: a report of any length must not overflow the stack.
  const madeAt = entries.reduce(
    (latest, { entry }) => Math.max(latest, Date.parse(entry.at)),
    Date.parse(report.generatedAt),
  );
  if (Number.isNaN(madeAt)) throw new VerifyError('REPORT_MALFORMED', 'generatedAt is not a time');
  verifyJwsSignature(parsed, trust, madeAt);
  progress(
    `JWS (${REPORT_TYPE}) signed by key ${parsed.kid} of the JWKS, valid when the report was made`,
    undefined,
    'signature',
  );
  if (json !== undefined) {
    if (canonicalize(json) !== canonicalize(parsed.payload))
      throw new VerifyError('REPORT_MISMATCH', 'the JSON report differs from the signed one');
    progress(undefined, undefined, 'json');
  }

  progress(undefined, 'log.checkpoint');
  const checkpoint = openTrustedCheckpoint(report.log.checkpoint, trust);
  if (report.log.origin !== checkpoint.origin) {
    throw new VerifyError('ORIGIN_MISMATCH', 'log.origin is not the origin of the checkpoint');
  }
  if (report.log.size !== checkpoint.size) {
    throw new VerifyError('REPORT_CHECKPOINT_MISMATCH', 'log.size is not the size of the checkpoint');
  }
  progress(
    `checkpoint of ${checkpoint.origin} at size ${checkpoint.size} signed by the log key`,
    undefined,
    'checkpoint',
  );

  const proven = entries.map(({ row, index, entry, disclosures }, position) => {
    progress(undefined, `entries[${position}]`);
    if (entry.subject.type !== 'evidence' || entry.subject.id !== report.item.id) {
      throw new VerifyError(
        'REPORT_SUBJECT_MISMATCH',
        `report entry ${index} is of ${entry.subject.type}:${entry.subject.id}, not of the report's item`,
      );
    }
    if (entry.log !== checkpoint.origin) {
      throw new VerifyError('ORIGIN_MISMATCH', `report entry ${index} names another log than the checkpoint`);
    }
    const leafHash = entryLeafHash(entry);
    if (row.leafHash !== toBase64(leafHash)) {
      throw new VerifyError('LEAF_HASH_MISMATCH', `report entry ${index} does not hash to its leafHash`);
    }
    if (row.tlog_proof === undefined || row.tlog_proof === '') {
      throw new VerifyError('INCLUSION_UNPROVEN', `report entry ${index} carries no tlog_proof`);
    }
    const proof = parseProof(row.tlog_proof);
    if (proof.index !== index) {
      throw new VerifyError(
        'INDEX_MISMATCH',
        `report entry ${index} has a tlog_proof for index ${proof.index}`,
      );
    }
    if (proof.checkpoint !== report.log.checkpoint) {
      throw new VerifyError(
        'REPORT_CHECKPOINT_MISMATCH',
        `the tlog_proof of report entry ${index} is against another checkpoint than log.checkpoint`,
      );
    }
    as('INCLUSION_INVALID', `the tlog_proof does not lead entry ${index} to the checkpoint root`, () =>
      verifyInclusion(index, checkpoint.size, leafHash, proof.proof, checkpoint.root),
    );
    return { index, leafHash, entry, disclosures };
  });
  progress(
    `${proven.length} entries hash to their leafHash and are in the log of size ${checkpoint.size} (RFC 6962 inclusion proofs)`,
    undefined,
    'inclusion',
  );

  progress(undefined, 'entries');
  // Listed in the order of the chain: a reader reads them as the item's history. (Two at one seq are a fork, below.)
  const disordered = proven.findIndex((one, i) => {
    const before = proven[i - 1];
    return before !== undefined && (one.entry.seq < before.entry.seq || one.index <= before.index);
  });
  if (disordered > 0) {
    throw new VerifyError(
      'REPORT_ORDER_INVALID',
      `report entry ${proven[disordered]?.index} is listed after an entry that follows it in the chain`,
    );
  }
  if (proven.length === 0) throw new VerifyError('CHAIN_INCOMPLETE', 'the report lists no entry of its item');
  const broken = firstBreak(proven);
  if (broken) throw new VerifyError(broken.code, broken.detail);
  progress(
    `the chain runs from seq 1 to seq ${proven.length}, each entry linked to the one before`,
    undefined,
    'chain',
  );

  for (const [position, { index, entry, disclosures }] of proven.entries()) {
    progress(undefined, `entries[${position}].disclosures`);
    try {
      checkDisclosures(entry, disclosures);
    } catch (error) {
      const { code, message } = error as VerifyError;
      throw new VerifyError(code, `report entry ${index}: ${message}`);
    }
  }
  const given = proven.reduce((sum, { disclosures }) => sum + disclosures.length, 0);
  progress(`${given} disclosures match digests of their entries`, undefined, 'disclosures');
  return {
    itemId: report.item.id,
    entries: proven.map(({ index, leafHash, entry, disclosures }) => ({
      index,
      leafHash: toBase64(leafHash),
      entry,
      disclosures,
    })),
    checkpoint,
    payload: parsed.payload,
  };
}
