import { VerificationError } from '../errors';
import { equalBytes, toBase64 } from './encoding';
import { emptyRoot, HASH_SIZE, nodeHash } from './hash';

/**
 * RFC 6962 / RFC 9162 Merkle tree: proof generation over stored nodes, and proof
 * verification. Sizes and indexes are plain numbers, valid up to 2^53 - 1; the
 * arithmetic never uses 32-bit bit operators.
 */

/** A complete, aligned subtree: leaves [index * 2^level, (index + 1) * 2^level). Level 0 is a leaf hash. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/**
 * The one thing proof generation needs from storage: the hashes of complete
 * subtrees, returned in the order asked. A missing node is the reader's error.
 */
export interface NodeReader {
  readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]>;
}

/** A half-open range of leaves [start, end) that RFC 6962's recursion can produce. */
type Range = readonly [start: number, end: number];

/** The largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function log2(power: number): number {
  let level = 0;
  for (let k = power; k > 1; k /= 2) level++;
  return level;
}

function assertSize(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new VerificationError('PROOF_INVALID', `${name} must be a non-negative safe integer`);
  }
}

/**
 * The complete subtrees whose hashes make up MTH(D[start:end)), left to right.
 * RFC 6962 ranges start at a multiple of the largest power of two that fits, so
 * each step peels off one aligned complete subtree.
 */
export function rangeNodes([start, end]: Range): NodeId[] {
  const nodes: NodeId[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    while (size * 2 <= end - at && at % (size * 2) === 0) size *= 2;
    nodes.push({ level: log2(size), index: at / size });
    at += size;
  }
  return nodes;
}

/** Folds the node hashes of one range (as `rangeNodes` listed them) into the range's hash. */
function foldRange(hashes: readonly Uint8Array[]): Uint8Array {
  let hash = hashes[hashes.length - 1] as Uint8Array;
  for (let i = hashes.length - 2; i >= 0; i--) hash = nodeHash(hashes[i] as Uint8Array, hash);
  return hash;
}

/** RFC 6962 §2.1.1 PATH(m, D[n]) as leaf ranges, the leaf's sibling first. */
export function inclusionRanges(index: number, size: number): Range[] {
  assertSize(index, 'index');
  assertSize(size, 'size');
  if (index >= size) throw new VerificationError('PROOF_INVALID', 'index is outside the tree');
  const path: Range[] = [];
  let [start, end, m] = [0, size, index];
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      path.push([start + k, end]);
      end = start + k;
    } else {
      path.push([start, start + k]);
      start += k;
      m -= k;
    }
  }
  return path.reverse();
}

/** RFC 6962 §2.1.2 PROOF(m, D[n]) as leaf ranges, in proof order. Requires 0 < m <= n. */
export function consistencyRanges(first: number, second: number): Range[] {
  assertSize(first, 'first size');
  assertSize(second, 'second size');
  if (first === 0 || first > second) throw new VerificationError('PROOF_INVALID', 'need 0 < first <= second');
  const path: Range[] = [];
  let [start, end, m, complete] = [0, second, first, true];
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      path.push([start + k, end]);
      end = start + k;
    } else {
      path.push([start, start + k]);
      start += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) path.push([start, end]);
  return path.reverse();
}

/** Hashes of the given ranges, read in one call to the node reader. */
export async function hashRanges(reader: NodeReader, ranges: readonly Range[]): Promise<Uint8Array[]> {
  const perRange = ranges.map(rangeNodes);
  const hashes = await reader.readNodes(perRange.flat());
  let at = 0;
  return perRange.map((nodes) => {
    const slice = hashes.slice(at, at + nodes.length);
    at += nodes.length;
    return foldRange(slice);
  });
}

/** Async so that bad arguments reject the promise instead of throwing synchronously. */
export async function inclusionProof(reader: NodeReader, index: number, size: number): Promise<Uint8Array[]> {
  return hashRanges(reader, inclusionRanges(index, size));
}

export async function consistencyProof(
  reader: NodeReader,
  first: number,
  second: number,
): Promise<Uint8Array[]> {
  // Validate before the equal-sizes shortcut: (-1, -1) or (0, 0) is garbage, not an empty proof.
  const ranges = consistencyRanges(first, second);
  if (ranges.length === 0) return [];
  return hashRanges(reader, ranges);
}

/** MTH of the first `size` leaves, from stored nodes. */
export async function treeRoot(reader: NodeReader, size: number): Promise<Uint8Array> {
  assertSize(size, 'size');
  if (size === 0) return emptyRoot();
  const [root] = await hashRanges(reader, [[0, size]]);
  return root as Uint8Array;
}

/** A stored node and its hash, as integration produces them. */
export interface StoredNode extends NodeId {
  readonly hash: Uint8Array;
}

