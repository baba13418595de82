import { hash } from 'node:crypto';
import type { DisclosureCodec } from '../ledger';

/**
 * The platform's own base64url and SHA-256 for disclosures (formats.md §1.1):
 * the same answers as the pure codec the verifier ships to browsers, several
 * times faster, for the service's writes, reads and ledger audit. Node's
 * base64url writes no padding; its decoder is lenient, which is why every
 * caller compares the re-encoded spelling with the text it was given.
 */
export const NATIVE_CODEC: DisclosureCodec = {
  encode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url'),
  decode: (text) => Buffer.from(text, 'base64url'),
  sha256: (bytes) => hash('sha256', bytes, 'buffer'),
};
