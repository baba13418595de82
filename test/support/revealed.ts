import type { DataSource } from 'typeorm';
import { MEMBER_AUDIENCE } from '../../src/access/disclosure-scope';
import { LogRepository } from '../../src/db/log.repository';
import type { EntryValue, LogEntry } from '../../src/ledger';
import { revealFields } from '../../src/ledger';
import { entryViews } from '../../src/log/log-reader';

/** An entry with the fields its disclosures reveal put back in place: what a reader given them may rely on. */
export interface RevealedEntry {
  readonly entry: LogEntry;
  readonly type: string;
  readonly seq: number;
  readonly actor: { readonly [key: string]: EntryValue };
  readonly data: { readonly [key: string]: EntryValue };
  /** How many fields stay withheld from this reader. */
  readonly withheld: number;
}

/** Applies a view's disclosures to its entry (each checked against the entry's digests). */
export function revealed(view: {
  readonly entry: LogEntry;
  readonly disclosures: readonly string[];
}): RevealedEntry {
  const fields = revealFields(view.entry, view.disclosures);
  return {
    entry: view.entry,
    type: view.entry.type,
    seq: view.entry.seq,
    actor: fields.actor,
    data: fields.data,
    withheld: fields.withheld.actor.length + fields.withheld.data.length,
  };
}

/** A subject's stored chain as a member reads it, each entry with its stored disclosures applied. */
export async function revealedChain(db: DataSource, type: string, id: string): Promise<RevealedEntry[]> {
  const log = new LogRepository(db);
  return entryViews(await log.chain(type, id), MEMBER_AUDIENCE).map(revealed);
}
