import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { LedgerError } from '../../src/errors';
import {
  appendLeaves,
  type CompactRange,
  compactRangeIds,
  compactRoot,
  consistencyProof,
  consistencyRanges,
  EMPTY_RANGE,
  emptyRoot,
  inclusionProof,
  inclusionRanges,
  type NodeId,
  type NodeReader,
  rangeNodes,
  rootFromInclusionProof,
  type StoredNode,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger';

/*
 * The fast tree code (compact ranges, node ranges, RFC 9162 verifiers) against a
 * deliberately naive reference written from the recursive definitions of RFC 6962
 * §2.1, with its own SHA-256 (node:crypto) so that a shared hashing bug cannot hide.
 */

// ---------------------------------------------------------------------------
// Reference: RFC 6962 §2.1, written from the definitions.

type Range = readonly [start: number, end: number];

/** MTH(D[start:end]) for whatever stands for a subtree: its hash, or the range itself. */
type Mth<T> = (start: number, end: number) => T;

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

const refLeafHash = (data: string): Uint8Array => sha256(Uint8Array.of(0x00), new TextEncoder().encode(data));
const refNodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array =>
  sha256(Uint8Array.of(0x01), left, right);

/** RFC 6962: k is the largest power of two smaller than n, so that k < n <= 2k. */
function largestPowerBelow(n: number): number {
  let k = 1;
  while (2 * k < n) k *= 2;
  return k;
}

function at<T>(items: readonly T[], position: number): T {
  const item = items[position];
  if (item === undefined) throw new Error(`no item at ${position}`);
  return item;
}

/** MTH over an array of leaf hashes; memoised because PATH and PROOF revisit ranges. */
function arrayMth(leaves: readonly Uint8Array[]): Mth<Uint8Array> {
  const memo = new Map<string, Uint8Array>();
  const mth = (start: number, end: number): Uint8Array => {
    if (end === start) return sha256();
    if (end - start === 1) return at(leaves, start);
    const key = `${start}:${end}`;
    let hash = memo.get(key);
    if (hash === undefined) {
      const k = largestPowerBelow(end - start);
      hash = refNodeHash(mth(start, start + k), mth(start + k, end));
      memo.set(key, hash);
    }
    return hash;
  };
  return mth;
}

/** PATH(m, D[start:end]) of RFC 6962 §2.1.1, m counted from start. */
function refPath<T>(m: number, start: number, end: number, mth: Mth<T>): T[] {
  if (end - start === 1) return [];
  const k = largestPowerBelow(end - start);
  if (m < k) return [...refPath(m, start, start + k, mth), mth(start + k, end)];
  return [...refPath(m - k, start + k, end, mth), mth(start, start + k)];
}

/** SUBPROOF(m, D[start:end], b) of RFC 6962 §2.1.2, m counted from start. */
function refSubproof<T>(m: number, start: number, end: number, b: boolean, mth: Mth<T>): T[] {
  if (m === end - start) return b ? [] : [mth(start, end)];
  const k = largestPowerBelow(end - start);
  if (m <= k) return [...refSubproof(m, start, start + k, b, mth), mth(start + k, end)];
  return [...refSubproof(m - k, start + k, end, false, mth), mth(start, start + k)];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true); PROOF(n, D[n]) is empty. */
const refProof = <T>(m: number, n: number, mth: Mth<T>): T[] => refSubproof(m, 0, n, true, mth);

const asRange: Mth<Range> = (start, end) => [start, end];

/** The root a PATH implies for `leaf`, found by undoing the recursion that built it. */
function refRootFromPath(
  m: number,
  n: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
): Uint8Array | undefined {
  if (n === 1) return path.length === 0 ? leaf : undefined;
  const last = path[path.length - 1];
  if (last === undefined) return undefined;
  const rest = path.slice(0, -1);
  const k = largestPowerBelow(n);
  if (m < k) {
    const left = refRootFromPath(m, k, leaf, rest);
    return left && refNodeHash(left, last);
  }
  const right = refRootFromPath(m - k, n - k, leaf, rest);
  return right && refNodeHash(last, right);
}

/** The (old, new) subtree roots a SUBPROOF implies, undoing its recursion; `firstRoot` fills the b = true leaf. */
function refRootsFromSubproof(
  m: number,
  n: number,
  b: boolean,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
): [Uint8Array, Uint8Array] | undefined {
  if (m === n) {
    if (b) return proof.length === 0 ? [firstRoot, firstRoot] : undefined;
    const only = proof[0];
    return proof.length === 1 && only ? [only, only] : undefined;
  }
  const last = proof[proof.length - 1];
  if (last === undefined) return undefined;
  const rest = proof.slice(0, -1);
  const k = largestPowerBelow(n);
  if (m <= k) {
    const sub = refRootsFromSubproof(m, k, b, rest, firstRoot);
    return sub && [sub[0], refNodeHash(sub[1], last)];
  }
  const sub = refRootsFromSubproof(m - k, n - k, false, rest, firstRoot);
  return sub && [refNodeHash(last, sub[0]), refNodeHash(last, sub[1])];
}

const isCount = (value: number): boolean => Number.isSafeInteger(value) && value >= 0;
const allHashes = (hashes: readonly Uint8Array[]): boolean => hashes.every((hash) => hash.length === 32);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Would an RFC 6962 verifier accept this inclusion claim? */
function refAcceptsInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isCount(index) || !isCount(size) || index >= size || !allHashes([leaf, root, ...proof])) return false;
  const computed = refRootFromPath(index, size, leaf, proof);
  return computed !== undefined && sameBytes(computed, root);
}

