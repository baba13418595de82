import type { KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { encodeTlogProof, entryLeafHash, type LogEntry, toBase64Url, utf8 } from '../ledger';
import { RECEIPT_TYPE, type ReceiptPayload } from '../verify';

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
