import { base64, base64urlnopad, hex } from '@scure/base';
import { VerificationError } from '../errors';

/**
 * Byte encodings for ledger artefacts (@scure/base underneath). Decoders accept
 * only the canonical form (RFC 4648 §4 base64 with padding and zero pad bits,
 * lowercase hex) and turn anything else into ENCODING_INVALID: a verifier that
 * accepts two spellings of one hash invites confusion.
 */

export function toBase64(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

export function fromBase64(text: unknown): Uint8Array {
  if (typeof text !== 'string') throw new VerificationError('ENCODING_INVALID', 'base64 must be a string');
  try {
    return base64.decode(text);
  } catch {
    throw new VerificationError('ENCODING_INVALID', 'not canonical base64');
  }
}

/** base64url without padding (RFC 4648 §5), as JOSE uses it. */
export function toBase64Url(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

export function toHex(bytes: Uint8Array): string {
  return hex.encode(bytes);
}

export function fromHex(text: unknown): Uint8Array {
  if (typeof text !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(text)) {
    throw new VerificationError('ENCODING_INVALID', 'not lowercase hex');
  }
  return hex.decode(text);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, refusing malformed sequences. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new VerificationError('ENCODING_INVALID', 'not valid UTF-8');
  }
}

/** Constant-time equality of two byte strings. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export { concatBytes } from '@noble/hashes/utils.js';
