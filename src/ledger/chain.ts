import { ChainIntegrityError } from '../errors';
import { toBase64 } from './encoding';
import { entryLeafHash, type LogEntry } from './entry';

/**
 * Verifies one subject's chain: entries in log order, all of one subject, with
 * `seq` 1, 2, 3 ... and each `prev` naming the leaf hash of the entry before.
 * Returns the base64 leaf hash of the head (null for an empty chain).
 */
export function verifyChain(entries: readonly LogEntry[]): string | null {
  let head: string | null = null;
  const first = entries[0];
  for (const [position, entry] of entries.entries()) {
    const seq = position + 1;
    if (first && (entry.subject.type !== first.subject.type || entry.subject.id !== first.subject.id)) {
      throw new ChainIntegrityError('CHAIN_BROKEN', 'entry of another subject in the chain', { seq });
    }
    if (entry.seq !== seq) {
      const code = entry.seq < seq ? 'CHAIN_FORK' : 'CHAIN_BROKEN';
      throw new ChainIntegrityError(
        code,
        code === 'CHAIN_FORK' ? 'two entries share a seq' : 'gap in the chain',
        {
          seq,
          expected: String(seq),
          actual: String(entry.seq),
        },
      );
    }
    if (entry.prev !== head) {
      throw new ChainIntegrityError('CHAIN_BROKEN', 'prev does not name the previous entry', {
        seq,
        expected: head ?? 'null',
        actual: entry.prev ?? 'null',
      });
    }
    head = toBase64(entryLeafHash(entry));
  }
  return head;
}
