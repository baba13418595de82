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

/**
 * Characters no record can hold as sent: a lone UTF-16 surrogate has no UTF-8
 * form (the entry's bytes would say something else than was sent), and
 * PostgreSQL's text refuses NUL.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (text: string) => text.includes('\0') || LONE_SURROGATE.test(text);

/** One reference token of a JSON Pointer (RFC 6901 §4): `~` and `/` escaped. */
export const pointerPart = (part: string | number) =>
  String(part).replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The JSON Pointers (RFC 6901) of every string in a JSON value, member names
 * included, that holds an unstorable character. Iterative, so that a deeply
 * nested value cannot exhaust the stack.
 */
export function unstorableStrings(value: unknown): string[] {
  const found: string[] = [];
  const pending: Array<[unknown, string]> = [[value, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, pointer] = next;
    if (typeof item === 'string') {
      if (unstorable(item)) found.push(pointer || '/');
    } else if (Array.isArray(item)) {
      for (const [i, element] of item.entries()) pending.push([element, `${pointer}/${i}`]);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, member] of Object.entries(item)) {
        const at = `${pointer}/${pointerPart(key)}`;
        if (unstorable(key)) found.push(at);
        pending.push([member, at]);
      }
    }
  }
  return found;
}

/** Constant-time equality of two byte strings. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export { concatBytes } from '@noble/hashes/utils.js';
