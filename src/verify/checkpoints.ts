import { type Checkpoint, equalBytes, fromBase64, toBase64, verifyConsistency } from '../ledger';
import { VerifyError, type VerifyFailure } from './codes';
import { openTrustedCheckpoint } from './receipt';
import type { TrustMaterial } from './trust';

/** A consistency proof between two tree sizes (RFC 9162 §2.1.4), as base64 hashes. */
export interface ConsistencyProof {
  readonly from: number;
  readonly to: number;
  readonly proof: readonly string[];
}

function decodeProof(proof: unknown): Uint8Array[] {
  if (!Array.isArray(proof))
    throw new VerifyError('PROOF_MALFORMED', 'a consistency proof is a list of hashes');
  try {
    return proof.map((hash) => fromBase64(hash));
  } catch {
    throw new VerifyError('PROOF_MALFORMED', 'a consistency proof line is not base64');
  }
}

/** Throws CONSISTENCY_INVALID unless `newer` extends `older` by `proof` (equal sizes: equal roots, else SPLIT_VIEW). */
export function checkConsistency(older: Checkpoint, newer: Checkpoint, proof: unknown): void {
  if (older.size === newer.size) {
    if (!equalBytes(older.root, newer.root)) {
      throw new VerifyError('SPLIT_VIEW', `two checkpoints of size ${older.size} have different roots`);
    }
    return;
  }
  const [small, large] = older.size < newer.size ? [older, newer] : [newer, older];
  try {
    verifyConsistency(small.size, large.size, decodeProof(proof), small.root, large.root);
  } catch (error) {
    if (error instanceof VerifyError) throw error;
    throw new VerifyError(
      'CONSISTENCY_INVALID',
      `the log of size ${large.size} is not proven to extend the log of size ${small.size}`,
    );
  }
}

/**
 * A checkpoint pair (the CLI's `verify consistency`): both signed by the
 * pinned log key, and the newer one an extension of the older.
 */
export function verifyCheckpointPair(
  olderNote: unknown,
  newerNote: unknown,
  proof: unknown,
  trust: Pick<TrustMaterial, 'logKey'>,
): {
  readonly valid: boolean;
  readonly older?: Checkpoint;
  readonly newer?: Checkpoint;
  readonly failure?: VerifyFailure;
} {
  let older: Checkpoint | undefined;
  let newer: Checkpoint | undefined;
  try {
    older = openTrustedCheckpoint(olderNote, trust);
    newer = openTrustedCheckpoint(newerNote, trust);
    if (older.size > newer.size) {
      throw new VerifyError(
        'CONSISTENCY_INVALID',
        `the older checkpoint (size ${older.size}) is larger than the newer`,
      );
    }
    checkConsistency(older, newer, proof);
    return { valid: true, older, newer };
  } catch (error) {
    const failure = error as VerifyError;
    return {
      valid: false,
      ...(older ? { older } : {}),
      ...(newer ? { newer } : {}),
      failure: { code: failure.code, where: 'checkpoints', detail: failure.message },
    };
  }
}

/**
 * Every checkpoint a bundle holds must belong to one history: equal sizes
 * with equal roots, and every size joined to every other by verified
 * consistency proofs (directly or through other sizes: each proof shows one
 * tree is a prefix of the other, and prefixes of one tree agree).
 */
export function checkCheckpointSet(
  seen: ReadonlyArray<{ readonly where: string; readonly checkpoint: Checkpoint }>,
  proofs: ReadonlyArray<{ readonly name: string; readonly value: ConsistencyProof }>,
): VerifyFailure[] {
  const failures: VerifyFailure[] = [];
  const bySize = new Map<number, { where: string; checkpoint: Checkpoint }>();
  for (const one of seen) {
    const same = bySize.get(one.checkpoint.size);
    if (!same) bySize.set(one.checkpoint.size, one);
    else if (!equalBytes(same.checkpoint.root, one.checkpoint.root)) {
      failures.push({
        code: 'SPLIT_VIEW',
        where: one.where,
        detail: `size ${one.checkpoint.size} has root ${toBase64(one.checkpoint.root)} here and ${toBase64(same.checkpoint.root)} in ${same.where}`,
      });
    }
  }
  const group = new Map<number, number>([...bySize.keys()].map((size) => [size, size]));
  const find = (size: number): number => {
    const parent = group.get(size) as number;
    return parent === size ? size : find(parent);
  };
  for (const { name, value } of proofs) {
    const from = bySize.get(value.from);
    const to = bySize.get(value.to);
    // A proof between sizes the bundle holds no checkpoint of proves nothing here, and harms nothing.
    if (!from || !to) continue;
    try {
      checkConsistency(from.checkpoint, to.checkpoint, value.proof);
      group.set(find(value.from), find(value.to));
    } catch (error) {
      failures.push({ code: (error as VerifyError).code, where: name, detail: (error as Error).message });
    }
  }
  const components = new Set([...bySize.keys()].map(find));
  if (components.size > 1) {
    failures.push({
      code: 'CONSISTENCY_UNPROVEN',
      where: 'checkpoints',
      detail: `checkpoints of sizes ${[...bySize.keys()].sort((a, b) => a - b).join(', ')} are not all joined by consistency proofs`,
    });
  }
  return failures;
}
