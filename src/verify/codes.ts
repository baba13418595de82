/**
 * Why a verification failed: one stable code per kind of failure, what it
 * means, and what the holder of the artefact should do about it. The list is
 * closed; docs/verifying.md describes every code (a test holds them together).
 */
export const VERIFY_FAILURES = {
  RECEIPT_MALFORMED:
    'The receipt is not a compact JWS of the custody-receipt form: wrong number of parts, inexact base64url, an unexpected or missing header member, or a payload that is not the claims set formats.md §4 defines.',
  REPORT_MALFORMED:
    'The signed report is not a compact JWS of the custody-report form, or its payload is not a report.',
  PROOF_MALFORMED: 'A tlog-proof or consistency proof cannot be parsed (header, index line, hash lines).',
  BUNDLE_MALFORMED:
    'The bundle itself is incomplete or inconsistent: a required part is missing, duplicated or not of its form.',
  KEY_UNKNOWN: 'The JWS names no key (`kid`), or a key that the pinned JWKS does not hold.',
  KEY_RETIRED: 'The JWS was made with a key after the time the JWKS says the key was retired.',
  KEY_COMPROMISED: 'The JWS was made with a key after the time the JWKS says the key was compromised.',
  SIGNATURE_INVALID: 'The JWS signature does not verify with the key it names.',
  ENTRY_INVALID: 'A log entry is not well formed (formats.md §1).',
  LEAF_HASH_MISMATCH:
    'A leaf hash (a receipt `jti`, a report `leafHash`) is not SHA-256(0x00 || JCS(entry)).',
  CHECKPOINT_INVALID:
    'A checkpoint is not a signed note of the pinned log key (another log, a forged or damaged signature).',
  ORIGIN_MISMATCH: 'The receipt issuer, the entry `log` and the checkpoint origin are not the same log.',
  INCLUSION_INVALID:
    'An inclusion proof does not lead from the entry to the checkpoint root (truncated, reordered or forged).',
  INDEX_MISMATCH: 'Two parts of the bundle give one entry different log indexes.',
  SPLIT_VIEW: 'Two checkpoints of the same log and size have different roots: the log showed two histories.',
  CONSISTENCY_INVALID:
    'A consistency proof does not show that the larger checkpoint extends the smaller one.',
  CONSISTENCY_UNPROVEN:
    'The bundle holds checkpoints of different sizes without a consistency proof between them.',
  CHAIN_INCOMPLETE:
    'A subject’s chain does not run from seq 1 to its last entry without a gap: an entry is missing.',
  CHAIN_BROKEN:
    'An entry’s `prev` does not name the leaf hash of the entry before it in its subject’s chain.',
  CHAIN_FORK: 'Two different entries claim the same place (seq) in one subject’s chain.',
  REPORT_MISMATCH: 'The report given as JSON is not the report that was signed.',
  REPORT_CHECKPOINT_MISMATCH:
    'A signed report’s parts name different checkpoints: an entry’s `tlog_proof` is against another checkpoint than the report’s `log.checkpoint`, or `log.size` is not that checkpoint’s size.',
  REPORT_SUBJECT_MISMATCH: 'A signed report lists an entry of another subject than the item it reports on.',
  REPORT_ORDER_INVALID:
    'A signed report does not list its entries in the order of the chain (ascending seq and log index).',
  INCLUSION_UNPROVEN:
    'A signed report entry carries no `tlog_proof`, so nothing shows it is in the log (reports made before reports carried proofs).',
  REPORT_ENTRIES_MISMATCH:
    'The signed report’s entries are not exactly the entries the receipts prove, or it gives an entry other disclosures than the bundle’s disclosures file for it.',
  PAYLOAD_UNATTESTED: 'A payload file belongs to no item whose `evidence.acquired` entry the bundle proves.',
  PAYLOAD_DIGEST_MISMATCH:
    'A payload file’s bytes do not have the size and digests its item’s `evidence.acquired` entry recorded.',
  PROOF_UNMATCHED:
    'A proof or a disclosures file names a log index for which the bundle holds no verified entry.',
  DISCLOSURE_INVALID:
    'A disclosure is not the base64url (no padding) of a JSON array [salt, name, value] of formats.md §1.1 (a salt under 128 bits, a floating-point value), or it is given twice, or it names a field the entry already holds in the clear.',
  DISCLOSURE_UNMATCHED:
    'A disclosure’s digest (base64url SHA-256 of the disclosure string) is not listed in the `_sd` of its entry’s actor or data: the entry never committed to that field and value.',
} as const satisfies Record<string, string>;

export type VerifyCode = keyof typeof VERIFY_FAILURES;

export const VERIFY_CODES = Object.keys(VERIFY_FAILURES) as VerifyCode[];

/** One failed check: its code, the part of the bundle it concerns, and the evidence in words. */
export interface VerifyFailure {
  readonly code: VerifyCode;
  /** The part that failed: `receipts[3]`, `reports/<id>.jws`, `chain evidence:<id>`, a payload path. */
  readonly where: string;
  readonly detail: string;
}

/** Raised inside the verifier and caught at its boundary; never escapes a public entry point. */
export class VerifyError extends Error {
  constructor(
    readonly code: VerifyCode,
    detail: string,
  ) {
    super(detail);
  }
}
