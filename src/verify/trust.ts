import { base64urlnopad } from '@scure/base';
import type { NoteVerifier } from '../ledger';
import { VerifyError } from './codes';

/** A receipt key as the JWKS publishes it: the public Ed25519 key and its validity (docs/verifying.md). */
export interface PublishedKey {
  readonly kty?: unknown;
  readonly crv?: unknown;
  readonly x?: unknown;
  readonly kid?: unknown;
  /** RFC 3339: the key signs nothing made after this time (it was rotated out). */
  readonly retired_at?: unknown;
  /** RFC 3339: anything made with the key after this time is forged. */
  readonly compromised_at?: unknown;
}

/**
 * What a verifier trusts, passed in and pinned by whoever verifies (never
 * fetched): the receipt keys (JWKS, for receipts and reports) and the log's
 * checkpoint key (C2SP vkey).
 */
export interface TrustMaterial {
  /** A JWKS (`{keys: PublishedKey[]}`), as received: read defensively, never trusted to have that shape. */
  readonly jwks: unknown;
  readonly logKey: NoteVerifier;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

function instant(value: unknown, member: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const time = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time))
    throw new VerifyError('KEY_UNKNOWN', `the JWKS key's ${member} is not an RFC 3339 time`);
  return time;
}

/**
 * The public key `kid` names, if the key may vouch for something made at
 * `madeAt` (ms): it must be in the pinned JWKS, an Ed25519 key, made before
 * its retirement and before any compromise. `madeAt` comes from the log
 * (the entry's `at`), so a stolen key cannot backdate what it signs.
 */
export function receiptKey(jwks: TrustMaterial['jwks'], kid: string, madeAt: number): Uint8Array {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  const matching = Array.isArray(keys)
    ? (keys as PublishedKey[]).filter((key) => typeof key === 'object' && key !== null && key.kid === kid)
    : [];
  if (matching.length !== 1) {
    throw new VerifyError(
      'KEY_UNKNOWN',
      matching.length === 0 ? `no key ${kid} in the JWKS` : `key ${kid} is in the JWKS twice`,
    );
  }
  const key = matching[0] as PublishedKey;
  const publicKey = ed25519PublicKey(key);
  if (!publicKey) throw new VerifyError('KEY_UNKNOWN', `key ${kid} is not an Ed25519 public key`);
  const compromised = instant(key.compromised_at, 'compromised_at');
  if (compromised !== undefined && madeAt >= compromised) {
    throw new VerifyError(
      'KEY_COMPROMISED',
      `key ${kid} was compromised at ${key.compromised_at}, before this was made`,
    );
  }
  const retired = instant(key.retired_at, 'retired_at');
  if (retired !== undefined && madeAt >= retired) {
    throw new VerifyError('KEY_RETIRED', `key ${kid} was retired at ${key.retired_at}, before this was made`);
  }
  return publicKey;
}

function ed25519PublicKey(key: PublishedKey): Uint8Array | undefined {
  if (key.kty !== 'OKP' || key.crv !== 'Ed25519' || typeof key.x !== 'string') return undefined;
  try {
    const bytes = base64urlnopad.decode(key.x);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}