/** Would an RFC 6962 verifier accept this consistency claim? (From the empty tree: never.) */
function refAcceptsConsistency(
  first: number,
  second: number,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): boolean {
  if (!isCount(first) || !isCount(second) || first === 0 || first > second) return false;
  if (!allHashes([firstRoot, secondRoot, ...proof])) return false;
  const roots = refRootsFromSubproof(first, second, true, proof, firstRoot);
  return roots !== undefined && sameBytes(roots[0], firstRoot) && sameBytes(roots[1], secondRoot);
}

// ---------------------------------------------------------------------------
// The fast path: appendLeaves in batches -> an in-memory node store -> proofs.

const nodeKey = ({ level, index }: NodeId): string => `${level}/${index}`;

class MemoryReader implements NodeReader {
  private readonly nodes = new Map<string, Uint8Array>();
  calls = 0;

  store(created: readonly StoredNode[]): void {
    for (const node of created) {
      const key = nodeKey(node);
      if (this.nodes.has(key)) throw new Error(`node ${key} was created twice`);
      this.nodes.set(key, node.hash);
    }
  }

  async readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    this.calls++;
    return ids.map((id) => {
      const hash = this.nodes.get(nodeKey(id));
      if (hash === undefined) throw new Error(`node ${nodeKey(id)} was never created`);
      return hash;
    });
  }
}

/** Distinct leaf hashes, so that moving a proof to another leaf must change the root. */
const syntheticLeaves = (seed: number, n: number): Uint8Array[] =>
  Array.from({ length: n }, (_, j) => refLeafHash(`leaf ${seed} ${j}`));

interface Tree {
  leaves: Uint8Array[];
  mth: Mth<Uint8Array>;
  reader: MemoryReader;
}

/** Appends the leaves in the batches that `cuts` (sizes at which a batch ends) describe. */
function buildTree(leaves: Uint8Array[], cuts: readonly number[] = []): Tree {
  const reader = new MemoryReader();
  let range: CompactRange = EMPTY_RANGE;
  for (const cut of [...cuts, leaves.length].sort((a, b) => a - b)) {
    const result = appendLeaves(range, leaves.slice(range.size, cut));
    reader.store(result.created);
    range = result.range;
  }
  return { leaves, mth: arrayMth(leaves), reader };
}

const hex = (hashes: readonly Uint8Array[]): string[] =>
  hashes.map((hash) => Buffer.from(hash).toString('hex'));

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const position = Math.floor(bit / 8) % copy.length;
  copy[position] = (copy[position] ?? 0) ^ (1 << (bit % 8));
  return copy;
}

/** 'verified', or the code of the LedgerError; anything else is rethrown and fails the test. */
function outcome(run: () => void): string {
  try {
    run();
    return 'verified';
  } catch (error) {
    if (error instanceof LedgerError) return error.code;
    throw error;
  }
}

/** Like `outcome`, but the function must return a promise and never throw synchronously. */
async function asyncOutcome(run: () => Promise<unknown>): Promise<string> {
  let promise: Promise<unknown>;
  try {
    promise = run();
  } catch (error) {
    return `threw synchronously: ${error instanceof LedgerError ? error.code : String(error)}`;
  }
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (error instanceof LedgerError) return error.code;
    throw error;
  }
}

function ceilLog2(n: number): number {
  let bits = 0;
  for (let power = 1; power < n; power *= 2) bits++;
  return bits;
}

function popcount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

