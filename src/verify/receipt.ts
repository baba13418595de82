import {
  type Checkpoint,
  entryLeafHash,
  type LogEntry,
  openCheckpoint,
  parseEntry,
  parseTlogProof,
  type TlogProof,
  toBase64Url,
  verifyInclusion,
} from '../ledger';
import { type VerifyCode, VerifyError } from './codes';
import { parseCompactJws, verifyJwsSignature } from './jws';
import type { TrustMaterial } from './trust';

/** formats.md §4: the JWS `typ` of receipts, never accepted as an access token or a report (and vice versa). */
export const RECEIPT_TYPE = 'custody-receipt+jwt';

/** The claims of a receipt (formats.md §4), exactly these. */
export interface ReceiptPayload {
  readonly iss: string;
  readonly iat: number;
  readonly jti: string;
  readonly sub: string;
  readonly entry: LogEntry;
  readonly index: number;
  readonly tlog_proof: string;
}

/** The five checks of formats.md §4, each reported on its own. */
export interface ReceiptChecks {
  signature: boolean;
  leafHash: boolean;
  checkpoint: boolean;
  inclusion: boolean;
  origin: boolean;
}

/** What a verified receipt proves: this entry, at this index, under this signed checkpoint. */
export interface ProvenEntry {
  readonly entry: LogEntry;
  readonly index: number;
  readonly leafHash: Uint8Array;
  readonly checkpoint: Checkpoint;
}

export interface ReceiptVerification {
  readonly valid: boolean;
  readonly checks: ReceiptChecks;
  /** The code of the first failing check. */
  readonly reason?: VerifyCode;
  readonly detail?: string;
  /** The claims, once the signature verified. */
  readonly payload?: ReceiptPayload;
  readonly treeSize?: number;
  readonly proven?: ProvenEntry;
}

const CLAIMS = ['entry', 'iat', 'index', 'iss', 'jti', 'sub', 'tlog_proof'];

function claimsOf(payload: unknown): ReceiptPayload {
  const claims = payload as Record<string, unknown> | null;
  const wellFormed =
    typeof claims === 'object' &&
    claims !== null &&
    !Array.isArray(claims) &&
    Object.keys(claims).sort().join() === CLAIMS.join() &&
    typeof claims.iss === 'string' &&
    typeof claims.jti === 'string' &&
    typeof claims.sub === 'string' &&
    typeof claims.tlog_proof === 'string' &&
    Number.isSafeInteger(claims.iat) &&
    (claims.iat as number) >= 0 &&
    Number.isSafeInteger(claims.index) &&
    (claims.index as number) >= 0;
  if (!wellFormed) throw new VerifyError('RECEIPT_MALFORMED', 'the payload is not the receipt claims set');
  return claims as unknown as ReceiptPayload;
}

/** Runs a ledger check; any failure it throws becomes `code`. */
function as<T>(code: VerifyCode, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof VerifyError) throw error;
    throw new VerifyError(code, (error as Error).message);
  }
}

/**
 * Opens a checkpoint with the pinned log key: a checkpoint of another log, or
 * one whose signature does not verify, is CHECKPOINT_INVALID.
 */
export function openTrustedCheckpoint(note: unknown, trust: Pick<TrustMaterial, 'logKey'>): Checkpoint {
  if (typeof note !== 'string') throw new VerifyError('CHECKPOINT_INVALID', 'a checkpoint is text');
  return as('CHECKPOINT_INVALID', () => openCheckpoint(note, trust.logKey));
}

/** Parses a C2SP tlog-proof; garbage is PROOF_MALFORMED. */
export function parseProof(text: unknown): TlogProof {
  return as('PROOF_MALFORMED', () => parseTlogProof(text as string));
}

/**
 * Verifies a receipt offline with the trust material passed in (formats.md
 * §4): the JWS form and signature (with a key valid when the entry was
 * logged), the leaf hash recomputed from the entry, the checkpoint signed by
 * the log key, the inclusion proof, and that issuer, entry and checkpoint
 * name one log. Garbage input fails with a code; it never throws.
 */
export function verifyReceipt(receipt: unknown, trust: TrustMaterial): ReceiptVerification {
  const checks: ReceiptChecks = {
    signature: false,
    leafHash: false,
    checkpoint: false,
    inclusion: false,
    origin: false,
  };
  let payload: ReceiptPayload | undefined;
  try {
    const jws = parseCompactJws(receipt, RECEIPT_TYPE, 'RECEIPT_MALFORMED');
    const claims = claimsOf(jws.payload);
    const entry = as('ENTRY_INVALID', () => parseEntry(claims.entry));
    if (claims.sub !== `${entry.subject.type}:${entry.subject.id}`) {
      throw new VerifyError('RECEIPT_MALFORMED', 'sub does not name the entry subject');
    }
    // The entry's time is the log's, so a stolen key cannot backdate what it signs.
    verifyJwsSignature(jws, trust, Math.max(claims.iat * 1000, Date.parse(entry.at)));
    checks.signature = true;
    payload = claims;

    const leaf = entryLeafHash(entry);
    if (claims.jti !== toBase64Url(leaf))
      throw new VerifyError('LEAF_HASH_MISMATCH', 'jti is not the entry leaf hash');
    checks.leafHash = true;

    const bundle = parseProof(claims.tlog_proof);
    if (bundle.index !== claims.index)
      throw new VerifyError('INDEX_MISMATCH', 'index differs from the tlog-proof');
    const checkpoint = openTrustedCheckpoint(bundle.checkpoint, trust);
    checks.checkpoint = true;

    as('INCLUSION_INVALID', () =>
      verifyInclusion(bundle.index, checkpoint.size, leaf, bundle.proof, checkpoint.root),
    );
    checks.inclusion = true;

    if (claims.iss !== checkpoint.origin || entry.log !== checkpoint.origin) {
      throw new VerifyError('ORIGIN_MISMATCH', 'issuer, entry log and checkpoint origin differ');
    }
    checks.origin = true;
    return {
      valid: true,
      checks,
      payload,
      treeSize: checkpoint.size,
      proven: { entry, index: claims.index, leafHash: leaf, checkpoint },
    };
  } catch (error) {
    const failure =
      error instanceof VerifyError
        ? error
        : new VerifyError('RECEIPT_MALFORMED', 'the receipt could not be read');
    return {
      valid: false,
      checks,
      reason: failure.code,
      detail: failure.message,
      ...(payload ? { payload } : {}),
    };
  }
}
