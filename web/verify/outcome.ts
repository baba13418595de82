import { fromBase64, type NoteVerifier, parseVerifierKey, toHex } from '../../src/ledger';
import {
  type BagVerification,
  type Bundle,
  type BundleVerification,
  bundleOf,
  type DisclosedEntry,
  enclosedKeys,
  type FileSet,
  REPORT_CHECKS,
  type ReceiptChecks,
  receiptOf,
  reportOf,
  type TrustMaterial,
  type VerifyFailure,
  verifyBundle,
  verifyPackage,
  verifyReceipt,
  verifyReport,
} from '../../src/verify';
import { disclosedEntry } from '../../src/verify/disclosures';
import { pdfAttachments } from '../../src/verify/pdf-attachments';
import { type Material, openZippedBag } from './inputs';
import type { PageKey, ShownCode } from './messages';

/**
 * What the page shows of a verification, in no language: each check with
 * its state and codes, the keys used, the proven entries. The words are the
 * view's (result.tsx); tests read the codes from its data attributes.
 */

export type RowCheck =
  | 'BAG_DECLARATION'
  | 'MANIFEST_COMPLETE'
  | 'PAYLOAD_DIGESTS'
  | 'PAYLOAD_OXUM'
  | 'TAG_FILE_DIGEST'
  | 'TAG_MANIFEST'
  | 'RECEIPT'
  | 'PROOF'
  | 'REPORT'
  | 'DISCLOSURES'
  | 'HISTORY'
  | 'CHAIN'
  | 'PAYLOAD'
  | 'RECEIPT_SIGNATURE'
  | 'RECEIPT_LEAF'
  | 'RECEIPT_CHECKPOINT'
  | 'RECEIPT_INCLUSION'
  | 'RECEIPT_ORIGIN'
  | 'REPORT_SIGNATURE'
  | 'REPORT_JSON'
  | 'REPORT_CHECKPOINT'
  | 'REPORT_INCLUSION'
  | 'REPORT_CHAIN'
  | 'REPORT_DISCLOSURES'
  | 'OTHER';

export type RowState = 'pass' | 'fail' | 'unreached';

export interface CheckRow {
  readonly check: RowCheck;
  /** The file, chain or part the check is about. */
  readonly subject?: string;
  readonly state: RowState;
  readonly codes: readonly ShownCode[];
  /** The verifier's own words on each failure (English, technical). */
  readonly details: readonly string[];
}

export type GroupId = 'bag' | 'signed' | 'chains' | 'payload' | 'other';

export interface Outcome {
  readonly kind: 'package' | 'receipt' | 'report';
  readonly name: string;
  readonly valid: boolean;
  readonly keys: {
    readonly source: TrustSource;
    readonly log: { readonly name: string; readonly keyId: string };
    readonly receipt: ReadonlyArray<{ readonly kid: string; readonly x: string }>;
  };
  readonly groups: ReadonlyArray<{ readonly group: GroupId; readonly rows: readonly CheckRow[] }>;
  readonly entries: readonly DisclosedEntry[];
}

/** Pinned: the reader's own copy of the keys. Enclosed: the material's own keys, which prove less. */
export type TrustSource = 'pinned' | 'enclosed';

export interface TrustInput {
  readonly source: TrustSource;
  readonly vkey: string;
  readonly jwks: string;
}

/** A verification that could not start: what is missing or unreadable, as a message key. */
export interface InputProblem {
  readonly problem: PageKey;
  readonly name?: string;
}

const row = (check: RowCheck, subject: string | undefined, failures: readonly VerifyFailure[]): CheckRow => ({
  check,
  ...(subject === undefined ? {} : { subject }),
  state: failures.length === 0 ? 'pass' : 'fail',
  codes: [...new Set(failures.map((failure) => failure.code))],
  details: failures.map((failure) => `${failure.where}: ${failure.detail}`),
});

/** The five checks of a receipt (formats.md §4), in the order made. */
const RECEIPT_ROWS: Record<keyof ReceiptChecks, RowCheck> = {
  signature: 'RECEIPT_SIGNATURE',
  leafHash: 'RECEIPT_LEAF',
  checkpoint: 'RECEIPT_CHECKPOINT',
  inclusion: 'RECEIPT_INCLUSION',
  origin: 'RECEIPT_ORIGIN',
};

