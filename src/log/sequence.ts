import type { IndexedDisclosure, StoredEntry, SubjectHead } from '../db/log.repository';
import {
  type Actor,
  type EntryDisclosure,
  type EntryValue,
  entryLeafData,
  fromBase64,
  type LogEntry,
  leafHash,
  type Subject,
  toBase64,
} from '../ledger';
import { PUBLIC_FIELDS, type PublicFields, withholdEntryParts } from './entry-policy';

/** What a caller asks the log to record; the sequencer adds `log`, `seq`, `prev` and `at`. */
export interface EntryRequest {
  readonly subject: Subject;
  readonly type: string;
  readonly actor: Actor;
  readonly data: { readonly [key: string]: EntryValue };
}

export interface SequencedEntry {
  readonly index: number;
  readonly entry: LogEntry;
  readonly leafData: Uint8Array;
  readonly leafHash: Uint8Array;
  /** The withheld fields of the entry, each as the disclosure its `_sd` lists (formats.md §1.1). */
  readonly disclosures: readonly EntryDisclosure[];
}

/**
 * Sequencing: gives each request its log index (from `firstIndex` on, in
 * order) and its place in its subject's chain, continuing from the subject's
 * stored head or from an earlier request of the same batch. Entries are
 * written as version 2: what their type does not publish is withheld behind
 * freshly salted digests (entry-policy.ts).
 */
export function sequenceEntries(
  origin: string,
  firstIndex: number,
  requests: readonly EntryRequest[],
  storedHead: (type: string, id: string) => SubjectHead | undefined,
  at: Date,
  publicFields: PublicFields = PUBLIC_FIELDS,
): SequencedEntry[] {
  const heads = new Map<string, { seq: number; leafHash: string }>();
  return requests.map((request, position) => {
    const key = `${request.subject.type}\u0000${request.subject.id}`;
    let head = heads.get(key);
    if (!head) {
      const stored = storedHead(request.subject.type, request.subject.id);
      head = stored ? { seq: stored.seq, leafHash: toBase64(stored.leafHash) } : { seq: 0, leafHash: '' };
    }
    const parts = withholdEntryParts(request.type, request.actor, request.data, publicFields);
    const entry: LogEntry = {
      v: 2,
      log: origin,
      subject: { type: request.subject.type, id: request.subject.id },
      seq: head.seq + 1,
      prev: head.seq === 0 ? null : head.leafHash,
      type: request.type,
      at: at.toISOString(),
      actor: parts.actor,
      data: parts.data,
    };
    const leafData = entryLeafData(entry);
    const hash = leafHash(leafData);
    heads.set(key, { seq: entry.seq, leafHash: toBase64(hash) });
    return { index: firstIndex + position, entry, leafData, leafHash: hash, disclosures: parts.disclosures };
  });
}

/** The disclosures of sequenced entries, as rows beside the log. */
export function storedDisclosuresOf(sequenced: readonly SequencedEntry[]): IndexedDisclosure[] {
  return sequenced.flatMap((s) => s.disclosures.map((disclosure) => ({ index: s.index, ...disclosure })));
}

/** A sequenced entry as a row of the log: its bytes, and the columns the database indexes. */
export function storedEntryOf(sequenced: SequencedEntry): StoredEntry {
  const { entry } = sequenced;
  return {
    index: sequenced.index,
    leafHash: sequenced.leafHash,
    leafData: sequenced.leafData,
    subjectType: entry.subject.type,
    subjectId: entry.subject.id,
    seq: entry.seq,
    prev: entry.prev === null ? null : fromBase64(entry.prev),
    type: entry.type,
    at: new Date(entry.at),
  };
}
