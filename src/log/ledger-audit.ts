import { hash as digest } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AuditEntries, LogRepository, StoredCheckpoint } from '../db/log.repository';
import { LedgerError } from '../errors';
import {
  type CompactRange,
  compactRangeIds,
  compactRoot,
  EMPTY_RANGE,
  equalBytes,
  type NodeId,
  type NoteVerifier,
  openCheckpoint,
  toBase64,
} from '../ledger';
import type { TreePoint } from './checkpoint-witness';
import {
  CLOSE_WORKER,
  type EntryFailure,
  type EntryPage,
  FIXED_SIZE,
  indexAt,
  type PageOffsets,
  pageLength,
  pageOffsets,
  seqAt,
} from './entry-check';
import type { EntryCheckRequest } from './ledger-audit-worker';

export interface AuditFailure {
  /** The first log index that fails, or null when the failure is not one entry's (a checkpoint, the head). */
  readonly index: number | null;
  readonly code: string;
  readonly detail: string;
}

export interface AuditReport {
  readonly ok: boolean;
  /** The first entry verified: 0 for a full run, the verified point's size for an incremental one. */
  readonly from: number;
  readonly size: number;
  /** The head root the run verified up to. */
  readonly root: Uint8Array;
  readonly entries: number;
  readonly checkpoints: number;
  readonly failure?: AuditFailure;
}

export interface AuditOptions {
  /** Verify only entries from this point on: a size verified before, and its root. */
  readonly from?: TreePoint;
  readonly onProgress?: (done: number, total: number) => void;
  /** Entries read and checked together (tests make it small to cross page boundaries). */
  readonly pageSize?: number;
  /** Worker threads for the per-entry checks: one per core unless told. */
  readonly workers?: number;
}

/** 2^14 entries: about 6 MB of entry bytes read in one round trip. */
const PAGE = 16_384;

class AuditStop extends Error {
  constructor(readonly failure: AuditFailure) {
    super(failure.detail);
  }
}

const fail = (index: number | null, code: string, detail: string): never => {
  throw new AuditStop({ index, code, detail });
};

type Chains = Map<string, { seq: number; leafHash: string }>;

/**
 * Re-verifies the stored log, trusting nothing stored: every checkpoint
 * signature; every entry's bytes (well-formed, canonical JCS, leaf hash, columns
 * that agree with the bytes); every chain link; every stored tree node against
 * the one recomputed from the leaves; and the recomputed root at every
 * checkpoint size and at the head. Stops at the first failure in log order and
 * names it: a segment between signed sizes at a time, its entries in order,
 * then the root signed at its end, then the tree nodes its leaves complete.
 *
 * With `from`, the run starts at a size verified before: the tree there is taken
 * from its stored compact range, which must give the root verified then and the
 * root signed at that size; chains continue from their stored heads before it.
 *
 * Entries are read in pages by index, a few pages ahead. Each page's per-entry
 * checks (parse, schema, canonical form, leaf hash, columns, the disclosures
 * kept with the entry) run on worker
 * threads while this thread links the chains and recomputes the page's tree
 * from the stored leaf hashes with the platform's SHA-256; a page's result only
 * counts up to its first failing entry, before which those hashes are proven.
 */