/** `nodes` are aligned complete subtrees, largest first, that tile [start, end) exactly. */
function expectTiling(nodes: readonly NodeId[], [start, end]: Range): void {
  let cursor = start;
  let previousLevel = Number.POSITIVE_INFINITY;
  for (const { level, index } of nodes) {
    const width = 2 ** level;
    expect(Number.isSafeInteger(index) && index >= 0, 'node index').to.equal(true);
    expect(index * width, `node ${level}/${index} starts where the last ended`).to.equal(cursor);
    expect(level, 'levels strictly decrease').to.be.lessThan(previousLevel);
    previousLevel = level;
    cursor += width;
  }
  expect(cursor).to.equal(end);
  expect(nodes.length).to.equal(popcount(end - start));
}

// ---------------------------------------------------------------------------
// Arbitraries.

const RUNS = 150;
const MAX_LEAVES = 300;

const treeArb = fc.integer({ min: 1, max: MAX_LEAVES }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    seed: fc.nat(),
    cuts: fc.array(fc.integer({ min: 0, max: n }), { maxLength: 6 }),
    index: fc.integer({ min: 0, max: n - 1 }),
    first: fc.integer({ min: 1, max: n }),
  }),
);

const deltaArb = fc
  .oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -(2 ** 53), max: 2 ** 53 }))
  .filter((delta) => delta !== 0);

/** Anything that is not a non-negative safe integer. */
const garbageNumberArb = fc.oneof(
  fc.integer({ min: -(2 ** 53) + 1, max: -1 }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 64,
    Number.MAX_VALUE,
    0.5,
    Number.EPSILON,
  ),
  fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n + 0.25),
  fc.double().filter((x) => !(Number.isSafeInteger(x) && x >= 0)),
);

const wrongLengthArb = fc.integer({ min: 0, max: 64 }).filter((length) => length !== 32);

// ---------------------------------------------------------------------------

