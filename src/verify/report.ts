import canonicalize from 'canonicalize';
import { type Checkpoint, entryLeafHash, type LogEntry, parseEntry, toBase64 } from '../ledger';
import { VerifyError } from './codes';
import { checkDisclosures } from './disclosures';
import { parseCompactJws, verifyJwsSignature } from './jws';
import { openTrustedCheckpoint } from './receipt';
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

interface ReportShape {
  readonly generatedAt: string;
  readonly item: { readonly id: string };
  readonly log: { readonly checkpoint: string };
  readonly entries: ReadonlyArray<{
    readonly index: unknown;
    readonly leafHash: unknown;
    readonly entry: unknown;
    readonly disclosures?: unknown;
    readonly withheld?: unknown;
  }>;
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function shapeOf(payload: unknown): ReportShape {
  const report = payload as Partial<ReportShape> | null;
  const ok =
    typeof report === 'object' &&
    report !== null &&
    typeof report.generatedAt === 'string' &&
    typeof report.item?.id === 'string' &&
    typeof report.log?.checkpoint === 'string' &&
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
 * Verifies a signed custody report: its JWS (a receipt key valid when the
 * report was made: the later of `generatedAt` and its newest entry, which the
 * log dated), that the JSON given beside it (if any) is what was signed, every
 * entry's leaf hash and disclosures, and its checkpoint under the pinned log
 * key. Throws VerifyError.
 */
export function verifySignedReport(jws: unknown, json: unknown, trust: TrustMaterial): SignedReport {
  const parsed = parseCompactJws(jws, REPORT_TYPE, 'REPORT_MALFORMED');
  const report = shapeOf(parsed.payload);
  const entries = report.entries.map((row) => {
    const entry = (() => {
      try {
        return parseEntry(row.entry);
      } catch {
        throw new VerifyError(
          'ENTRY_INVALID',
          `report entry ${String(row.index)} is not a well-formed entry`,
        );
      }
    })();
    if (!Number.isSafeInteger(row.index) || (row.index as number) < 0) {
      throw new VerifyError('REPORT_MALFORMED', 'a report entry has no log index');
    }
    const leafHash = toBase64(entryLeafHash(entry));
    if (row.leafHash !== leafHash) {
      throw new VerifyError('LEAF_HASH_MISMATCH', `report entry ${row.index} does not hash to its leafHash`);
    }
    return { index: row.index as number, leafHash, entry, disclosures: (row.disclosures ?? []) as string[] };
  });
  const madeAt = Math.max(
    Date.parse(report.generatedAt),
    ...entries.map(({ entry }) => Date.parse(entry.at)),
  );
  if (Number.isNaN(madeAt)) throw new VerifyError('REPORT_MALFORMED', 'generatedAt is not a time');
  verifyJwsSignature(parsed, trust, madeAt);
  for (const { index, entry, disclosures } of entries) {
    try {
      checkDisclosures(entry, disclosures);
    } catch (error) {
      const { code, message } = error as VerifyError;
      throw new VerifyError(code, `report entry ${index}: ${message}`);
    }
  }
  if (json !== undefined && canonicalize(json) !== canonicalize(parsed.payload)) {
    throw new VerifyError('REPORT_MISMATCH', 'the JSON report differs from the signed one');
  }
  return {
    itemId: report.item.id,
    entries,
    checkpoint: openTrustedCheckpoint(report.log.checkpoint, trust),
    payload: parsed.payload,
  };
}
