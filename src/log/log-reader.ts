import { type DisclosureAudience, disclosuresFor } from '../access/disclosure-scope';
import type { LogRepository, StoredEntry } from '../db/log.repository';
import { InvalidParameterError, LedgerError, NotFoundError } from '../errors';
import {
  consistencyProof,
  type EntryDisclosure,
  encodeTlogProof,
  fromUtf8,
  inclusionProof,
  type LogEntry,
  parseEntry,
  storedDisclosureProblem,
  toBase64,
} from '../ledger';
import { type ReceiptSigningKey, signReceipt } from '../receipts/receipt';
import { NATIVE_CODEC } from './native-codec';

/** The public, read-only face of the log: checkpoints, proofs and entries. Hashes only, except `entry`. */
export class LogReader {
  /** The largest size seen so far. The log only grows, so any size up to it is valid without asking. */
  private knownSize = 0;

  constructor(
    private readonly log: LogRepository,
    private readonly vkey: string,
    private readonly receiptKey: () => ReceiptSigningKey,
  ) {}

  private async head() {
    const head = await this.log.head();
    if (!head) throw new LedgerError('SERVICE_UNAVAILABLE', 'The log is not initialised');
    this.knownSize = Math.max(this.knownSize, head.size);
    return head;
  }

  /** Whether a tree of `size` leaves exists; asks the database only for sizes beyond the known one. */
  private async sizeExists(size: number): Promise<boolean> {
    return size <= this.knownSize || size <= (await this.head()).size;
  }

  /** The latest signed checkpoint note (C2SP tlog-checkpoint). */
  async checkpoint(): Promise<string> {
    return (await this.head()).checkpoint;
  }

  async info(): Promise<{ origin: string; vkey: string; size: number; root: string }> {
    const head = await this.head();
    return { origin: head.origin, vkey: this.vkey, size: head.size, root: toBase64(head.root) };
  }

  /** RFC 6962 inclusion proof of `index` in the tree of `size` leaves (default: the current size). */
  async inclusion(index: number, size?: number): Promise<{ index: number; size: number; proof: string[] }> {
    const treeSize = size ?? (await this.head()).size;
    if (!(await this.sizeExists(treeSize))) throw badParameter('/size', 'larger_than_log');
    if (index >= treeSize) throw badParameter('/index', 'not_in_tree');
    const proof = await inclusionProof(this.log.nodeReader(), index, treeSize);
    return { index, size: treeSize, proof: proof.map(toBase64) };
  }

  /** RFC 6962 consistency proof from `from` leaves to `to` leaves (0 < from <= to <= current size). */
  async consistency(from: number, to: number): Promise<{ from: number; to: number; proof: string[] }> {
    if (!(await this.sizeExists(to))) throw badParameter('/to', 'larger_than_log');
    if (from === 0) throw badParameter('/from', 'empty_tree');
    if (from > to) throw badParameter('/from', 'larger_than_to');
    const proof = await consistencyProof(this.log.nodeReader(), from, to);
    return { from, to, proof: proof.map(toBase64) };
  }

  /** C2SP tlog-proof of `index` against the latest checkpoint. */
  async tlogProof(index: number): Promise<string> {
    const head = await this.head();
    if (index >= head.size) throw badParameter('/index', 'not_in_tree');
    const proof = await inclusionProof(this.log.nodeReader(), index, head.size);
    return encodeTlogProof({ index, proof, checkpoint: head.checkpoint });
  }

  /**
   * A receipt for a stored entry again, against the latest checkpoint: a
   * client whose write committed but whose answer was lost can fetch it. The
   * caller decides first whether the principal may see the entry.
   */
  async receipt(view: { index: number; entry: LogEntry }): Promise<string> {
    return (await this.receipts([view]))[0] as string;
  }

  /**
   * Receipts for several stored entries (a whole chain), all against one
   * checkpoint: the latest, read once. The caller decides first whether the
   * principal may see the entries.
   */
  async receipts(views: readonly { index: number; entry: LogEntry }[]): Promise<string[]> {
    const head = await this.head();
    const receipts: string[] = [];
    for (const { index, entry } of views) {
      const proof = await inclusionProof(this.log.nodeReader(), index, head.size);
      receipts.push(
        await signReceipt(this.receiptKey(), { entry, index, proof, checkpoint: head.checkpoint }),
      );
    }
    return receipts;
  }

  /** The stored entry at `index`, without disclosures; the caller decides whether the principal may see it. */
  async entry(index: number): Promise<{ index: number; leafHash: string; entry: LogEntry }> {
    return (await this.stored(index)).view;
  }

  /**
   * The stored entry at `index` and the disclosures kept with it, read once;
   * the caller decides what of them the principal receives (`givenDisclosures`).
   */
  async stored(index: number): Promise<{
    view: { index: number; leafHash: string; entry: LogEntry };
    kept: readonly EntryDisclosure[];
  }> {
    const stored = await this.log.entry(index);
    if (!stored) throw new NotFoundError('log entry');
    return { view: entryView(stored), kept: stored.disclosures };
  }
}

/** An entry as one reader receives it: the entry as logged, and the disclosures of its withheld fields given to that reader. */
export interface EntryView {
  readonly index: number;
  readonly leafHash: string;
  readonly entry: LogEntry;
  readonly disclosures: readonly string[];
}

export function entryView(stored: StoredEntry): { index: number; leafHash: string; entry: LogEntry } {
  return {
    index: stored.index,
    leafHash: toBase64(stored.leafHash),
    entry: parseEntry(JSON.parse(fromUtf8(stored.leafData))),
  };
}

/** Stored entries as `audience` reads them, each with the disclosures it receives. */
export function entryViews(stored: readonly StoredEntry[], audience: DisclosureAudience): EntryView[] {
  return stored.map((row) => {
    const view = entryView(row);
    return { ...view, disclosures: givenDisclosures(audience, view.entry, row.disclosures) };
  });
}

/**
 * The disclosures `audience` receives of an entry, from those kept for it,
 * which are checked first (storedDisclosureProblem): a disclosure changed or
 * refiled behind the log's back is never handed out as the entry's fact; the
 * read fails with LOG_INCONSISTENT instead.
 */
export function givenDisclosures(
  audience: DisclosureAudience,
  entry: LogEntry,
  stored: readonly EntryDisclosure[],
): string[] {
  if (stored.length > 0 || entry.v === 2) checkKept(entry, stored);
  return disclosuresFor(audience, entry, stored).map((d) => d.disclosure);
}

/**
 * Kept disclosures that held, by their entry's digests and the disclosures
 * themselves: the same bytes need checking once, while chains are read over
 * and over. Anything changed is a different key and is checked again.
 */
const heldDisclosures = new Set<string>();
const HELD_DISCLOSURES_KEPT = 10_000;

function checkKept(entry: LogEntry, stored: readonly EntryDisclosure[]): void {
  const key = JSON.stringify([entry.v, entry.actor, entry.data, stored]);
  if (heldDisclosures.has(key)) return;
  const problem = storedDisclosureProblem(entry, stored, NATIVE_CODEC);
  if (problem) throw new LedgerError('LOG_INCONSISTENT', `${problem.code}: ${problem.detail}`);
  if (heldDisclosures.size >= HELD_DISCLOSURES_KEPT) heldDisclosures.clear();
  heldDisclosures.add(key);
}

function badParameter(pointer: string, reason: string): InvalidParameterError {
  return new InvalidParameterError([{ pointer, reason }]);
}
