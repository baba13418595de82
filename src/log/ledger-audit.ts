import type { LogRepository, StoredCheckpoint, StoredEntry } from '../db/log.repository';
import { LedgerError } from '../errors';
import {
  appendLeaves,
  type CompactRange,
  compactRoot,
  EMPTY_RANGE,
  entryLeafData,
  equalBytes,
  fromUtf8,
  leafHash,
  type NoteVerifier,
  openCheckpoint,
  parseEntry,
  type StoredNode,
  toBase64,
} from '../ledger';

export interface AuditFailure {
  /** The first log index that fails, or null when the failure is not one entry's (a checkpoint, the head). */
  readonly index: number | null;
  readonly code: string;
  readonly detail: string;
}

export interface AuditReport {
  readonly ok: boolean;
  readonly size: number;
  readonly entries: number;
  readonly checkpoints: number;
  readonly failure?: AuditFailure;
}

/** Entries read and checked per round trip. */
const PAGE = 2000;

class AuditStop extends Error {
  constructor(readonly failure: AuditFailure) {
    super(failure.detail);
  }
}

const fail = (index: number | null, code: string, detail: string): never => {
  throw new AuditStop({ index, code, detail });
};

/**
 * Re-verifies the whole stored log from scratch, trusting nothing stored:
 * every checkpoint signature; every entry's bytes (canonical JCS, leaf hash,
 * columns that agree with the bytes); every chain link; every stored tree node
 * against the one recomputed from the leaves; and the recomputed root at every
 * checkpoint size and at the head. Stops at the first failure and names it.
 */
export async function auditLedger(
  log: LogRepository,
  logKey: NoteVerifier,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<AuditReport> {
  const head = await log.head();
  if (!head) return { ok: true, size: 0, entries: 0, checkpoints: 0 };
  const checkpoints = await log.checkpoints();
  let checked = 0;
  try {
    const bySize = verifyCheckpoints(checkpoints, logKey);
    const chains = new Map<string, { seq: number; leafHash: string }>();
    let range: CompactRange = EMPTY_RANGE;
    checkRoot(range, bySize);
    while (range.size < head.size) {
      const page = await log.entriesFrom(range.size, Math.min(PAGE, head.size - range.size));
      if (page.length === 0) fail(range.size, 'ENTRY_MISSING', `entry ${range.size} is missing`);
      const created: StoredNode[] = [];
      for (const stored of page) {
        const appended = appendLeaves(range, [checkEntry(stored, range.size, chains)]);
        created.push(...appended.created);
        range = appended.range;
        if (bySize.has(range.size)) checkRoot(range, bySize);
      }
      await compareNodes(log, created);
      checked += page.length;
      onProgress(checked, head.size);
    }
    if (!equalBytes(compactRoot(range), head.root))
      fail(null, 'LOG_INCONSISTENT', 'the head root is not the tree root');
    return { ok: true, size: head.size, entries: checked, checkpoints: checkpoints.length };
  } catch (error) {
    if (!(error instanceof AuditStop)) throw error;
    return {
      ok: false,
      size: head.size,
      entries: checked,
      checkpoints: checkpoints.length,
      failure: error.failure,
    };
  }
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

/** Checks one stored entry and its chain link; returns its recomputed leaf hash. */
function checkEntry(
  stored: StoredEntry,
  expectedIndex: number,
  chains: Map<string, { seq: number; leafHash: string }>,
): Uint8Array {
  const index = stored.index;
  if (index !== expectedIndex) fail(expectedIndex, 'ENTRY_MISSING', `entry ${expectedIndex} is missing`);
  let entry: ReturnType<typeof parseEntry>;
  try {
    entry = parseEntry(JSON.parse(fromUtf8(stored.leafData)));
  } catch {
    return fail(index, 'ENTRY_INVALID', 'stored bytes are not a well-formed entry');
  }
  if (!equalBytes(entryLeafData(entry), stored.leafData))
    fail(index, 'ENTRY_INVALID', 'stored bytes are not canonical JCS');
  const hash = leafHash(stored.leafData);
  if (!equalBytes(hash, stored.leafHash))
    fail(index, 'LEAF_HASH_MISMATCH', 'stored leaf hash is not the hash of the entry');
  const columnsAgree =
    stored.subjectType === entry.subject.type &&
    stored.subjectId === entry.subject.id &&
    stored.seq === entry.seq &&
    stored.type === entry.type &&
    stored.at.toISOString() === entry.at &&
    (stored.prev === null ? entry.prev === null : toBase64(stored.prev) === entry.prev);
  if (!columnsAgree) fail(index, 'ENTRY_INVALID', 'stored columns differ from the entry bytes');

  const key = `${entry.subject.type}\u0000${entry.subject.id}`;
  const previous = chains.get(key);
  if (entry.seq !== (previous?.seq ?? 0) + 1)
    fail(index, 'CHAIN_BROKEN', `seq ${entry.seq} does not follow ${previous?.seq ?? 0}`);
  if (entry.prev !== (previous?.leafHash ?? null))
    fail(index, 'CHAIN_BROKEN', 'prev does not name the previous entry');
  chains.set(key, { seq: entry.seq, leafHash: toBase64(hash) });
  return hash;
}

async function compareNodes(log: LogRepository, recomputed: readonly StoredNode[]): Promise<void> {
  let stored: Uint8Array[];
  try {
    stored = await log.nodeReader().readNodes(recomputed);
  } catch {
    return fail(null, 'NODE_MISSING', 'a tree node is missing');
  }
  recomputed.forEach((node, i) => {
    if (!equalBytes(node.hash, stored[i] as Uint8Array)) {
      // A node covers leaves [index * 2^level, ...); name its first leaf.
      fail(
        node.index * 2 ** node.level,
        'NODE_MISMATCH',
        `stored tree node ${node.level}/${node.index} is wrong`,
      );
    }
  });
}