export async function auditLedger(
  log: LogRepository,
  logKey: NoteVerifier,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const head = await log.head();
  const start = options.from?.size ?? 0;
  if (!head) return { ok: true, from: 0, size: 0, root: new Uint8Array(), entries: 0, checkpoints: 0 };
  const checkpoints = await log.checkpointsFrom(start);
  const pageSize = options.pageSize ?? PAGE;
  let checked = 0;
  let checkers: EntryCheckers | undefined;
  const reads: Array<Promise<ReadPage>> = [];
  try {
    const bySize = verifyCheckpoints(checkpoints, logKey);
    const signed = [...bySize.keys()];
    const chains: Chains = new Map();
    let undecided: Found | undefined;
    let range = await startingRange(log, options.from, bySize, head.size);
    checkRoot(range, bySize);
    if (range.size < head.size) checkers = new EntryCheckers(options.workers ?? availableParallelism());
    // Pages are read (and handed to a worker) ahead of the one being finished here.
    let nextRead = range.size;
    const readAhead = () => {
      while (checkers && reads.length <= checkers.size && nextRead < head.size) {
        const to = Math.min(nextRead + pageSize, head.size);
        reads.push(readPage(log, checkers, nextRead, to));
        nextRead = to;
      }
    };
    readAhead();
    while (reads.length > 0) {
      const read = await (reads.shift() as Promise<ReadPage>);
      readAhead();
      if (options.from && read.page) await continueChains(log, read.page, chains, start);
      ({ range, undecided } = await finishPage(log, read, { range, undecided }, chains, bySize, signed));
      checked += read.page ? pageLength(read.page) : 0;
      options.onProgress?.(checked, head.size - start);
    }
    if (undecided) throw new AuditStop(undecided.failure);
    if (!equalBytes(compactRoot(range), head.root))
      fail(null, 'LOG_INCONSISTENT', 'the head root is not the tree root');
    return {
      ok: true,
      from: start,
      size: head.size,
      root: head.root,
      entries: checked,
      checkpoints: checkpoints.length,
    };
  } catch (error) {
    if (!(error instanceof AuditStop)) throw error;
    return {
      ok: false,
      from: start,
      size: head.size,
      root: head.root,
      entries: checked,
      checkpoints: checkpoints.length,
      failure: error.failure,
    };
  } finally {
    for (const read of reads) read.catch(() => {});
    await checkers?.close();
  }
}

/** Worker threads running the per-entry checks, a page at a time each. */
class EntryCheckers {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, (failure: EntryFailure | undefined) => void>();
  private failed: ((error: Error) => void)[] = [];
  private next = 0;

  constructor(count: number) {
    const file = path.join(__dirname, 'ledger-audit-worker.js');
    this.workers = Array.from({ length: Math.max(1, count) }, () => {
      const worker = new Worker(file);
      worker.on('message', ({ id, failure }: { id: number; failure?: EntryFailure }) => {
        this.waiting.get(id)?.(failure);
        this.waiting.delete(id);
      });
      worker.on('error', (error) => this.abort(error));
      worker.on('exit', (code) => this.abort(new Error(`an entry check worker exited with code ${code}`)));
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** The page's first failing entry, or none. */
  check(entries: AuditEntries): Promise<EntryFailure | undefined> {
    const id = this.next++;
    const request: EntryCheckRequest = { id, ...entries };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, resolve);
      this.failed.push(reject);
      (this.workers[id % this.workers.length] as Worker).postMessage(request);
    });
  }

  private abort(error: Error): void {
    for (const reject of this.failed) reject(error);
    this.failed = [];
    this.waiting.clear();
  }

  /**
   * Asks every worker to finish and waits for it to exit. A worker is never
   * terminated: terminating one while it still loads its modules (an audit of a
   * short log ends that soon) aborts the whole Node 20 process.
   */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map((worker) => {
        worker.removeAllListeners('exit');
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage(CLOSE_WORKER);
        return exited;
      }),
    );
  }
}

type MainPage = Omit<EntryPage, 'data' | 'disclosures'> & { readonly offsets: PageOffsets };

interface ReadPage {
  readonly from: number;
  readonly to: number;
  /** The entries read, in index order, less their bytes (at a worker); none when there were none. */
  readonly page?: MainPage;
  readonly nodes: Awaited<ReturnType<LogRepository['nodeLevels']>>;
  readonly checked: Promise<EntryFailure | undefined>;
}

