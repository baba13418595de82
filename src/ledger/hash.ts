import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';

/** RFC 6962 §2.1 hashing with SHA-256: domain-separated leaves (0x00) and interior nodes (0x01). */

export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** MTH({}) = SHA-256() — the root of the empty tree. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(leafData: Uint8Array): Uint8Array {
  return sha256(concatBytes(LEAF_PREFIX, leafData));
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(NODE_PREFIX, left, right));
}

export { sha256 };
