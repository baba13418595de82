import type { LogRepository } from '../db/log.repository';
import { type EntryDisclosure, fromUtf8, parseEntry, storedDisclosureProblem } from '../ledger';
import type { AuditFailure } from './ledger-audit';

/** Entries whose disclosures are read and checked together. */
const PAGE = 4_096;

/**
 * The disclosures kept beside the log (formats.md §1.1: the service keeps
 * every one), checked against the entries that commit to them, for entries
 * [from, to) whose bytes the ledger audit has already verified: each stored
 * disclosure is well formed, filed under the name and place it reveals, and
 * matches a digest of its entry; and every digest of a version 2 entry has
 * its disclosure (a lost one is a fact nobody can ever be shown again). The
 * first failure in log order, or none.
 */
export async function auditDisclosures(
  log: LogRepository,
  from: number,
  to: number,
): Promise<AuditFailure | undefined> {
  for (let start = from; start < to; start += PAGE) {
    for (const row of await log.entriesWithDisclosures(start, Math.min(start + PAGE, to))) {
      const failure = checkDisclosures(row.index, row.leafData, row.disclosures);
      if (failure) return failure;
    }
  }
  return undefined;
}

function checkDisclosures(
  index: number,
  leafData: Uint8Array,
  stored: readonly EntryDisclosure[],
): AuditFailure | undefined {
  const problem = storedDisclosureProblem(parseEntry(JSON.parse(fromUtf8(leafData))), stored);
  return problem && { index, ...problem };
}