/** One page of entries and the stored nodes they create, read together; its entries go to a worker at once. */
async function readPage(
  log: LogRepository,
  checkers: EntryCheckers,
  from: number,
  to: number,
): Promise<ReadPage> {
  const ranges = createdNodeRanges(from, to);
  const [read, nodes] = await Promise.all([
    log.auditEntries(from, to),
    log.nodeLevels(
      ranges.map((r) => r.level),
      ranges.map((r) => r.from),
      ranges.map((r) => r.to),
    ),
  ]);
  if (!read) return { from, to, nodes, checked: Promise.resolve(undefined) };
  const entries = inIndexOrder(read);
  const page: MainPage = {
    fixed: entries.fixed,
    hashes: entries.hashes,
    columns: JSON.parse(entries.columns),
    offsets: pageOffsets(entries),
  };
  const checked = checkers.check(entries);
  // Rejections are taken where the page is finished.
  checked.catch(() => {});
  return { from, to, page, nodes, checked };
}

/**
 * The aggregates come in the order the index scan gave them, which is index
 * order; should a plan ever differ, they are put back in it here.
 */
function inIndexOrder(read: AuditEntries): AuditEntries {
  const n = read.fixed.length / FIXED_SIZE;
  let ordered = true;
  for (let i = 1; i < n && ordered; i++) ordered = indexAt(read, i - 1) <= indexAt(read, i);
  if (ordered) return read;
  const { hashAt, dataAt } = pageOffsets(read);
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => indexAt(read, a) - indexAt(read, b) || a - b,
  );
  const columns = JSON.parse(read.columns) as unknown[];
  const disclosures = JSON.parse(read.disclosures) as unknown[];
  const pick = (bytes: Buffer, at: Uint32Array) =>
    Buffer.concat(order.map((i) => bytes.subarray(at[i], at[i + 1])));
  return {
    fixed: Buffer.concat(order.map((i) => read.fixed.subarray(i * FIXED_SIZE, (i + 1) * FIXED_SIZE))),
    hashes: pick(read.hashes, hashAt),
    data: pick(Buffer.from(read.data, 'base64'), dataAt).toString('base64'),
    columns: JSON.stringify(order.map((i) => columns[i])),
    disclosures: JSON.stringify(order.map((i) => disclosures[i])),
  };
}

/** A failure found in a page, with its place in the order the checks run in (see auditLedger). */
interface Found {
  readonly order: readonly number[];
  readonly failure: AuditFailure;
}

const first = (found: ReadonlyArray<Found | undefined>): Found | undefined =>
  found.reduce<Found | undefined>(
    (best, next) => (next && (!best || before(next.order, best.order)) ? next : best),
    undefined,
  );

function before(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if ((a[i] ?? -1) !== (b[i] ?? -1)) return (a[i] ?? -1) < (b[i] ?? -1);
  return false;
}

/**
 * Finishes a page in log order: links its chains and recomputes its tree (while
 * the worker checks its entries), then fails with the first failure of all, or
 * returns the tree after it and a failure that a later page may still precede.
 */
async function finishPage(
  log: LogRepository,
  read: ReadPage,
  { range, undecided }: { range: CompactRange; undecided?: Found },
  chains: Chains,
  bySize: ReadonlyMap<number, Uint8Array>,
  signed: readonly number[],
): Promise<{ range: CompactRange; undecided?: Found }> {
  const { from, to, page } = read;
  if (!page) return fail(from, 'ENTRY_MISSING', `entry ${from} is missing`);
  const n = pageLength(page);
  // Rows line up with their indexes up to `aligned`; leaf hashes are hashes up to `leaves`.
  let aligned = 0;
  while (aligned < n && indexAt(page, aligned) === from + aligned) aligned++;
  let leaves = 0;
  while (leaves < aligned && page.offsets.hashAt[leaves + 1] === (leaves + 1) * 32) leaves++;
  const missing: Found | undefined =
    aligned < to - from
      ? { order: [from + aligned, 0, 0], failure: missingEntry(from + aligned) }
      : undefined;
  const broken = linkChains(page, aligned, from, chains);
  const tree = pageTree(range, page.hashes.subarray(0, leaves * 32), from);
  const root = checkRoots(tree, from, from + leaves, bySize);
  const node = compareLevels(log, tree, read.nodes, signed);
  const entry = await read.checked;
  const found = first([
    undecided,
    missing,
    entry && {
      order: [from + entry.position, 0, 1],
      failure: { index: from + entry.position, code: entry.code, detail: entry.detail },
    },
    broken,
    root,
    await node,
  ]);
  // A node's failure waits for its segment's end, which may lie in a later page.
  if (found && (found.order[0] as number) < to) throw new AuditStop(found.failure);
  return { range: tree.range, undecided: found };
}

