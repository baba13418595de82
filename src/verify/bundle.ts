import { equalBytes, toBase64, verifyInclusion } from '../ledger';
import { checkChains } from './chain';
import { type ConsistencyProof, checkCheckpointSet } from './checkpoints';
import { VerifyError, type VerifyFailure } from './codes';
import { checkDisclosureFiles, type DisclosedEntry, disclosedEntry, sameDisclosures } from './disclosures';
import { openTrustedCheckpoint, type ProvenEntry, parseProof, verifyReceipt } from './receipt';
import { type SignedReport, verifySignedReport } from './report';
import type { TrustMaterial } from './trust';

/** A payload file as its reader measured it, and the item it says it is. */
export interface PayloadFile {
  readonly path: string;
  readonly evidenceId: string;
  readonly size: number;
  readonly sha256: string;
  readonly sha512: string;
}

/**
 * Everything a partner or court holds about some items, each part named as
 * it was received (a package's file names): receipts, detached tlog-proofs,
 * consistency proofs between the checkpoints, signed reports (with the JSON
 * they were given as), the disclosures of withheld entry fields
 * (`disclosures/<log index>.json`, parsed JSON) and the payload files'
 * measured digests.
 */
export interface Bundle {
  readonly receipts: ReadonlyArray<{ readonly name: string; readonly jws: unknown }>;
  readonly proofs?: ReadonlyArray<{ readonly name: string; readonly text: unknown }>;
  readonly consistency?: ReadonlyArray<{ readonly name: string; readonly value: ConsistencyProof }>;
  readonly reports?: ReadonlyArray<{ readonly name: string; readonly jws: unknown; readonly json?: unknown }>;
  readonly disclosures?: ReadonlyArray<{ readonly name: string; readonly value: unknown }>;
  readonly payloads?: readonly PayloadFile[];
}

export interface BundleVerification {
  readonly valid: boolean;
  readonly failures: readonly VerifyFailure[];
  /** What was checked and held, in words, for a person to read. */
  readonly passed: readonly string[];
  /**
   * Every entry a receipt proves, in log order, with the fields disclosed to
   * this reader (by its disclosures file, else by a signed report) and how
   * many stay withheld. Only disclosures that check are applied.
   */
  readonly entries: readonly DisclosedEntry[];
}

/**
 * Verifies a bundle offline against pinned trust material and reports every
 * failure (each with its code and the part it concerns), not only the first:
 * receipts; detached proofs against the entries the receipts prove; one
 * history across every checkpoint seen; every subject's chain complete; each
 * report signed and listing exactly the proven entries of its item; every
 * disclosure (files and reports) matching a digest of its entry, and a report
 * giving the same disclosures as the file for that entry; each payload's size
 * and digests those of its own item's `evidence.acquired` entry. Pure: no
 * network, no file system; runs in Node and in browsers.
 */
