import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { LedgerError } from '../errors';
import {
  encodeTlogProof,
  entryLeafHash,
  type LogEntry,
  type NoteVerifier,
  openCheckpoint,
  parseEntry,
  parseTlogProof,
  toBase64Url,
  utf8,
  verifyInclusion,
} from '../ledger';

/** formats.md §4: the JWS `typ` of receipts, never accepted as an access token (and vice versa). */
export const RECEIPT_TYPE = 'custody-receipt+jwt';

export interface ReceiptSigningKey {
  readonly kid: string;
  readonly key: KeyObject;
}

/** What a receipt attests: an entry, its index, and its inclusion under a signed checkpoint. */
export interface ReceiptContent {
  readonly entry: LogEntry;
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: string;
}

export interface ReceiptPayload {
  readonly iss: string;
  readonly iat: number;
  readonly jti: string;
  readonly sub: string;
  readonly entry: LogEntry;
  readonly index: number;
  readonly tlog_proof: string;
}

/** Signs a receipt as a compact JWS (formats.md §4), with only protected header parameters. */
export async function signReceipt(signingKey: ReceiptSigningKey, content: ReceiptContent, now = new Date()) {
  const payload: ReceiptPayload = {
    iss: content.entry.log,
    iat: Math.floor(now.getTime() / 1000),
    jti: toBase64Url(entryLeafHash(content.entry)),
    sub: `${content.entry.subject.type}:${content.entry.subject.id}`,
    entry: content.entry,
    index: content.index,
    tlog_proof: encodeTlogProof({
      index: content.index,
      proof: content.proof,
      checkpoint: content.checkpoint,
    }),
  };
  return new CompactSign(utf8(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ: RECEIPT_TYPE })
    .sign(signingKey.key);
}

/** The five checks of formats.md §4, each reported on its own. */
export interface ReceiptChecks {
  signature: boolean;
  leafHash: boolean;
  checkpoint: boolean;
  inclusion: boolean;
  origin: boolean;
}

export interface ReceiptVerification {
  readonly valid: boolean;
  readonly checks: ReceiptChecks;
  /** The error code of the first failing check. */
  readonly reason?: string;
  readonly payload?: ReceiptPayload;
  readonly treeSize?: number;
}

const HEADER_KEYS = ['alg', 'kid', 'typ'];

/**
 * Verifies a receipt offline, with trust material passed in: the receipt keys
 * (JWKS) and the log's checkpoint key (vkey). Checks in order: JWS signature,
 * leaf hash recomputed from the entry, signed checkpoint, inclusion of the leaf
 * under the checkpoint root, and origin agreement (`iss` = checkpoint origin =
 * `entry.log`). Garbage input fails a check; it never throws.
 */
export async function verifyReceipt(
  receipt: unknown,
  trust: { readonly jwks: JSONWebKeySet; readonly logKey: NoteVerifier },
): Promise<ReceiptVerification> {
  const checks: ReceiptChecks = {
    signature: false,
    leafHash: false,
    checkpoint: false,
    inclusion: false,
    origin: false,
  };
  const fail = (error: unknown): ReceiptVerification => ({
    valid: false,
    checks,
    reason: error instanceof LedgerError ? error.code : 'SIGNATURE_INVALID',
  });

  let payload: ReceiptPayload;
  try {
    if (typeof receipt !== 'string' || receipt.length > 1_000_000)
      throw new LedgerError('RECEIPT_INVALID', 'not a JWS');
    const { payload: bytes, protectedHeader } = await compactVerify(receipt, createLocalJWKSet(trust.jwks), {
      algorithms: ['EdDSA'],
    });
    if (
      protectedHeader.typ !== RECEIPT_TYPE ||
      Object.keys(protectedHeader).some((k) => !HEADER_KEYS.includes(k))
    ) {
      throw new LedgerError('RECEIPT_INVALID', 'not a custody receipt header');
    }
    payload = JSON.parse(new TextDecoder().decode(bytes)) as ReceiptPayload;
    checks.signature = true;
  } catch (error) {
    return fail(error);
  }

  try {
    const entry = parseEntry(payload.entry);
    const leaf = entryLeafHash(entry);
    if (typeof payload.jti !== 'string' || payload.jti !== toBase64Url(leaf)) {
      throw new LedgerError('RECEIPT_INVALID', 'jti is not the entry leaf hash');
    }
    checks.leafHash = true;

    const bundle = parseTlogProof(payload.tlog_proof);
    if (bundle.index !== payload.index)
      throw new LedgerError('RECEIPT_INVALID', 'index differs from the tlog-proof');
    const checkpoint = openCheckpoint(bundle.checkpoint, trust.logKey);
    checks.checkpoint = true;

    verifyInclusion(bundle.index, checkpoint.size, leaf, bundle.proof, checkpoint.root);
    checks.inclusion = true;

    if (payload.iss !== checkpoint.origin || entry.log !== checkpoint.origin) {
      throw new LedgerError('RECEIPT_INVALID', 'issuer, entry log and checkpoint origin differ');
    }
    checks.origin = true;
    return { valid: true, checks, payload, treeSize: checkpoint.size };
  } catch (error) {
    return { ...fail(error), payload };
  }
}
