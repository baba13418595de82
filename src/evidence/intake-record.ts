import type { EvidenceRecord } from '../db/evidence.repository';
import type { LogRepository } from '../db/log.repository';
import { type EntryValue, equalBytes, fromUtf8, type LogEntry, leafHash, parseEntry } from '../ledger';

/**
 * The content facts an item was acquired with, as its `evidence.acquired`
 * entry states them (formats.md §1). The blob store is keyed by `sha256`.
 */
export interface IntakeDigests {
  readonly sha256: string;
  readonly sha512: string;
  readonly size: number;
  readonly md5: string | null;
  readonly sha1: string | null;
}

/** The evidence row's fields that must equal the intake entry's. */
const CHECKED_FIELDS = ['sha256', 'sha512', 'size', 'md5', 'sha1'] as const;

export type RecordCheck =
  | { readonly intact: true; readonly intake: IntakeDigests }
  /** The row disagrees with the intake entry in `fields`. */
  | {
      readonly intact: false;
      readonly reason: 'record_mismatch';
      readonly intake: IntakeDigests;
      readonly fields: readonly string[];
    }
  /** There is no well-formed intake entry to compare with: nothing about the bytes can be trusted. */
  | { readonly intact: false; readonly reason: 'intake_unreadable'; readonly intake?: undefined };

/**
 * Compares an evidence row's digests, size and blob key with its intake entry
 * (seq 1 of the subject `evidence:<id>`). The row is mutable; the entry is a
 * leaf of the signed Merkle log, so the entry is the authority and every use of
 * an item's digests goes through here. The entry must hash to its stored leaf
 * hash and parse (`parseEntry`); its inclusion under the signed checkpoints is
 * what the custody report and the offline verifier check.
 */
export async function checkIntakeRecord(entries: LogRepository, item: EvidenceRecord): Promise<RecordCheck> {
  const intake = await readIntake(entries, item.id);
  if (!intake) return { intact: false, reason: 'intake_unreadable' };
  const fields = CHECKED_FIELDS.filter((field) => item[field] !== intake[field]);
  return fields.length === 0
    ? { intact: true, intake }
    : { intact: false, reason: 'record_mismatch', intake, fields };
}

async function readIntake(entries: LogRepository, id: string): Promise<IntakeDigests | undefined> {
  const [first] = await entries.chain('evidence', id);
  if (first?.seq !== 1 || !equalBytes(leafHash(first.leafData), first.leafHash)) return undefined;
  let entry: LogEntry;
  try {
    entry = parseEntry(JSON.parse(fromUtf8(first.leafData)));
  } catch {
    return undefined;
  }
  const ownIntake =
    entry.type === 'evidence.acquired' && entry.subject.type === 'evidence' && entry.subject.id === id;
  return ownIntake ? intakeDigests(entry.data) : undefined;
}

const hex = (length: number) => (value: EntryValue | undefined) =>
  typeof value === 'string' && value.length === length && /^[0-9a-f]+$/.test(value);

/** The digests of an intake entry's data, if each is well-formed (the sha256 becomes a storage key). */
function intakeDigests(data: LogEntry['data']): IntakeDigests | undefined {
  const { sha256, sha512, size, md5, sha1 } = data;
  const optional = (value: EntryValue | undefined, length: number) =>
    value === undefined || hex(length)(value);
  const wellFormed =
    hex(64)(sha256) &&
    hex(128)(sha512) &&
    typeof size === 'number' &&
    size >= 0 &&
    optional(md5, 32) &&
    optional(sha1, 40);
  if (!wellFormed) return undefined;
  return {
    sha256: sha256 as string,
    sha512: sha512 as string,
    size: size as number,
    md5: (md5 as string | undefined) ?? null,
    sha1: (sha1 as string | undefined) ?? null,
  };
}