export function verifyBundle(bundle: Bundle, trust: TrustMaterial): BundleVerification {
  const failures: VerifyFailure[] = [];
  const passed: string[] = [];
  const fail = (where: string, error: unknown) => {
    const known =
      error instanceof VerifyError ? error : new VerifyError('BUNDLE_MALFORMED', 'unreadable part');
    failures.push({ code: known.code, where, detail: known.message });
  };
  if (!Array.isArray(bundle?.receipts) || bundle.receipts.length === 0) {
    return {
      valid: false,
      failures: [{ code: 'BUNDLE_MALFORMED', where: 'receipts', detail: 'no receipts' }],
      passed,
      entries: [],
    };
  }

  const proven = new Map<number, ProvenEntry & { readonly where: string }>();
  const checkpoints: Array<{ where: string; checkpoint: ProvenEntry['checkpoint'] }> = [];
  for (const { name, jws } of bundle.receipts) {
    const result = verifyReceipt(jws, trust);
    if (!result.valid || !result.proven) {
      failures.push({ code: result.reason ?? 'RECEIPT_MALFORMED', where: name, detail: result.detail ?? '' });
      continue;
    }
    const { proven: entry } = result;
    checkpoints.push({ where: name, checkpoint: entry.checkpoint });
    const same = proven.get(entry.index);
    if (same && !equalBytes(same.leafHash, entry.leafHash)) {
      failures.push({
        code: 'INDEX_MISMATCH',
        where: name,
        detail: `${same.where} proves another entry at index ${entry.index}`,
      });
      continue;
    }
    proven.set(entry.index, { ...entry, where: name });
  }
  passed.push(`${proven.size} of ${bundle.receipts.length} receipts verify`);

  for (const { name, text } of bundle.proofs ?? []) {
    try {
      const parsed = parseProof(text);
      const entry = proven.get(parsed.index);
      if (!entry) throw new VerifyError('PROOF_UNMATCHED', `no verified receipt for index ${parsed.index}`);
      const checkpoint = openTrustedCheckpoint(parsed.checkpoint, trust);
      try {
        verifyInclusion(parsed.index, checkpoint.size, entry.leafHash, parsed.proof, checkpoint.root);
      } catch {
        throw new VerifyError(
          'INCLUSION_INVALID',
          `the proof does not lead entry ${parsed.index} to the root`,
        );
      }
      checkpoints.push({ where: name, checkpoint });
    } catch (error) {
      fail(name, error);
    }
  }

  const disclosures = checkDisclosureFiles(bundle.disclosures ?? [], proven);
  failures.push(...disclosures.failures);
  if (bundle.disclosures?.length)
    passed.push(
      `${disclosures.given.size} of ${bundle.disclosures.length} disclosures files name a proven entry and are lists of disclosures`,
    );

  const reports: Array<{ name: string; report: SignedReport }> = [];
  for (const { name, jws, json } of bundle.reports ?? []) {
    try {
      const report = verifySignedReport(jws, json, trust);
      checkpoints.push({ where: name, checkpoint: report.checkpoint });
      reports.push({ name, report });
    } catch (error) {
      fail(name, error);
    }
  }
  for (const { name, report } of reports) {
    const listed = report.entries.map((row) => `${row.index}:${row.leafHash}`).sort();
    const receipted = [...proven.values()]
      .filter(({ entry }) => entry.subject.type === 'evidence' && entry.subject.id === report.itemId)
      .map((row) => `${row.index}:${toBase64(row.leafHash)}`)
      .sort();
    if (listed.join() !== receipted.join()) {
      failures.push({
        code: 'REPORT_ENTRIES_MISMATCH',
        where: name,
        detail: `the report lists ${listed.length} entries of item ${report.itemId}, the receipts prove ${receipted.length} others or more`,
      });
    }
    for (const row of report.entries) {
      const file = disclosures.given.get(row.index);
      if (file && !sameDisclosures(file.listed, row.disclosures))
        failures.push({
          code: 'REPORT_ENTRIES_MISMATCH',
          where: name,
          detail: `the report gives entry ${row.index} other disclosures than disclosures/${row.index}.json`,
        });
    }
  }
  passed.push(`${reports.length} of ${bundle.reports?.length ?? 0} signed reports verify`);

  const history = checkCheckpointSet(checkpoints, bundle.consistency ?? []);
  failures.push(...history);
  if (history.length === 0) passed.push(`${checkpoints.length} checkpoints belong to one history`);

  const chains = checkChains(proven.values());
  failures.push(...chains.failures);
  passed.push(`${chains.chains - chains.failures.length} of ${chains.chains} chains are complete and linked`);

  for (const payload of bundle.payloads ?? []) {
    const failure = checkPayload(payload, proven.values());
    if (failure) failures.push(failure);
  }
  if (bundle.payloads?.length)
    passed.push(`${bundle.payloads.length} payload files checked against their intake entries`);

  // A report's disclosures checked with the report; they show an entry no disclosures file covers.
  const reported = new Map(
    reports.flatMap(({ report }) =>
      report.entries.map((row) => [`${row.index}:${row.leafHash}`, row.disclosures]),
    ),
  );
  const entries = [...proven.values()]
    .sort((a, b) => a.index - b.index)
    .map((entry) =>
      disclosedEntry(
        entry,
        disclosures.given.get(entry.index)?.checked ??
          reported.get(`${entry.index}:${toBase64(entry.leafHash)}`) ??
          [],
      ),
    );
  return { valid: failures.length === 0, failures, passed, entries };
}

/** A payload file must be the bytes its own item's `evidence.acquired` entry recorded. */
function checkPayload(payload: PayloadFile, entries: Iterable<ProvenEntry>): VerifyFailure | undefined {
  const acquired = [...entries].find(
    ({ entry }) =>
      entry.subject.type === 'evidence' &&
      entry.subject.id === payload.evidenceId &&
      entry.seq === 1 &&
      entry.type === 'evidence.acquired',
  )?.entry.data;
  if (!acquired) {
    return {
      code: 'PAYLOAD_UNATTESTED',
      where: payload.path,
      detail: `no proven intake entry for item ${payload.evidenceId}`,
    };
  }
  const recorded = { size: acquired.size, sha256: acquired.sha256, sha512: acquired.sha512 };
  const measured = { size: payload.size, sha256: payload.sha256, sha512: payload.sha512 };
  const differing = (Object.keys(recorded) as Array<keyof typeof recorded>).filter(
    (key) => recorded[key] !== measured[key],
  );
  return differing.length === 0
    ? undefined
    : {
        code: 'PAYLOAD_DIGEST_MISMATCH',
        where: payload.path,
        detail: `${differing.join(', ')} differ from item ${payload.evidenceId}'s intake entry`,
      };
}
