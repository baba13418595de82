import type { StoredEntry, SubjectHead } from '../db/log.repository';
import {
  type Actor,
  type EntryValue,
  entryLeafData,
  fromBase64,
  type LogEntry,
  leafHash,
  type Subject,
  toBase64,
} from '../ledger';

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
}

/**
 * Sequencing (pure): gives each request its log index (from `firstIndex` on, in
 * order) and its place in its subject's chain, continuing from the subject's
 * stored head or from an earlier request of the same batch.
 */
export function sequenceEntries(
  origin: string,
  firstIndex: number,
  requests: readonly EntryRequest[],
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
    const entry: LogEntry = {
      v: 1,
      log: origin,
      subject: { type: request.subject.type, id: request.subject.id },
      seq: head.seq + 1,
      prev: head.seq === 0 ? null : head.leafHash,
      type: request.type,
      at: at.toISOString(),
      actor: { sub: request.actor.sub, agency: request.actor.agency, role: request.actor.role },
      data: request.data,
    };
    const leafData = entryLeafData(entry);
    const hash = leafHash(leafData);
    heads.set(key, { seq: entry.seq, leafHash: toBase64(hash) });
    return { index: firstIndex + position, entry, leafData, leafHash: hash };
  });
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