const missingEntry = (index: number): AuditFailure => ({
  index,
  code: 'ENTRY_MISSING',
  detail: `entry ${index} is missing`,
});

/** Checks and extends each entry's chain, in order; the first broken link, if any. */
function linkChains(page: MainPage, count: number, from: number, chains: Chains): Found | undefined {
  for (let i = 0; i < count; i++) {
    const [type, id, prev] = page.columns[i] as EntryPage['columns'][number];
    const seq = seqAt(page, i);
    const key = `${type}\u0000${id}`;
    const previous = chains.get(key);
    const index = from + i;
    const broken = (detail: string): Found => ({
      order: [index, 0, 2],
      failure: { index, code: 'CHAIN_BROKEN', detail },
    });
    if (seq !== (previous?.seq ?? 0) + 1) return broken(`seq ${seq} does not follow ${previous?.seq ?? 0}`);
    if (prev !== (previous?.seq ? previous.leafHash : null))
      return broken('prev does not name the previous entry');
    chains.set(key, {
      seq,
      leafHash: page.hashes.toString('base64', page.offsets.hashAt[i], page.offsets.hashAt[i + 1]),
    });
  }
  return undefined;
}

/** For an incremental run: each subject's chain continues from its stored head before the start. */
async function continueChains(
  log: LogRepository,
  page: MainPage,
  chains: Chains,
  before: number,
): Promise<void> {
  const unseen = new Map<string, { type: string; id: string }>();
  for (const [type, id] of page.columns) {
    const key = `${type}\u0000${id}`;
    if (!chains.has(key)) unseen.set(key, { type, id });
  }
  if (unseen.size === 0) return;
  for (const head of await log.subjectHeadsBefore([...unseen.values()], before))
    chains.set(`${head.type}\u0000${head.id}`, { seq: head.seq, leafHash: toBase64(head.leafHash) });
  // Subjects without an earlier entry start their chain in this run.
  for (const key of unseen.keys()) if (!chains.has(key)) chains.set(key, { seq: 0, leafHash: '' });
}

/** The nodes a page's leaves complete, level by level: node (level, first + i) at hashes[32 i]. */
interface PageTree {
  readonly levels: ReadonlyArray<{ readonly level: number; readonly first: number; readonly hashes: Buffer }>;
  /** The tree before the page. */
  readonly before: CompactRange;
  /** The tree after the page's leaves. */
  readonly range: CompactRange;
}

const NODE_INPUT = Buffer.alloc(65, 0x01);

/** SHA-256(0x01 || left || right) with the platform's SHA-256 (RFC 6962 §2.1). */
function hashNode(left: Uint8Array, right: Uint8Array): Buffer {
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 33);
  return digest('sha256', NODE_INPUT, 'buffer');
}

/**
 * Appends a page's leaf hashes (32 bytes each, back to back) to the tree: every
 * node they complete, a level at a time, and the compact range after them.
 */
function pageTree(before: CompactRange, leaves: Buffer, from: number): PageTree {
  const to = from + leaves.length / 32;
  const levels: Array<PageTree['levels'][number]> = [];
  const earlier = new Map(before.nodes.map((node) => [node.level, node]));
  let below = { level: 0, first: from, hashes: leaves };
  if (to > from) levels.push(below);
  for (const { level, from: firstIndex, to: end } of createdNodeRanges(from, to)) {
    if (level === 0) continue;
    const hashes = Buffer.allocUnsafe((end - firstIndex) * 32);
    for (let i = firstIndex; i < end; i++) {
      const left = 2 * i - below.first;
      const leftHash =
        left >= 0
          ? below.hashes.subarray(left * 32, left * 32 + 32)
          : (earlier.get(level - 1)?.hash as Uint8Array);
      const right = (left + 1) * 32;
      hashes.set(hashNode(leftHash, below.hashes.subarray(right, right + 32)), (i - firstIndex) * 32);
    }
    below = { level, first: firstIndex, hashes };
    levels.push(below);
  }
  const tree = { levels, before, range: EMPTY_RANGE };
  return {
    ...tree,
    range: { size: to, nodes: compactRangeIds(to).map((id) => ({ ...id, hash: nodeOf(tree, id) })) },
  };
}