describe('merkle properties: fast tree code against the RFC 6962 reference', () => {
  it('when the reference is asked for trees of 0 to 3 leaves, then it gives the RFC 6962 definitions', () => {
    // Guards the reference itself: MTH({}) = SHA-256(""), MTH({d}) = leaf, MTH(d0 d1 d2) = H(H(d0 d1) d2).
    const [a, b, c] = syntheticLeaves(7, 3) as [Uint8Array, Uint8Array, Uint8Array];
    const mth = arrayMth([a, b, c]);
    expect(hex([mth(0, 0)])).to.deep.equal([
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ]);
    expect(hex([mth(0, 1)])).to.deep.equal(hex([a]));
    expect(hex([mth(0, 3)])).to.deep.equal(hex([refNodeHash(refNodeHash(a, b), c)]));
    expect(hex(refPath(2, 0, 3, mth))).to.deep.equal(hex([refNodeHash(a, b)]));
    expect(hex(refProof(2, 3, mth))).to.deep.equal(hex([c]));
    expect(refProof(1, 3, asRange)).to.deep.equal([
      [1, 2],
      [2, 3],
    ]);
  });

  it('when leaves are appended in arbitrary batches, then every batch root, compactRoot and treeRoot equal the reference MTH and each complete subtree is created once', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, async ({ n, seed, cuts, first }) => {
        const leaves = syntheticLeaves(seed, n);
        const mth = arrayMth(leaves);
        const reader = new MemoryReader();
        let range: CompactRange = EMPTY_RANGE;
        expect(hex([compactRoot(range)])).to.deep.equal(hex([sha256()]));
        for (const cut of [...cuts, n].sort((a, b) => a - b)) {
          const before = range.size;
          const result = appendLeaves(range, leaves.slice(before, cut));
          expect(result.range.size).to.equal(cut);
          expect(hex([result.root])).to.deep.equal(hex([mth(0, cut)]));
          expect(hex([compactRoot(result.range)])).to.deep.equal(hex([mth(0, cut)]));
          const ids = result.range.nodes.map(({ level, index }) => ({ level, index }));
          expect(ids).to.deep.equal(compactRangeIds(cut));
          // Exactly the complete subtrees that end inside (before, cut], each with its true hash.
          let expectedCount = 0;
          for (let width = 1; width <= cut; width *= 2) {
            expectedCount += Math.floor(cut / width) - Math.floor(before / width);
          }
          expect(result.created.length).to.equal(expectedCount);
          for (const node of result.created) {
            const start = node.index * 2 ** node.level;
            const end = start + 2 ** node.level;
            expect(end).to.be.greaterThan(before).and.at.most(cut);
            expect(hex([node.hash])).to.deep.equal(hex([mth(start, end)]));
          }
          reader.store(result.created);
          range = result.range;
        }
        expect(hex([await treeRoot(reader, n)])).to.deep.equal(hex([mth(0, n)]));
        expect(hex([await treeRoot(reader, first)])).to.deep.equal(hex([mth(0, first)]));
        expect(hex([await treeRoot(reader, 0)])).to.deep.equal(hex([sha256()]));
        expect(hex([emptyRoot()])).to.deep.equal(hex([sha256()]));
      }),
      { numRuns: RUNS },
    );
  });

  it('when an inclusion proof is made for any leaf of any tree, then it equals the reference PATH and verifies against the reference root', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, async ({ n, seed, cuts, index }) => {
        const { leaves, mth, reader } = buildTree(syntheticLeaves(seed, n), cuts);
        expect(inclusionRanges(index, n)).to.deep.equal(refPath(index, 0, n, asRange));
        const proof = await inclusionProof(reader, index, n);
        expect(reader.calls, 'one read per proof').to.equal(1);
        expect(hex(proof)).to.deep.equal(hex(refPath(index, 0, n, mth)));
        const leaf = at(leaves, index);
        expect(hex([rootFromInclusionProof(index, n, leaf, proof)])).to.deep.equal(hex([mth(0, n)]));
        expect(outcome(() => verifyInclusion(index, n, leaf, proof, mth(0, n)))).to.equal('verified');
      }),
      { numRuns: RUNS },
    );
  });

  it('when a consistency proof is made for any 1 <= m <= n, then it equals the reference PROOF and verifies against both reference roots', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, async ({ n, seed, cuts, first }) => {
        const { mth, reader } = buildTree(syntheticLeaves(seed, n), cuts);
        expect(consistencyRanges(first, n)).to.deep.equal(refProof(first, n, asRange));
        const proof = await consistencyProof(reader, first, n);
        expect(reader.calls, 'at most one read per proof').to.be.at.most(1);
        expect(hex(proof)).to.deep.equal(hex(refProof(first, n, mth)));
        expect(outcome(() => verifyConsistency(first, n, proof, mth(0, first), mth(0, n)))).to.equal(
          'verified',
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('when any bit of an inclusion proof element, the root or the leaf hash is flipped, then verification fails with PROOF_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, fc.nat(), fc.nat(255), async ({ n, seed, index }, pick, bit) => {
        const { leaves, mth, reader } = buildTree(syntheticLeaves(seed, n));
        const proof = await inclusionProof(reader, index, n);
        let [leaf, root] = [at(leaves, index), mth(0, n)];
        const mutated = [...proof];
        const target = pick % (proof.length + 2);
        if (target < proof.length) mutated[target] = flipBit(at(proof, target), bit);
        else if (target === proof.length) root = flipBit(root, bit);
        else leaf = flipBit(leaf, bit);
        expect(refAcceptsInclusion(index, n, leaf, mutated, root)).to.equal(false);
        expect(outcome(() => verifyInclusion(index, n, leaf, mutated, root))).to.equal('PROOF_INVALID');
      }),
      { numRuns: RUNS },
    );
  });

  it('when every bit of every input of every inclusion proof in trees of up to 8 leaves is flipped in turn, then each flip fails with PROOF_INVALID', async () => {
    let flips = 0;
    for (let n = 1; n <= 8; n++) {
      const { leaves, mth, reader } = buildTree(syntheticLeaves(n, n));
      const root = mth(0, n);
      for (let index = 0; index < n; index++) {
        const leaf = at(leaves, index);
        const proof = await inclusionProof(reader, index, n);
        expect(outcome(() => verifyInclusion(index, n, leaf, proof, root))).to.equal('verified');
        for (let bit = 0; bit < 256; bit++) {
          for (let target = 0; target < proof.length; target++) {
            const mutated = proof.map((hash, j) => (j === target ? flipBit(hash, bit) : hash));
            expect(outcome(() => verifyInclusion(index, n, leaf, mutated, root))).to.equal('PROOF_INVALID');
            flips++;
          }
          expect(outcome(() => verifyInclusion(index, n, flipBit(leaf, bit), proof, root))).to.equal(
            'PROOF_INVALID',
          );
          expect(outcome(() => verifyInclusion(index, n, leaf, proof, flipBit(root, bit)))).to.equal(
            'PROOF_INVALID',
          );
          flips += 2;
        }
      }
    }
    expect(flips).to.be.greaterThan(10_000);
  });

  it('when the index of a valid inclusion claim changes by any nonzero delta, then verification fails with PROOF_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, deltaArb, async ({ n, seed, index }, delta) => {
        const { leaves, mth, reader } = buildTree(syntheticLeaves(seed, n));
        const proof = await inclusionProof(reader, index, n);
        const leaf = at(leaves, index);
        expect(refAcceptsInclusion(index + delta, n, leaf, proof, mth(0, n))).to.equal(false);
        expect(outcome(() => verifyInclusion(index + delta, n, leaf, proof, mth(0, n)))).to.equal(
          'PROOF_INVALID',
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('when the tree size of a valid inclusion claim changes by a nonzero delta, then verification fails with PROOF_INVALID exactly when the RFC 6962 reference rejects it', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, deltaArb, async ({ n, seed, index }, delta) => {
        const { leaves, mth, reader } = buildTree(syntheticLeaves(seed, n));
        const proof = await inclusionProof(reader, index, n);
        const leaf = at(leaves, index);
        const accepted = refAcceptsInclusion(index, n + delta, leaf, proof, mth(0, n));
        if (accepted) {
          // Only possible when PATH(index, n + delta) has exactly the same shape as PATH(index, n).
          expect(refPath(index, 0, n + delta, () => 'x').length).to.equal(proof.length);
        }
        expect(outcome(() => verifyInclusion(index, n + delta, leaf, proof, mth(0, n)))).to.equal(
          accepted ? 'verified' : 'PROOF_INVALID',
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('when the proof of leaf 0 of 3 is presented as leaf 0 of 4 against the same root, then it verifies: the signed root, not the proof, binds the size', async () => {
    // RFC 6962 paths for (0, 3) and (0, 4) have the same shape; only the checkpoint ties root to size.
    const { leaves, mth, reader } = buildTree(syntheticLeaves(3, 3));
    const proof = await inclusionProof(reader, 0, 3);
    expect(outcome(() => verifyInclusion(0, 4, at(leaves, 0), proof, mth(0, 3)))).to.equal('verified');
    expect(outcome(() => verifyInclusion(0, 5, at(leaves, 0), proof, mth(0, 3)))).to.equal('PROOF_INVALID');
  });

  it('when any bit of a consistency proof element or of either root is flipped, then verification fails with PROOF_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, fc.nat(), fc.nat(255), async ({ n, seed, first }, pick, bit) => {
        const { mth, reader } = buildTree(syntheticLeaves(seed, n));
        const proof = await consistencyProof(reader, first, n);
        let [firstRoot, secondRoot] = [mth(0, first), mth(0, n)];
        const mutated = [...proof];
        const target = pick % (proof.length + 2);
        if (target < proof.length) mutated[target] = flipBit(at(proof, target), bit);
        else if (target === proof.length) firstRoot = flipBit(firstRoot, bit);
        else secondRoot = flipBit(secondRoot, bit);
        expect(refAcceptsConsistency(first, n, mutated, firstRoot, secondRoot)).to.equal(false);
        expect(outcome(() => verifyConsistency(first, n, mutated, firstRoot, secondRoot))).to.equal(
          'PROOF_INVALID',
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('when either size of a valid consistency claim changes by a nonzero delta, then verification fails with PROOF_INVALID exactly when the RFC 6962 reference rejects it', async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(treeArb, deltaArb, fc.boolean(), async ({ n, seed, first }, delta, moveFirst) => {
        const { mth, reader } = buildTree(syntheticLeaves(seed, n));
        const proof = await consistencyProof(reader, first, n);
        const [m, size]: [number, number] = moveFirst ? [first + delta, n] : [first, n + delta];
        const accepted = refAcceptsConsistency(m, size, proof, mth(0, first), mth(0, n));
        const result = outcome(() => verifyConsistency(m, size, proof, mth(0, first), mth(0, n)));
        expect(result).to.equal(accepted ? 'verified' : 'PROOF_INVALID');
        if (!accepted) rejected++;
      }),
      { numRuns: RUNS },
    );
    expect(rejected).to.be.greaterThan(RUNS / 2);
  });

  it('when a proof element is added, removed or duplicated, then inclusion and consistency verification fail with PROOF_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(
        treeArb,
        fc.nat(),
        fc.constantFrom('insert', 'remove', 'duplicate'),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async ({ n, seed, index, first }, pick, change, extra) => {
          const { leaves, mth, reader } = buildTree(syntheticLeaves(seed, n));
          const edit = (proof: Uint8Array[]): Uint8Array[] | undefined => {
            const edited = [...proof];
            if (change === 'insert') edited.splice(pick % (proof.length + 1), 0, extra);
            else if (proof.length === 0) return undefined;
            else if (change === 'remove') edited.splice(pick % proof.length, 1);
            else edited.splice(pick % proof.length, 0, at(proof, pick % proof.length));
            return edited;
          };
          const inclusion = edit(await inclusionProof(reader, index, n));
          if (inclusion) {
            expect(refAcceptsInclusion(index, n, at(leaves, index), inclusion, mth(0, n))).to.equal(false);
            // The path length is fixed by (index, size), so no root is implied at all.
            expect(outcome(() => rootFromInclusionProof(index, n, at(leaves, index), inclusion))).to.equal(
              'PROOF_INVALID',
            );
            expect(
              outcome(() => verifyInclusion(index, n, at(leaves, index), inclusion, mth(0, n))),
            ).to.equal('PROOF_INVALID');
          }
          const consistency = edit(await consistencyProof(reader, first, n));
          if (consistency) {
            expect(refAcceptsConsistency(first, n, consistency, mth(0, first), mth(0, n))).to.equal(false);
            expect(
              outcome(() => verifyConsistency(first, n, consistency, mth(0, first), mth(0, n))),
            ).to.equal('PROOF_INVALID');
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('when an index or size is negative, fractional, NaN, infinite or beyond 2^53, then every proof function answers PROOF_INVALID', async () => {
    const { leaves, mth, reader } = buildTree(syntheticLeaves(1, 20));
    const leaf = at(leaves, 3);
    const goodInclusion = await inclusionProof(reader, 3, 20);
    const goodConsistency = await consistencyProof(reader, 5, 20);
    await fc.assert(
      fc.asyncProperty(
        garbageNumberArb,
        fc.constantFrom('first', 'second', 'both'),
        async (garbage, where) => {
          const a = where === 'second' ? 3 : garbage;
          const b = where === 'first' ? 20 : garbage;
          expect(outcome(() => verifyInclusion(a, b, leaf, goodInclusion, mth(0, 20)))).to.equal(
            'PROOF_INVALID',
          );
          expect(outcome(() => rootFromInclusionProof(a, b, leaf, goodInclusion))).to.equal('PROOF_INVALID');
          expect(outcome(() => inclusionRanges(a, b))).to.equal('PROOF_INVALID');
          expect(await asyncOutcome(() => inclusionProof(reader, a, b))).to.equal('PROOF_INVALID');
          const [m, size]: [number, number] =
            where === 'first' ? [garbage, 20] : where === 'second' ? [5, garbage] : [a, b];
          expect(outcome(() => verifyConsistency(m, size, goodConsistency, mth(0, 5), mth(0, 20)))).to.equal(
            'PROOF_INVALID',
          );
          expect(outcome(() => verifyConsistency(garbage, garbage, [], mth(0, 5), mth(0, 5)))).to.equal(
            'PROOF_INVALID',
          );
          expect(outcome(() => consistencyRanges(m, size))).to.equal('PROOF_INVALID');
          expect(await asyncOutcome(() => consistencyProof(reader, m, size))).to.equal('PROOF_INVALID');
          expect(await asyncOutcome(() => consistencyProof(reader, garbage, garbage))).to.equal(
            'PROOF_INVALID',
          );
          expect(await asyncOutcome(() => treeRoot(reader, garbage))).to.equal('PROOF_INVALID');
          expect(outcome(() => compactRangeIds(garbage))).to.equal('PROOF_INVALID');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('when the index is at or beyond the size, or a consistency claim starts at 0 or ends before it starts, then the answer is PROOF_INVALID', async () => {
    const { leaves, mth, reader } = buildTree(syntheticLeaves(2, 20));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.nat(40), async (size, beyond) => {
        const index = size + beyond;
        if (!Number.isSafeInteger(index)) return;
        expect(outcome(() => verifyInclusion(index, size, at(leaves, 0), [], mth(0, 1)))).to.equal(
          'PROOF_INVALID',
        );
        expect(outcome(() => inclusionRanges(index, size))).to.equal('PROOF_INVALID');
        expect(await asyncOutcome(() => inclusionProof(reader, index, size))).to.equal('PROOF_INVALID');
        expect(outcome(() => verifyConsistency(0, size, [], sha256(), mth(0, 1)))).to.equal('PROOF_INVALID');
        expect(await asyncOutcome(() => consistencyProof(reader, 0, size))).to.equal('PROOF_INVALID');
        expect(outcome(() => verifyConsistency(index + 1, size, [], mth(0, 1), mth(0, 1)))).to.equal(
          'PROOF_INVALID',
        );
        expect(outcome(() => consistencyRanges(index + 1, size))).to.equal('PROOF_INVALID');
      }),
      { numRuns: 200 },
    );
  });

  it('when a leaf, a root or a proof element is not 32 bytes, then verification fails with PROOF_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, wrongLengthArb, fc.nat(), async ({ n, seed, index, first }, length, pick) => {
        const { leaves, mth, reader } = buildTree(syntheticLeaves(seed, n));
        const wrong = new Uint8Array(length).fill(0xab);
        const inclusion = await inclusionProof(reader, index, n);
        const leaf = at(leaves, index);
        const root = mth(0, n);
        const inclusionCases: [Uint8Array, readonly Uint8Array[], Uint8Array][] = [
          [wrong, inclusion, root],
          [leaf, inclusion, wrong],
        ];
        if (inclusion.length > 0) {
          inclusionCases.push([leaf, inclusion.with(pick % inclusion.length, wrong), root]);
        }
        for (const [l, p, r] of inclusionCases) {
          expect(outcome(() => verifyInclusion(index, n, l, p, r))).to.equal('PROOF_INVALID');
        }
        const consistency = await consistencyProof(reader, first, n);
        const consistencyCases: [number, readonly Uint8Array[], Uint8Array, Uint8Array][] = [
          [n, consistency, wrong, mth(0, n)],
          [n, consistency, mth(0, first), wrong],
          // Equal sizes only compare the roots (RFC 9162 §2.1.4.2; the transparency-dev vector
          // sizes-are-equal-one-and-proof-is-empty accepts 12-byte roots), so here a wrong root must differ.
          [first, [], mth(0, first), wrong],
        ];
        if (consistency.length > 0) {
          const broken = consistency.with(pick % consistency.length, wrong);
          consistencyCases.push([n, broken, mth(0, first), mth(0, n)]);
        }
        for (const [second, p, r1, r2] of consistencyCases) {
          expect(outcome(() => verifyConsistency(first, second, p, r1, r2))).to.equal('PROOF_INVALID');
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------
// Huge trees: sizes up to 2^53 - 1.

/**
 * A true Merkle tree of any size: every leaf is one filler hash except a few
 * marked leaves. A complete subtree with no marked leaf hashes to the filler
 * tower of its height, so MTH over 2^40 leaves costs a few hundred hashes.
 */
function sparseTree(marked: readonly number[]): { leaf: (j: number) => Uint8Array; mth: Mth<Uint8Array> } {
  const tower = [refLeafHash('filler')];
  for (let level = 1; level <= 53; level++) {
    const below = at(tower, level - 1);
    tower.push(refNodeHash(below, below));
  }
  const leaf = (j: number) => (marked.includes(j) ? refLeafHash(`marked ${j}`) : at(tower, 0));
  const memo = new Map<string, Uint8Array>();
  const mth = (start: number, end: number): Uint8Array => {
    const size = end - start;
    if (size === 1) return leaf(start);
    const key = `${start}:${end}`;
    let hash = memo.get(key);
    if (hash === undefined) {
      const height = ceilLog2(size);
      if (2 ** height === size && !marked.some((j) => start <= j && j < end)) {
        hash = at(tower, height);
      } else {
        const k = largestPowerBelow(size);
        hash = refNodeHash(mth(start, start + k), mth(start + k, end));
      }
      memo.set(key, hash);
    }
    return hash;
  };
  return { leaf, mth };
}

/** A node reader over the sparse tree: node (level, index) is MTH of its leaf range. */
function sparseReader(mth: Mth<Uint8Array>): NodeReader {
  return {
    async readNodes(ids) {
      return ids.map(({ level, index }) => {
        const width = 2 ** level;
        return mth(index * width, (index + 1) * width);
      });
    },
  };
}

const HUGE = 2 ** 40 + 12345;
const MAX_SAFE = 2 ** 53 - 1;

const hugeSizeArb = fc.oneof(
  fc.constantFrom(HUGE, MAX_SAFE, 2 ** 52, 2 ** 52 + 1, 2 ** 40, 2 ** 40 - 1),
  fc.integer({ min: 2 ** 32, max: MAX_SAFE }),
);

const hugeClaimArb = hugeSizeArb.chain((n) =>
  fc.record({
    n: fc.constant(n),
    index: fc.oneof(
      fc.constantFrom(0, 1, n - 1, n - 2, Math.min(2 ** 40, n - 1)),
      fc.integer({ min: 0, max: n - 1 }),
    ),
    first: fc.oneof(fc.constantFrom(1, 2, n, n - 1, Math.min(2 ** 40, n)), fc.integer({ min: 1, max: n })),
    other: fc.integer({ min: 0, max: n - 1 }),
  }),
);

describe('merkle properties: huge trees (sizes up to 2^53 - 1)', () => {
  it('when the sparse reference tree is small, then its MTH equals the plain reference over the same leaves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.uniqueArray(fc.nat(69), { maxLength: 4 }),
        (n, marked) => {
          const { leaf, mth } = sparseTree(marked);
          const plain = arrayMth(Array.from({ length: n }, (_, j) => leaf(j)));
          for (let m = 1; m <= n; m++) expect(hex([mth(0, m)])).to.deep.equal(hex([plain(0, m)]));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('when ranges are computed for any size up to 2^53 - 1, then they equal the reference, respect the log2 bounds and tile into aligned complete subtrees', () => {
    fc.assert(
      fc.property(hugeClaimArb, ({ n, index, first }) => {
        const inclusion = inclusionRanges(index, n);
        expect(inclusion).to.deep.equal(refPath(index, 0, n, asRange));
        expect(inclusion.length).to.be.at.most(ceilLog2(n));
        const consistency = consistencyRanges(first, n);
        expect(consistency).to.deep.equal(refProof(first, n, asRange));
        expect(consistency.length).to.be.at.most(ceilLog2(n) + 1);
        for (const range of [...inclusion, ...consistency, [0, n] as const, [0, first] as const]) {
          expectTiling(rangeNodes(range), range);
        }
        expect(compactRangeIds(n)).to.deep.equal(rangeNodes([0, n]));
      }),
      { numRuns: 300 },
    );
  });

  it('when rangeNodes is given any range, then it tiles it with the largest aligned complete subtrees that fit', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: MAX_SAFE })),
        fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: MAX_SAFE })),
        (a, b) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          let cursor = start;
          for (const { level, index } of rangeNodes([start, end])) {
            const width = 2 ** level;
            expect(Number.isSafeInteger(index) && index >= 0, 'whole node index').to.equal(true);
            expect(index * width, 'aligned and contiguous').to.equal(cursor);
            // Maximal: the next larger block either is misaligned here or does not fit.
            expect(cursor % (2 * width) !== 0 || cursor + 2 * width > end, 'largest block').to.equal(true);
            cursor += width;
          }
          expect(cursor).to.equal(end);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('when a tree has about 2^40 leaves or more, then inclusion and consistency proofs from a node reader equal the reference and verify against treeRoot', async () => {
    await fc.assert(
      fc.asyncProperty(hugeClaimArb, fc.nat(255), async ({ n, index, first, other }, bit) => {
        const { leaf, mth } = sparseTree([index, first - 1, first, other]);
        const reader = sparseReader(mth);
        const root = await treeRoot(reader, n);
        expect(hex([root])).to.deep.equal(hex([mth(0, n)]));

        const inclusion = await inclusionProof(reader, index, n);
        expect(hex(inclusion)).to.deep.equal(hex(refPath(index, 0, n, mth)));
        expect(outcome(() => verifyInclusion(index, n, leaf(index), inclusion, root))).to.equal('verified');
        const neighbour = index + 1 < n ? index + 1 : index - 1;
        if (neighbour >= 0) {
          expect(outcome(() => verifyInclusion(neighbour, n, leaf(index), inclusion, root))).to.equal(
            'PROOF_INVALID',
          );
        }
        if (inclusion.length > 0) {
          const flipped = inclusion.with(
            bit % inclusion.length,
            flipBit(at(inclusion, bit % inclusion.length), bit),
          );
          expect(outcome(() => verifyInclusion(index, n, leaf(index), flipped, root))).to.equal(
            'PROOF_INVALID',
          );
        }

        const firstRoot = await treeRoot(reader, first);
        expect(hex([firstRoot])).to.deep.equal(hex([mth(0, first)]));
        const consistency = await consistencyProof(reader, first, n);
        expect(hex(consistency)).to.deep.equal(hex(refProof(first, n, mth)));
        expect(outcome(() => verifyConsistency(first, n, consistency, firstRoot, root))).to.equal('verified');
        expect(
          outcome(() => verifyConsistency(first, n, consistency, flipBit(firstRoot, bit), root)),
        ).to.equal('PROOF_INVALID');
      }),
      { numRuns: 40 },
    );
  });
});
