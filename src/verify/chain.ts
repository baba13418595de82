import { toBase64 } from '../ledger';
import type { VerifyFailure } from './codes';
import type { ProvenEntry } from './receipt';

/** What the chain check reads of a proven entry. */
type Link = Pick<ProvenEntry, 'entry' | 'index' | 'leafHash'>;

/**
 * Each subject's chain, from the entries a bundle proves: it must run from
 * seq 1 to its last entry with no gap, one entry per seq, each `prev` naming
 * the leaf hash of the entry before, in log order. Returns one failure per
 * broken chain (the first break in it).
 */
export function checkChains(entries: Iterable<Link>): { failures: VerifyFailure[]; chains: number } {
  const bySubject = new Map<string, Link[]>();
  for (const proven of entries) {
    const key = `${proven.entry.subject.type}:${proven.entry.subject.id}`;
    bySubject.set(key, [...(bySubject.get(key) ?? []), proven]);
  }
  const failures: VerifyFailure[] = [];
  for (const [subject, chain] of bySubject) {
    const failure = firstBreak(chain.sort((a, b) => a.entry.seq - b.entry.seq || a.index - b.index));
    if (failure) failures.push({ ...failure, where: `chain ${subject}` });
  }
  return { failures, chains: bySubject.size };
}

/** The chain checked by one verifier, in order of seq: a fork, a gap, or a broken link. */
export function firstBreak(chain: readonly Link[]): Omit<VerifyFailure, 'where'> | undefined {
  let previous: Link | undefined;
  for (const proven of chain) {
    const { seq, prev } = proven.entry;
    if (previous && seq === previous.entry.seq) {
      return { code: 'CHAIN_FORK', detail: `two different entries claim seq ${seq}` };
    }
    const expected = (previous?.entry.seq ?? 0) + 1;
    if (seq !== expected) {
      return { code: 'CHAIN_INCOMPLETE', detail: `seq ${expected} is missing before seq ${seq}` };
    }
    const link = previous ? toBase64(previous.leafHash) : null;
    if (prev !== link || (previous && proven.index <= previous.index)) {
      return { code: 'CHAIN_BROKEN', detail: `seq ${seq} does not link to seq ${seq - 1}` };
    }
    previous = proven;
  }
  return undefined;
}