/** A complete node of the tree up to the page's end: computed in the page, or from the tree before it. */
function nodeOf(tree: Pick<PageTree, 'levels' | 'before'>, id: NodeId): Uint8Array {
  const level = tree.levels[id.level];
  if (level && id.index >= level.first) {
    const at = (id.index - level.first) * 32;
    return Uint8Array.prototype.slice.call(level.hashes, at, at + 32);
  }
  return tree.before.nodes.find((node) => node.level === id.level && node.index === id.index)
    ?.hash as Uint8Array;
}

/** The first signed size in (from, to] whose recomputed root is not the signed one. */
function checkRoots(
  tree: PageTree,
  from: number,
  to: number,
  bySize: ReadonlyMap<number, Uint8Array>,
): Found | undefined {
  for (const [size, root] of bySize) {
    if (size <= from || size > to) continue;
    const nodes = compactRangeIds(size).map((id) => nodeOf(tree, id));
    let hash = nodes[nodes.length - 1] as Uint8Array;
    for (let i = nodes.length - 2; i >= 0; i--) hash = hashNode(nodes[i] as Uint8Array, hash);
    if (!equalBytes(hash, root))
      return {
        order: [size - 1, 1],
        failure: {
          index: size - 1,
          code: 'ROOT_MISMATCH',
          detail: `the tree of size ${size} is not the signed one`,
        },
      };
  }
  return undefined;
}

/**
 * The page's recomputed nodes against the stored ones. Each level is read as one
 * row of (index, hash) records; a level that is not exactly the expected records
 * is read again node by node to name its first missing or wrong node. Of all
 * failing nodes, the first completed (then the lowest) is the one that counts.
 */
async function compareLevels(
  log: LogRepository,
  tree: PageTree,
  stored: ReadonlyArray<{ level: number; nodes: Buffer | null }>,
  signed: readonly number[],
): Promise<Found | undefined> {
  let worst: { level: number; index: number; completed: number; missing: boolean } | undefined;
  for (const { level, first, hashes } of tree.levels) {
    const count = hashes.length / 32;
    const records = stored.find((row) => row.level === level)?.nodes;
    let failing = records ? firstDifference(records, first, hashes) : 0;
    if (failing === undefined) continue;
    let missing = false;
    const exact =
      records?.length === count * NODE_RECORD &&
      Number(records.readBigInt64BE(failing * NODE_RECORD)) === first + failing;
    if (!exact) {
      const rows = await log.nodeRanges([level], [first], [first + count]);
      const byIndex = new Map(rows.map((row) => [Number(row.idx), row.hash]));
      for (failing = 0; failing < count; failing++) {
        const hash = byIndex.get(first + failing);
        missing = !hash;
        if (!hash?.equals(hashes.subarray(failing * 32, failing * 32 + 32))) break;
      }
      if (failing === count) continue;
    }
    const index = first + failing;
    const completed = (index + 1) * 2 ** level - 1;
    if (!worst || completed < worst.completed || (completed === worst.completed && level < worst.level))
      worst = { level, index, completed, missing };
  }
  if (!worst) return undefined;
  const { level, index, completed, missing } = worst;
  const segmentEnd = signed.find((size) => size > completed) ?? Number.POSITIVE_INFINITY;
  return {
    order: [segmentEnd - 1, 2, completed, level],
    failure: {
      // A node covers leaves [index * 2^level, ...); name its first leaf.
      index: index * 2 ** level,
      code: missing ? 'NODE_MISSING' : 'NODE_MISMATCH',
      detail: missing
        ? `tree node ${level}/${index} is missing`
        : `stored tree node ${level}/${index} is wrong`,
    },
  };
}