const HISTORY_CODES = new Set<ShownCode>(['SPLIT_VIEW', 'CONSISTENCY_INVALID', 'CONSISTENCY_UNPROVEN']);

/**
 * The bundle's checks as rows: one per receipt, proof, report and
 * disclosures file, one for the checkpoints' history, one per chain, one per
 * payload file. Every failure is shown on exactly one row (`OTHER` for one
 * that names no part the rows list).
 */
function bundleGroups(bundle: Bundle, result: BundleVerification, bag?: BagVerification): Outcome['groups'] {
  const unclaimed = [...result.failures];
  const claim = (matches: (failure: VerifyFailure) => boolean) => {
    const claimed = unclaimed.filter(matches);
    for (const failure of claimed) unclaimed.splice(unclaimed.indexOf(failure), 1);
    return claimed;
  };
  const history = row(
    'HISTORY',
    undefined,
    claim((failure) => HISTORY_CODES.has(failure.code)),
  );
  const of = (name: string) => (failure: VerifyFailure) =>
    failure.where === name || failure.where.startsWith(`${name}[`);
  const signed = [
    ...bundle.receipts.map(({ name }) => row('RECEIPT', name, claim(of(name)))),
    ...(bundle.proofs ?? []).map(({ name }) => row('PROOF', name, claim(of(name)))),
    ...(bundle.reports ?? []).map(({ name }) => row('REPORT', name, claim(of(name)))),
    ...(bundle.disclosures ?? []).map(({ name }) => row('DISCLOSURES', name, claim(of(name)))),
    history,
  ];
  const subjects = new Set(result.entries.map(({ subject }) => `${subject.type}:${subject.id}`));
  for (const failure of unclaimed)
    if (failure.where.startsWith('chain ')) subjects.add(failure.where.slice('chain '.length));
  const chains = [...subjects].map((subject) => row('CHAIN', subject, claim(of(`chain ${subject}`))));
  const payload = (bundle.payloads ?? []).map(({ path }) => row('PAYLOAD', path, claim(of(path))));
  const groups: Array<{ group: GroupId; rows: CheckRow[] }> = [];
  if (bag) {
    groups.push({
      group: 'bag',
      rows: bag.checks.map((check) => ({
        check: check.kind,
        ...(check.path === undefined ? {} : { subject: check.path }),
        state: check.ok ? 'pass' : 'fail',
        codes: check.ok ? [] : ['BAG_CHECK_FAILED'],
        details: check.ok || !check.detail ? [] : [check.detail],
      })),
    });
  }
  groups.push({ group: 'signed', rows: signed }, { group: 'chains', rows: chains });
  if (payload.length > 0) groups.push({ group: 'payload', rows: payload });
  if (unclaimed.length > 0)
    groups.push({ group: 'other', rows: unclaimed.map((failure) => row('OTHER', failure.where, [failure])) });
  return groups;
}

/** Rows of checks made one after the other: those that held pass, the next fails with `code`, the rest are not reached. */
function stepRows(
  checks: readonly RowCheck[],
  held: (check: RowCheck) => boolean,
  failure: VerifyFailure | undefined,
): CheckRow[] {
  let failed = false;
  return checks.map((check) => {
    if (held(check)) return row(check, undefined, []);
    if (failed || !failure) return { check, state: 'unreached', codes: [], details: [] };
    failed = true;
    return row(check, undefined, [failure]);
  });
}

function keysShown(source: TrustSource, logKey: NoteVerifier, jwks: unknown): Outcome['keys'] {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  return {
    source,
    log: { name: logKey.name, keyId: toHex(logKey.keyId) },
    receipt: (Array.isArray(keys) ? keys : [])
      .filter((key): key is { kid: unknown; x: unknown } => typeof key === 'object' && key !== null)
      .map((key) => ({ kid: String(key.kid), x: String(key.x) })),
  };
}

