import { ed25519 } from '@noble/curves/ed25519.js';
import { base64urlnopad } from '@scure/base';
import { fromUtf8, utf8 } from '../ledger';
import { type VerifyCode, VerifyError } from './codes';
import { receiptKey, type TrustMaterial } from './trust';

/** The longest JWS accepted; a receipt is a few kilobytes, a report with a long chain far less than this. */
const MAX_JWS_CHARS = 16 * 1024 * 1024;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const HEADER_MEMBERS = ['alg', 'kid', 'typ'];

/** A compact JWS whose form has been checked; its signature not yet. */
export interface CompactJws {
  readonly kid: string;
  readonly payload: unknown;
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

function decodeSegment(segment: string, malformed: VerifyCode): Uint8Array {
  try {
    return base64urlnopad.decode(segment);
  } catch {
    throw new VerifyError(malformed, 'a JWS part is not exact base64url without padding');
  }
}

/**
 * Parses a compact JWS (RFC 7515 §7.1) of the service's form, strictly (RFC
 * 8725): three parts of exact base64url, a protected header of exactly `alg`
 * EdDSA, `kid` and the expected `typ` (so no `crit`, no `b64`, no `jwk`), and
 * a JSON payload. Anything else is `malformed`.
 */
export function parseCompactJws(value: unknown, typ: string, malformed: VerifyCode): CompactJws {
  if (typeof value !== 'string' || value.length > MAX_JWS_CHARS)
    throw new VerifyError(malformed, 'not a compact JWS');
  const parts = value.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) {
    throw new VerifyError(malformed, 'a compact JWS has three base64url parts');
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: unknown;
  try {
    header = JSON.parse(fromUtf8(decodeSegment(headerPart, malformed)));
    payload = JSON.parse(fromUtf8(decodeSegment(payloadPart, malformed)));
  } catch (error) {
    if (error instanceof VerifyError) throw error;
    throw new VerifyError(malformed, 'the header or payload is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new VerifyError(malformed, 'the header is not a JSON object');
  }
  const members = Object.keys(header);
  if (
    members.some((member) => !HEADER_MEMBERS.includes(member)) ||
    header.alg !== 'EdDSA' ||
    header.typ !== typ
  ) {
    throw new VerifyError(malformed, `the header must be exactly {alg: EdDSA, kid, typ: ${typ}}`);
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0) {
    throw new VerifyError('KEY_UNKNOWN', 'the header names no key (kid)');
  }
  return {
    kid: header.kid,
    payload,
    signingInput: utf8(`${headerPart}.${payloadPart}`),
    signature: decodeSegment(signaturePart, malformed),
  };
}

/**
 * Verifies the signature with the key the header names, if the pinned JWKS
 * holds it and it was valid at `madeAt` (ms since the epoch, from the log).
 * Ed25519 per RFC 8032, without ZIP-215's leniency.
 */
export function verifyJwsSignature(jws: CompactJws, trust: TrustMaterial, madeAt: number): void {
  const publicKey = receiptKey(trust.jwks, jws.kid, madeAt);
  let ok = false;
  try {
    ok = ed25519.verify(jws.signature, jws.signingInput, publicKey, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) throw new VerifyError('SIGNATURE_INVALID', `the signature does not verify with key ${jws.kid}`);
}