/** Index (int8) and hash: one stored node as `nodeLevels` reads it. */
const NODE_RECORD = 40;

/**
 * The position of the first of `hashes` (nodes first, first + 1, ...) that the
 * records do not hold at its place, or undefined when they hold every one.
 */
function firstDifference(records: Buffer, first: number, hashes: Buffer): number | undefined {
  const count = hashes.length / 32;
  for (let i = 0; i < count; i++) {
    const at = i * NODE_RECORD;
    if (
      at + NODE_RECORD > records.length ||
      Number(records.readBigInt64BE(at)) !== first + i ||
      records.compare(hashes, i * 32, i * 32 + 32, at + 8, at + NODE_RECORD) !== 0
    )
      return i;
  }
  return undefined;
}

/**
 * The node ids that appending leaves [from, to) creates, as one index range per
 * level: node (level, i) is complete once leaf (i + 1) * 2^level - 1 is appended.
 */
function createdNodeRanges(from: number, to: number) {
  const ranges: Array<{ level: number; from: number; to: number }> = [];
  for (let level = 0, width = 1; width <= to; level++, width *= 2) {
    const first = Math.ceil((from + 1) / width) - 1;
    const end = Math.floor(to / width);
    if (end > first) ranges.push({ level, from: first, to: end });
  }
  return ranges;
}

/** The tree at the verified point, from stored nodes that must give the root verified and signed then. */
async function startingRange(
  log: LogRepository,
  from: TreePoint | undefined,
  bySize: ReadonlyMap<number, Uint8Array>,
  size: number,
): Promise<CompactRange> {
  if (!from) return EMPTY_RANGE;
  if (from.size > size)
    fail(null, 'LOG_INCONSISTENT', `the log is smaller than the verified size ${from.size}`);
  const signed = bySize.get(from.size);
  if (!signed || !equalBytes(signed, from.root))
    fail(null, 'ROOT_MISMATCH', `the checkpoint of size ${from.size} is not the one verified before`);
  const ids = compactRangeIds(from.size);
  let hashes: Uint8Array[];
  try {
    hashes = await log.nodeReader().readNodes(ids);
  } catch {
    return fail(null, 'NODE_MISSING', 'a tree node is missing');
  }
  const range = { size: from.size, nodes: ids.map((id, i) => ({ ...id, hash: hashes[i] as Uint8Array })) };
  if (!equalBytes(compactRoot(range), from.root))
    fail(null, 'NODE_MISMATCH', `the stored tree of size ${from.size} is not the one verified before`);
  return range;
}

function verifyCheckpoints(
  checkpoints: readonly StoredCheckpoint[],
  logKey: NoteVerifier,
): Map<number, Uint8Array> {
  const bySize = new Map<number, Uint8Array>();
  for (const stored of checkpoints) {
    try {
      const opened = openCheckpoint(stored.note, logKey);
      if (opened.size !== stored.size || !equalBytes(opened.root, stored.root)) {
        fail(
          null,
          'CHECKPOINT_INVALID',
          `stored columns of checkpoint ${stored.size} differ from its signed note`,
        );
      }
      bySize.set(opened.size, opened.root);
    } catch (error) {
      if (error instanceof LedgerError)
        fail(null, error.code, `checkpoint of size ${stored.size}: ${error.message}`);
      throw error;
    }
  }
  return bySize;
}

function checkRoot(range: CompactRange, bySize: ReadonlyMap<number, Uint8Array>): void {
  const signed = bySize.get(range.size);
  if (signed && !equalBytes(signed, compactRoot(range))) {
    fail(
      range.size === 0 ? null : range.size - 1,
      'ROOT_MISMATCH',
      `the tree of size ${range.size} is not the signed one`,
    );
  }
}
