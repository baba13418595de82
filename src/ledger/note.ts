import { ed25519 } from '@noble/curves/ed25519.js';
import { VerificationError } from '../errors';
import { concatBytes, equalBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from './encoding';
import { sha256 } from './hash';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys (signature
 * type 0x01): key IDs, verifier keys ("vkeys"), signing and verification.
 */

const ED25519_TYPE = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
/** Bounds on attacker-supplied notes, as in the Go reference (golang.org/x/mod/sumdb/note). */
const MAX_NOTE_BYTES = 1 << 20;
const MAX_SIGNATURES = 100;

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A signer is injected: the pure one below, or one backed by the platform's crypto or an HSM. */
export interface NoteSigner extends NoteVerifier {
  /** Ed25519 signature (64 bytes) over `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** Key names are non-empty and contain no whitespace and no `+` (C2SP signed-note). */
function assertKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name))
    throw new VerificationError('NOTE_INVALID', 'invalid key name');
}

/** key ID = SHA-256(key name || 0x0A || 0x01 || public key)[:4]. */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  assertKeyName(name);
  return sha256(concatBytes(utf8(name), new Uint8Array([0x0a, ED25519_TYPE]), publicKey)).slice(0, 4);
}

/** `<name>+<8 hex key ID>+base64(0x01 || public key)`. */
export function encodeVerifierKey(name: string, publicKey: Uint8Array): string {
  return `${name}+${toHex(noteKeyId(name, publicKey))}+${toBase64(concatBytes(new Uint8Array([ED25519_TYPE]), publicKey))}`;
}

/** Parses a vkey, checking that its key ID matches its name and key. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  // Only the first two '+' separate: the standard base64 of the key may contain '+' itself.
  const parts = typeof vkey === 'string' ? vkey.split('+') : [];
  if (parts.length < 3) throw new VerificationError('NOTE_INVALID', 'a vkey has three +-separated parts');
  const [name, hexId, ...keyParts] = parts as [string, string, ...string[]];
  const encoded = keyParts.join('+');
  assertKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(hexId))
    throw new VerificationError('NOTE_INVALID', 'vkey key ID is not 8 hex digits');
  const key = fromBase64(encoded);
  if (key.length !== 33 || key[0] !== ED25519_TYPE) {
    throw new VerificationError('NOTE_INVALID', 'only Ed25519 (type 0x01) vkeys are supported');
  }
  const publicKey = key.slice(1);
  const keyId = noteKeyId(name, publicKey);
  if (!equalBytes(fromHex(hexId), keyId)) {
    throw new VerificationError('NOTE_INVALID', 'vkey key ID does not match its key');
  }
  return { name, keyId, publicKey };
}

/** A signer from a 32-byte Ed25519 seed under a key name, in pure JavaScript. */
export function noteSigner(name: string, seed: Uint8Array): NoteSigner {
  const publicKey = ed25519.getPublicKey(seed);
  return {
    name,
    keyId: noteKeyId(name, publicKey),
    publicKey,
    sign: (message) => ed25519.sign(message, seed),
  };
}

/** Signs `text` (non-empty, ending in a newline) and returns the whole note. */
export function signNote(text: string, signer: NoteSigner): string {
  assertNoteText(text);
  const signature = signer.sign(utf8(text));
  if (signature.length !== 64)
    throw new VerificationError('SIGNATURE_INVALID', 'an Ed25519 signature has 64 bytes');
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${toBase64(concatBytes(signer.keyId, signature))}\n`;
}

function assertNoteText(text: string): void {
  if (!text.endsWith('\n') || text.length === 0)
    throw new VerificationError('NOTE_INVALID', 'note text must end in a newline');
  if (text.includes('\n\n') || text.startsWith('\n'))
    throw new VerificationError('NOTE_INVALID', 'note text has a blank line');
}

export interface OpenedNote {
  readonly text: string;
  /** Names of the given verifiers whose signatures verified. */
  readonly verifiedBy: string[];
}

/**
 * Splits a signed note and verifies it: at least one signature must come from
 * one of `verifiers` and verify; a signature that claims a known key but does
 * not verify fails the whole note. Signatures by unknown keys (cosigners) are ignored.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  if (typeof note !== 'string' || note.length > MAX_NOTE_BYTES) {
    throw new VerificationError('NOTE_INVALID', 'note is missing or too large');
  }
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n'))
    throw new VerificationError('NOTE_INVALID', 'note has no signature block');
  const text = note.slice(0, split + 1);
  assertNoteText(text);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new VerificationError('NOTE_INVALID', 'too many signatures');
  const message = utf8(text);
  const verifiedBy: string[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX))
      throw new VerificationError('NOTE_INVALID', 'malformed signature line');
    const [name, encoded, ...rest] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (!name || !encoded || rest.length > 0)
      throw new VerificationError('NOTE_INVALID', 'malformed signature line');
    const signature = fromBase64(encoded);
    if (signature.length < 5) throw new VerificationError('NOTE_INVALID', 'signature too short');
    const keyId = signature.slice(0, 4);
    const verifier = verifiers.find((v) => v.name === name && equalBytes(v.keyId, keyId));
    if (!verifier) continue;
    const valid = signature.length === 68 && safeVerify(signature.slice(4), message, verifier.publicKey);
    if (!valid) throw new VerificationError('SIGNATURE_INVALID', `signature by ${name} does not verify`);
    if (!verifiedBy.includes(name)) verifiedBy.push(name);
  }
  if (verifiedBy.length === 0)
    throw new VerificationError('SIGNATURE_INVALID', 'no signature by a known key');
  return { text, verifiedBy };
}

function safeVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
