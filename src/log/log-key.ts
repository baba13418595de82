import { base64urlnopad } from '@scure/base';
import type { StoredKey } from '../keys/key-store';
import { encodeVerifierKey, type NoteSigner, noteSigner } from '../ledger';

/** The log's checkpoint signer: the stored Ed25519 log key under the log's origin as key name. */
export function logSignerOf(key: StoredKey, origin: string): NoteSigner {
  if (key.purpose !== 'log' || !key.privateJwk.d) throw new Error('not the log key');
  return noteSigner(origin, base64urlnopad.decode(key.privateJwk.d));
}

/** The C2SP vkey that partners pin to verify checkpoints. */
export function logVerifierKey(signer: NoteSigner): string {
  return encodeVerifierKey(signer.name, signer.publicKey);
}