function trustOf(
  input: TrustInput,
  enclosed: { jwks?: unknown; vkey?: string } | undefined,
): TrustMaterial | InputProblem {
  if (input.source === 'enclosed') {
    if (!enclosed?.vkey || enclosed.jwks === undefined) return { problem: 'error_noEnclosedKeys' };
    try {
      return { jwks: enclosed.jwks, logKey: parseVerifierKey(enclosed.vkey) };
    } catch {
      return { problem: 'error_badVkey' };
    }
  }
  if (input.vkey.trim() === '' || input.jwks.trim() === '') return { problem: 'error_noKeys' };
  let logKey: NoteVerifier;
  try {
    logKey = parseVerifierKey(input.vkey.trim());
  } catch {
    return { problem: 'error_badVkey' };
  }
  try {
    return { jwks: JSON.parse(input.jwks) as unknown, logKey };
  } catch {
    return { problem: 'error_badJwks' };
  }
}

const decoder = new TextDecoder();

/**
 * Verifies one package, receipt or report with the one verifier (src/verify),
 * against the keys the reader chose. Nothing leaves the page.
 */
export async function verifyMaterial(material: Material, input: TrustInput): Promise<Outcome | InputProblem> {
  if (material.kind === 'package') {
    const bag = openZippedBag(material.bytes);
    if (!bag) return { problem: 'error_notZip', name: material.name };
    const trust = trustOf(input, input.source === 'enclosed' ? await enclosedKeys(bag) : undefined);
    if ('problem' in trust) return trust;
    const verdict = await verifyPackage(bag, trust);
    return {
      kind: 'package',
      name: material.name,
      valid: verdict.valid,
      keys: keysShown(input.source, trust.logKey, trust.jwks),
      groups: bundleGroups(await bundleOf(bag, verdict.bag.payload), verdict.bundle, verdict.bag),
      entries: verdict.bundle.entries,
    };
  }
  if (material.kind === 'report' && decoder.decode(material.bytes.subarray(0, 5)) === '%PDF-') {
    const attached: FileSet = await pdfAttachments(material.bytes);
    const trust = trustOf(input, input.source === 'enclosed' ? await enclosedKeys(attached) : undefined);
    if ('problem' in trust) return trust;
    const bundle = await bundleOf(attached);
    const verdict = verifyBundle(bundle, trust);
    return {
      kind: 'report',
      name: material.name,
      valid: verdict.valid,
      keys: keysShown(input.source, trust.logKey, trust.jwks),
      groups: bundleGroups(bundle, verdict),
      entries: verdict.entries,
    };
  }
  const trust = trustOf(input, undefined);
  if ('problem' in trust) return trust;
  const keys = keysShown(input.source, trust.logKey, trust.jwks);
  const text = decoder.decode(material.bytes);
  if (material.kind === 'receipt') {
    const result = verifyReceipt(receiptOf(text), trust);
    const held = new Set(
      (Object.keys(RECEIPT_ROWS) as Array<keyof ReceiptChecks>)
        .filter((check) => result.checks[check])
        .map((check) => RECEIPT_ROWS[check]),
    );
    const failure = result.reason
      ? { code: result.reason, where: material.name, detail: result.detail ?? '' }
      : undefined;
    return {
      kind: 'receipt',
      name: material.name,
      valid: result.valid,
      keys,
      groups: [
        { group: 'signed', rows: stepRows(Object.values(RECEIPT_ROWS), (check) => held.has(check), failure) },
      ],
      entries: result.proven ? [disclosedEntry(result.proven, [])] : [],
    };
  }
  const { jws, json } = reportOf(text);
  const result = verifyReport(jws, trust, json);
  const steps = REPORT_CHECKS.filter((check) => check !== 'json' || json !== undefined);
  const rowOf = (check: (typeof REPORT_CHECKS)[number]) => `REPORT_${check.toUpperCase()}` as RowCheck;
  const held = new Set(result.held.map(rowOf));
  const report = result.report;
  return {
    kind: 'report',
    name: material.name,
    valid: result.valid,
    keys,
    groups: [
      {
        group: 'signed',
        rows: stepRows(steps.map(rowOf), (check) => held.has(check), result.failure),
      },
    ],
    entries: report
      ? report.entries.map(({ index, leafHash, entry, disclosures }) =>
          disclosedEntry(
            { index, leafHash: fromBase64(leafHash), entry, checkpoint: report.checkpoint },
            disclosures,
          ),
        )
      : [],
  };
}