/**
 * The compact range of a tree of `size` leaves: the complete subtrees of
 * `rangeNodes([0, size])`, largest first. It is all that appending needs.
 */
export interface CompactRange {
  readonly size: number;
  readonly nodes: readonly StoredNode[];
}

export const EMPTY_RANGE: CompactRange = { size: 0, nodes: [] };

/** The node ids a compact range of `size` leaves consists of. */
export function compactRangeIds(size: number): NodeId[] {
  assertSize(size, 'size');
  return size === 0 ? [] : rangeNodes([0, size]);
}

/**
 * Appends leaf hashes to a compact range. Returns every complete subtree that the
 * new leaves create (leaves included), the new compact range and its root.
 */
export function appendLeaves(
  range: CompactRange,
  leafHashes: readonly Uint8Array[],
): { created: StoredNode[]; range: CompactRange; root: Uint8Array } {
  const stack = [...range.nodes];
  const created: StoredNode[] = [];
  let size = range.size;
  for (const hash of leafHashes) {
    let node: StoredNode = { level: 0, index: size, hash };
    created.push(node);
    size++;
    for (let top = stack[stack.length - 1]; top && top.level === node.level; top = stack[stack.length - 1]) {
      stack.pop();
      node = { level: node.level + 1, index: top.index / 2, hash: nodeHash(top.hash, node.hash) };
      created.push(node);
    }
    stack.push(node);
  }
  const next: CompactRange = { size, nodes: stack };
  return { created, range: next, root: compactRoot(next) };
}

/** The root of the tree a compact range describes. */
export function compactRoot(range: CompactRange): Uint8Array {
  if (range.nodes.length === 0) return emptyRoot();
  return foldRange(range.nodes.map((node) => node.hash));
}

function assertHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE)
    throw new VerificationError('PROOF_INVALID', `${what} is not a ${HASH_SIZE}-byte hash`);
}

/**
 * RFC 9162 §2.1.3.2: the root that an inclusion proof implies for `leaf` at
 * `index` in a tree of `size` leaves. Throws PROOF_INVALID for a malformed proof.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  assertSize(index, 'index');
  assertSize(size, 'size');
  if (index >= size) throw new VerificationError('PROOF_INVALID', 'index is outside the tree');
  assertHash(leaf, 'leaf hash');
  let fn = index;
  let sn = size - 1;
  let hash = leaf;
  for (const sibling of proof) {
    assertHash(sibling, 'proof element');
    if (sn === 0) throw new VerificationError('PROOF_INVALID', 'proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new VerificationError('PROOF_INVALID', 'proof is too short');
  return hash;
}

/** Verifies an inclusion proof against a trusted root; throws PROOF_INVALID with the evidence otherwise. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  assertHash(root, 'root');
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (!equalBytes(computed, root)) {
    throw new VerificationError('PROOF_INVALID', 'inclusion proof does not lead to the root', {
      expected: toBase64(root),
      actual: toBase64(computed),
    });
  }
}

/**
 * RFC 9162 §2.1.4.2: verifies that the tree of `second` leaves with `secondRoot`
 * extends the tree of `first` leaves with `firstRoot`. A proof from the empty
 * tree proves nothing and is refused.
 */
export function verifyConsistency(
  first: number,
  second: number,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): void {
  assertSize(first, 'first size');
  assertSize(second, 'second size');
  if (first > second) throw new VerificationError('PROOF_INVALID', 'first size is larger than second');
  if (first === 0)
    throw new VerificationError('PROOF_INVALID', 'a consistency proof from the empty tree proves nothing');
  if (first === second) {
    if (proof.length !== 0) throw new VerificationError('PROOF_INVALID', 'equal sizes need an empty proof');
    if (!equalBytes(firstRoot, secondRoot)) {
      throw new VerificationError('PROOF_INVALID', 'equal sizes but different roots', {
        expected: toBase64(firstRoot),
        actual: toBase64(secondRoot),
      });
    }
    return;
  }
  for (const element of proof) assertHash(element, 'proof element');
  // If first is a power of two, the first tree's root is the proof's implicit first element.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  if (path.length === 0) throw new VerificationError('PROOF_INVALID', 'proof is empty');
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) throw new VerificationError('PROOF_INVALID', 'proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new VerificationError('PROOF_INVALID', 'proof is too short');
  if (!equalBytes(fr, firstRoot)) {
    throw new VerificationError('PROOF_INVALID', 'proof does not lead to the first root', {
      expected: toBase64(firstRoot),
      actual: toBase64(fr),
    });
  }
  if (!equalBytes(sr, secondRoot)) {
    throw new VerificationError('PROOF_INVALID', 'proof does not lead to the second root', {
      expected: toBase64(secondRoot),
      actual: toBase64(sr),
    });
  }
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
