import type { LogHead, LogRepository, StoredCheckpoint } from '../db/log.repository';
import { LedgerError } from '../errors';
import {
  compactRangeIds,
  compactRoot,
  equalBytes,
  type NoteSigner,
  openCheckpoint,
  signCheckpoint,
  toBase64,
  treeRoot,
} from '../ledger';
import type { TreePoint, VerifiedPoint } from './checkpoint-witness';

/**
 * Why the log refuses to sign: stable codes for `/readyz`, logs and operators.
 * They name the kind of mismatch, never a path or a statement.
 */
export const HALT_REASONS = [
  /** The configured origin is not the stored log's. */
  'ORIGIN_MISMATCH',
  /** A stored checkpoint's note does not verify with the log key, or its columns differ from its note. */
  'CHECKPOINT_INVALID',
  /** A checkpoint that must exist is absent: the genesis one, one at a batch boundary, or one at the verified point. */
  'CHECKPOINT_MISSING',
  /** A stored checkpoint's root is not the root of the stored tree at its size. */
  'CHECKPOINT_ROOT_MISMATCH',
  /** The head is not the last stored checkpoint (swapped or deleted head checkpoint). */
  'HEAD_MISMATCH',
  /** The stored tree nodes do not give the head's root, or a node is missing. */
  'TREE_MISMATCH',
  /** The database's log is smaller than the last checkpoint signed (a restored backup). */
  'LOG_ROLLED_BACK',
  /** The database's log differs at the size of the last checkpoint signed: two views of one log. */
  'SPLIT_VIEW',
  /** The checkpoint kept outside the database is unreadable or not signed by the log key. */
  'WITNESS_INVALID',
  /** The checkpoint kept outside the database could not be written. */
  'WITNESS_UNWRITABLE',
] as const;

export type HaltReason = (typeof HALT_REASONS)[number];

/** A mismatch that stops signing; `reason` is the stable code, the message is for the operator's log. */
export class LogHalt extends LedgerError {
  constructor(
    readonly reason: HaltReason,
    message: string,
    readonly evidence: { expected?: string; actual?: string } = {},
  ) {
    super('LOG_INCONSISTENT', message);
  }
}

/** Checkpoints checked per round trip for their roots. */
const CHUNK = 1000;

/**
 * Verifies the stored checkpoint chain up to the head and returns the head as
 * the new verified point. From `from` (the point verified last) only newer rows
 * are verified, once the older rows are shown unchanged by their fingerprint; if
 * they changed, the whole chain is verified again, to name what is wrong.
 *
 * "Complete" means: the chain starts with a checkpoint at `from` (size 0 for a
 * first run) whose root is the one verified before; sizes strictly increase; every
 * note is signed by the log key and agrees with its size and root columns; every
 * root is the stored tree's root at that size; the last checkpoint is the head's
 * (size, root and note); and every batch boundary has its checkpoint. The
 * sequencer signs one checkpoint per batch and stamps a batch's entries with one
 * time, so an entry whose time differs from its predecessor's starts a batch, and
 * a checkpoint of that size must exist. (Two batches stamped in the same
 * millisecond look like one: deleting the checkpoint between them is not seen here.)
 */
export async function verifyCheckpointChain(
  log: LogRepository,
  signer: NoteSigner,
  head: LogHead,
  from: VerifiedPoint | undefined,
): Promise<VerifiedPoint> {
  const unchanged =
    from && from.size <= head.size && sameFingerprint(await log.checkpointDigest(from.size), from);
  const verified = await verifyChainFrom(log, signer, head, unchanged ? from : undefined);
  return { ...verified, ...(await log.checkpointDigest(head.size)) };
}

const sameFingerprint = (
  a: { checkpoints: number; digest: string },
  b: { checkpoints: number; digest: string },
) => a.checkpoints === b.checkpoints && a.digest === b.digest;

