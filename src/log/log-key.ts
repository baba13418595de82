import { createPrivateKey, type JsonWebKeyInput, sign } from 'node:crypto';
import { base64urlnopad } from '@scure/base';
import type { StoredKey } from '../keys/key-store';
import { encodeVerifierKey, type NoteSigner, noteKeyId } from '../ledger';

/**
 * The log's checkpoint signer: the stored Ed25519 log key under the log's origin
 * as key name, signing with the platform's crypto (OpenSSL), not the pure fallback.
 */
export function logSignerOf(key: StoredKey, origin: string): NoteSigner {
  if (key.purpose !== 'log' || !key.privateJwk.x) throw new Error('not the log key');
  const privateKey = createPrivateKey({ key: key.privateJwk, format: 'jwk' } as JsonWebKeyInput);
  const publicKey = base64urlnopad.decode(key.privateJwk.x);
  return {
    name: origin,
    keyId: noteKeyId(origin, publicKey),
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** The C2SP vkey that partners pin to verify checkpoints. */
export function logVerifierKey(signer: NoteSigner): string {
  return encodeVerifierKey(signer.name, signer.publicKey);
}
