import { hash as digest } from 'node:crypto';
import type { AuditRow, LogRepository, StoredCheckpoint } from '../db/log.repository';
import { LedgerError } from '../errors';
import {
  appendLeaves,
  type CompactRange,
  compactRangeIds,
  compactRoot,
  EMPTY_RANGE,
  equalBytes,
  fromUtf8,
  type NoteVerifier,
  openCheckpoint,
  parseEntry,
  type StoredNode,
  toBase64,
} from '../ledger';
import type { TreePoint } from './checkpoint-witness';

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
}

/** Entries read and checked per round trip. */
const PAGE = 10_000;

class AuditStop extends Error {
  constructor(readonly failure: AuditFailure) {
    super(failure.detail);
  }
}

const fail = (index: number | null, code: string, detail: string): never => {
  throw new AuditStop({ index, code, detail });
};

/**
 * Re-verifies the stored log, trusting nothing stored: every checkpoint
 * signature; every entry's bytes (well-formed, canonical JCS, leaf hash, columns
 * that agree with the bytes); every chain link; every stored tree node against
 * the one recomputed from the leaves; and the recomputed root at every
 * checkpoint size and at the head. Stops at the first failure and names it.
 *
 * With `from`, the run starts at a size verified before: the tree there is taken
 * from its stored compact range, which must give the root verified then and the
 * root signed at that size; chains continue from their stored heads before it.
 * Entries are read in pages by index, the next page while this one is checked.
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
  let checked = 0;
  try {
    const bySize = verifyCheckpoints(checkpoints, logKey);
    const chains = new Map<string, { seq: number; leafHash: string }>();
    let range = await startingRange(log, options.from, bySize, head.size);
    checkRoot(range, bySize);
    const sizes = [...bySize.keys()];
    let nextSigned = 0;
    let next = range.size < head.size ? readPage(log, range.size, head.size) : undefined;
    while (next) {
      const { rows, nodes, to } = await next;
      next = to < head.size ? readPage(log, to, head.size) : undefined;
      if (rows.length === 0 || (rows[0] as AuditRow).idx !== range.size)
        fail(range.size, 'ENTRY_MISSING', `entry ${range.size} is missing`);
      if (options.from) await continueChains(log, rows, chains, start);
      // Leaves are appended a segment at a time, from one signed size to the next: a
      // root per checkpoint, not per leaf, and still no entry checked past a bad root.
      const created: StoredNode[] = [];
      for (let at = 0; at < rows.length; ) {
        while ((sizes[nextSigned] ?? Number.POSITIVE_INFINITY) <= range.size) nextSigned++;
        const end = Math.min(rows.length, at + (sizes[nextSigned] ?? Number.POSITIVE_INFINITY) - range.size);
        const leaves = rows.slice(at, end).map((row, i) => checkEntry(row, range.size + i, chains));
        const appended = appendLeaves(range, leaves);
        for (const node of appended.created) created.push(node);
        range = appended.range;
        if (bySize.has(range.size)) checkRoot(range, bySize);
        at = end;
      }
      if (range.size !== to) fail(range.size, 'ENTRY_MISSING', `entry ${range.size} is missing`);
      compareNodes(created, nodes);
      checked += rows.length;
      options.onProgress?.(checked, head.size - start);
    }
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
  }
}

/** One page of entries and the stored nodes they create, read together. */
async function readPage(log: LogRepository, from: number, size: number) {
  const to = Math.min(from + PAGE, size);
  const ranges = createdNodeRanges(from, to);
  const [rows, nodes] = await Promise.all([
    log.auditPage(from, to),
    log.nodeRanges(
      ranges.map((r) => r.level),
      ranges.map((r) => r.from),
      ranges.map((r) => r.to),
    ),
  ]);
  return { rows, nodes, to };
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

/** For an incremental run: each subject's chain continues from its stored head before the start. */
async function continueChains(
  log: LogRepository,
  rows: readonly AuditRow[],
  chains: Map<string, { seq: number; leafHash: string }>,
  before: number,
): Promise<void> {
  const unseen = new Map<string, { type: string; id: string }>();
  for (const row of rows) {
    const key = `${row.subject_type}\u0000${row.subject_id}`;
    if (!chains.has(key)) unseen.set(key, { type: row.subject_type, id: row.subject_id });
  }
  if (unseen.size === 0) return;
  for (const head of await log.subjectHeadsBefore([...unseen.values()], before))
    chains.set(`${head.type}\u0000${head.id}`, { seq: head.seq, leafHash: toBase64(head.leafHash) });
  // Subjects without an earlier entry start their chain in this run.
  for (const key of unseen.keys()) if (!chains.has(key)) chains.set(key, { seq: 0, leafHash: '' });
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

const LEAF_PREFIX = Buffer.of(0x00);

/** Checks one stored entry and its chain link; returns its recomputed leaf hash. */
function checkEntry(
  row: AuditRow,
  expectedIndex: number,
  chains: Map<string, { seq: number; leafHash: string }>,
): Uint8Array {
  const index = row.idx;
  if (index !== expectedIndex) fail(expectedIndex, 'ENTRY_MISSING', `entry ${expectedIndex} is missing`);
  let text: string;
  let parsed: unknown;
  let entry: ReturnType<typeof parseEntry>;
  try {
    text = fromUtf8(row.leaf_data);
    parsed = JSON.parse(text);
    entry = parseEntry(parsed);
  } catch {
    return fail(index, 'ENTRY_INVALID', 'stored bytes are not a well-formed entry');
  }
  // The check runs on what JSON.parse gave, in the text's key order (the schema's output is reordered).
  if (!isCanonical(text, row.leaf_data.length, parsed))
    fail(index, 'ENTRY_INVALID', 'stored bytes are not canonical JCS');
  const hash = digest('sha256', Buffer.concat([LEAF_PREFIX, row.leaf_data]), 'buffer');
  if (!hash.equals(row.leaf_hash))
    fail(index, 'LEAF_HASH_MISMATCH', 'stored leaf hash is not the hash of the entry');
  const columnsAgree =
    row.subject_type === entry.subject.type &&
    row.subject_id === entry.subject.id &&
    row.seq === entry.seq &&
    row.entry_type === entry.type &&
    row.at === entry.at &&
    row.prev === entry.prev;
  if (!columnsAgree) fail(index, 'ENTRY_INVALID', 'stored columns differ from the entry bytes');

  const key = `${entry.subject.type}\u0000${entry.subject.id}`;
  const previous = chains.get(key);
  if (entry.seq !== (previous?.seq ?? 0) + 1)
    fail(index, 'CHAIN_BROKEN', `seq ${entry.seq} does not follow ${previous?.seq ?? 0}`);
  if (entry.prev !== (previous?.seq ? previous.leafHash : null))
    fail(index, 'CHAIN_BROKEN', 'prev does not name the previous entry');
  const name = hash.toString('base64');
  chains.set(key, { seq: entry.seq, leafHash: name });
  return hash;
}

/**
 * Whether `text` is the RFC 8785 form of the entry it parsed to, without
 * re-canonicalising. For the values an entry may hold (strings, safe integers,
 * booleans, null, arrays, objects; parseEntry admits nothing else) JCS is
 * ECMAScript JSON.stringify with each object's keys sorted by UTF-16 code
 * units. JSON.stringify writes keys in the parsed order, which is the text's
 * order unless a key looks like an array index; so: every object's keys are in
 * JCS order and none looks like an index, the text serialises back to itself
 * (which also rules out white space, escapes written differently and duplicate
 * keys), and the bytes are exactly the text (no byte-order mark, which the
 * decoder drops). Anything else goes to the full canonicalisation.
 */
function isCanonical(text: string, byteLength: number, entry: unknown): boolean {
  return Buffer.byteLength(text) === byteLength && keysInJcsOrder(entry) && JSON.stringify(entry) === text;
}

const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

function keysInJcsOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(keysInJcsOrder);
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (INDEX_LIKE.test(key) || (i > 0 && !((keys[i - 1] as string) < key))) return false;
    if (!keysInJcsOrder((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** The recomputed nodes of a page against the stored ones, read by range in the same order. */
function compareNodes(
  recomputed: readonly StoredNode[],
  stored: ReadonlyArray<{ level: number; idx: string; hash: Buffer }>,
) {
  const byId = new Map(stored.map((node) => [`${node.level}/${node.idx}`, node.hash]));
  for (const node of recomputed) {
    const hash = byId.get(`${node.level}/${node.index}`);
    // A node covers leaves [index * 2^level, ...); name its first leaf.
    const first = node.index * 2 ** node.level;
    if (!hash) fail(first, 'NODE_MISSING', `tree node ${node.level}/${node.index} is missing`);
    else if (!hash.equals(node.hash))
      fail(first, 'NODE_MISMATCH', `stored tree node ${node.level}/${node.index} is wrong`);
  }
}