async function verifyChainFrom(
  log: LogRepository,
  signer: NoteSigner,
  head: LogHead,
  from: TreePoint | undefined,
): Promise<TreePoint> {
  if (head.origin !== signer.name) {
    throw new LogHalt('ORIGIN_MISMATCH', 'the configured origin is not the log origin', {
      expected: head.origin,
      actual: signer.name,
    });
  }
  const start = from?.size ?? 0;
  if (start > head.size) {
    throw new LogHalt('LOG_ROLLED_BACK', 'the log is smaller than the point verified before', {
      expected: String(start),
      actual: String(head.size),
    });
  }
  const checkpoints = await log.checkpointsFrom(start);
  const first = checkpoints[0];
  if (!first || first.size !== start)
    throw new LogHalt('CHECKPOINT_MISSING', `no checkpoint at the verified size ${start}`);
  if (from && !equalBytes(first.root, from.root)) {
    throw new LogHalt('SPLIT_VIEW', `the checkpoint of size ${start} is not the one verified before`, {
      expected: toBase64(from.root),
      actual: toBase64(first.root),
    });
  }
  for (const checkpoint of checkpoints) checkSignature(checkpoint, signer);
  for (let i = 0; i < checkpoints.length; i += CHUNK) await checkRoots(log, checkpoints.slice(i, i + CHUNK));

  const last = checkpoints[checkpoints.length - 1] as StoredCheckpoint;
  if (last.size !== head.size || !equalBytes(last.root, head.root) || last.note !== head.checkpoint) {
    throw new LogHalt('HEAD_MISMATCH', 'the log head is not the last stored checkpoint', {
      expected: `${last.size} ${toBase64(last.root)}`,
      actual: `${head.size} ${toBase64(head.root)}`,
    });
  }
  const unsigned = await log.firstBatchWithoutCheckpoint(start);
  if (unsigned !== undefined)
    throw new LogHalt('CHECKPOINT_MISSING', `the batch ending at size ${unsigned} has no checkpoint`);
  return { size: head.size, root: head.root };
}

/**
 * The note must be the log key's signature over the row's size and root. Ed25519
 * is deterministic, so re-signing and comparing proves it at a fraction of the
 * cost of verifying; only a differing note is opened, to say what is wrong.
 */
function checkSignature(checkpoint: StoredCheckpoint, signer: NoteSigner): void {
  const expected = signCheckpoint(
    { origin: signer.name, size: checkpoint.size, root: checkpoint.root },
    signer,
  );
  if (checkpoint.note === expected) return;
  let opened: ReturnType<typeof openCheckpoint>;
  try {
    opened = openCheckpoint(checkpoint.note, signer);
  } catch {
    throw new LogHalt('CHECKPOINT_INVALID', `checkpoint ${checkpoint.size} is not signed by the log key`);
  }
  if (opened.size !== checkpoint.size || !equalBytes(opened.root, checkpoint.root))
    throw new LogHalt('CHECKPOINT_INVALID', `checkpoint ${checkpoint.size} differs from its signed note`);
}

/** Each checkpoint's root against the stored tree at its size, the nodes of a chunk in one read. */
async function checkRoots(log: LogRepository, checkpoints: readonly StoredCheckpoint[]): Promise<void> {
  const idsOf = checkpoints.map((checkpoint) => compactRangeIds(checkpoint.size));
  let hashes: Uint8Array[];
  try {
    hashes = await log.nodeReader().readNodes(idsOf.flat());
  } catch {
    throw new LogHalt('TREE_MISMATCH', 'a stored tree node is missing');
  }
  let at = 0;
  checkpoints.forEach((checkpoint, i) => {
    const ids = idsOf[i] ?? [];
    const nodes = ids.map((id, k) => ({ ...id, hash: hashes[at + k] as Uint8Array }));
    at += ids.length;
    const root = compactRoot({ size: checkpoint.size, nodes });
    if (!equalBytes(root, checkpoint.root)) {
      throw new LogHalt('CHECKPOINT_ROOT_MISMATCH', `checkpoint ${checkpoint.size} is not the stored tree`, {
        expected: toBase64(checkpoint.root),
        actual: toBase64(root),
      });
    }
  });
}

/**
 * The database against the checkpoint last signed, kept outside it: the log
 * must be at least that large and have that root at that size.
 */
export async function checkAgainstWitness(
  log: LogRepository,
  head: LogHead,
  witnessed: TreePoint | undefined,
): Promise<void> {
  if (!witnessed) return;
  if (head.size < witnessed.size) {
    throw new LogHalt('LOG_ROLLED_BACK', 'the log is smaller than the last checkpoint signed', {
      expected: String(witnessed.size),
      actual: String(head.size),
    });
  }
  let root: Uint8Array;
  try {
    root = await treeRoot(log.nodeReader(), witnessed.size);
  } catch {
    throw new LogHalt('TREE_MISMATCH', 'a stored tree node is missing');
  }
  if (!equalBytes(root, witnessed.root)) {
    throw new LogHalt('SPLIT_VIEW', `the log of size ${witnessed.size} is not the one signed before`, {
      expected: toBase64(witnessed.root),
      actual: toBase64(root),
    });
  }
}
