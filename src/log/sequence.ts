import type { StoredEntry, SubjectHead } from '../db/log.repository';
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
import {
  PUBLIC_FIELDS,
  type PublicFields,
  type WithheldEntryParts,
  withholdEntryParts,
} from './entry-policy';

/** What a caller asks the log to record; the sequencer adds `log`, `seq`, `prev` and `at`. */
export interface EntryRequest {
  readonly subject: Subject;
  readonly type: string;
  readonly actor: Actor;
  readonly data: { readonly [key: string]: EntryValue };
}

/**
 * A request whose fields are already withheld (entry-policy.ts): salting and
 * hashing happen when it is queued, not while its batch holds the log head.
 */
export interface WithheldRequest extends EntryRequest {
  readonly parts: WithheldEntryParts;
}

export function withhold<R extends EntryRequest>(
  request: R,
  publicFields: PublicFields = PUBLIC_FIELDS,
): R & WithheldRequest {
  return { ...request, parts: withholdEntryParts(request.type, request.actor, request.data, publicFields) };
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
 * Sequencing (pure): gives each request its log index (from `firstIndex` on,
 * in order) and its place in its subject's chain, continuing from the
 * subject's stored head or from an earlier request of the same batch. Entries
 * are written as version 2, with the parts their requests withheld.
 */
export function sequenceEntries(
  origin: string,
  firstIndex: number,
  requests: readonly WithheldRequest[],
  storedHead: (type: string, id: string) => SubjectHead | undefined,
  at: Date,
): SequencedEntry[] {
  const heads = new Map<string, { seq: number; leafHash: string }>();
  return requests.map((request, position) => {
    const key = `${request.subject.type}\u0000${request.subject.id}`;
    let head = heads.get(key);
    if (!head) {
      const stored = storedHead(request.subject.type, request.subject.id);
      head = stored ? { seq: stored.seq, leafHash: toBase64(stored.leafHash) } : { seq: 0, leafHash: '' };
    }
    const { parts } = request;
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

/** A sequenced entry as a row of the log: its bytes, the columns the database indexes, and its disclosures. */
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
    disclosures: sequenced.disclosures,
  };
}
