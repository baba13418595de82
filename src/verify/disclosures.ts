import { LedgerError } from '../errors';
import {
  type EntryValue,
  type LogEntry,
  type RevealedFields,
  revealFields,
  type Subject,
  toBase64,
} from '../ledger';
import { VerifyError, type VerifyFailure } from './codes';
import type { ProvenEntry } from './receipt';

/**
 * Disclosures of withheld entry fields (formats.md §1.1) as a bundle carries
 * them: `disclosures/<log index>.json`, a JSON array of disclosure strings for
 * an entry a receipt proves, and each signed report entry's `disclosures`.
 * Each disclosure must decode and have its digest in the entry's `_sd`.
 */

/** `disclosures/<index>.json`, the index in its one decimal spelling. */
const DISCLOSURES_FILE = /^disclosures\/(0|[1-9][0-9]{0,15})\.json$/;

/** An entry as one reader sees it once its disclosures are applied. */
export interface DisclosedEntry {
  readonly index: number;
  /** Base64 leaf hash: the entry's name. */
  readonly leafHash: string;
  readonly v: LogEntry['v'];
  readonly subject: Subject;
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  /** The actor's clear fields and those disclosed to this reader. */
  readonly actor: { readonly [key: string]: EntryValue };
  /** The data's clear fields and those disclosed to this reader. */
  readonly data: { readonly [key: string]: EntryValue };
  /**
   * How many fields the entry commits to (a digest in `_sd`) whose values this
   * reader was not given: they exist, and are withheld, not missing.
   */
  readonly withheld: { readonly actor: number; readonly data: number };
}

/**
 * Applies disclosures to an entry as `revealFields` does; its refusals become
 * the verifier's DISCLOSURE_INVALID and DISCLOSURE_UNMATCHED.
 */
export function checkDisclosures(entry: LogEntry, disclosures: readonly unknown[]): RevealedFields {
  try {
    return revealFields(entry, disclosures);
  } catch (error) {
    const code =
      error instanceof LedgerError && error.code === 'DISCLOSURE_UNMATCHED'
        ? 'DISCLOSURE_UNMATCHED'
        : 'DISCLOSURE_INVALID';
    throw new VerifyError(code, (error as Error).message);
  }
}

/** The disclosures a bundle gives for one entry: the list as given, and those of it that check on their own. */
export interface GivenDisclosures {
  readonly listed: readonly string[];
  readonly checked: readonly string[];
}

/**
 * Checks the disclosures files of a bundle: each names an entry a receipt
 * proves (PROOF_UNMATCHED), once, is an array of strings (BUNDLE_MALFORMED),
 * and each string checks against that entry on its own (a failure per string,
 * `where` naming its position), then all together (a disclosure given twice, or
 * two for one field). Returns the failures and what each file gives.
 */
export function checkDisclosureFiles(
  files: ReadonlyArray<{ readonly name: string; readonly value: unknown }>,
  proven: ReadonlyMap<number, ProvenEntry>,
): { failures: VerifyFailure[]; given: Map<number, GivenDisclosures> } {
  const failures: VerifyFailure[] = [];
  const given = new Map<number, GivenDisclosures>();
  const fail = (where: string, error: VerifyError) =>
    failures.push({ code: error.code, where, detail: error.message });
  for (const { name, value } of files) {
    const match = DISCLOSURES_FILE.exec(name);
    if (!match) {
      fail(
        name,
        new VerifyError('BUNDLE_MALFORMED', 'a disclosures file is named disclosures/<log index>.json'),
      );
      continue;
    }
    const index = Number(match[1]);
    const entry = proven.get(index)?.entry;
    if (given.has(index)) {
      fail(name, new VerifyError('BUNDLE_MALFORMED', `the disclosures of entry ${index} are given twice`));
    } else if (!entry) {
      fail(name, new VerifyError('PROOF_UNMATCHED', `no verified receipt for index ${index}`));
    } else if (!Array.isArray(value) || !value.every((one) => typeof one === 'string')) {
      fail(name, new VerifyError('BUNDLE_MALFORMED', 'a disclosures file is a JSON array of strings'));
    } else {
      const checked = value.filter((disclosure, position) => {
        try {
          checkDisclosures(entry, [disclosure]);
          return true;
        } catch (error) {
          fail(`${name}[${position}]`, error as VerifyError);
          return false;
        }
      });
      try {
        checkDisclosures(entry, checked);
      } catch (error) {
        fail(name, error as VerifyError);
      }
      given.set(index, { listed: value, checked });
    }
  }
  return { failures, given };
}

/** Whether two lists of disclosures hold the same strings, whatever their order. */
export function sameDisclosures(a: readonly string[], b: readonly string[]): boolean {
  const set = (list: readonly string[]) => [...new Set(list)].sort().join('\n');
  return set(a) === set(b);
}

/**
 * A proven entry as its reader sees it, given disclosures that each check
 * on their own. Should they still not apply together (two values for one
 * field, reported already), only the clear fields are shown.
 */
export function disclosedEntry(proven: ProvenEntry, checked: readonly string[]): DisclosedEntry {
  const { entry } = proven;
  let fields: RevealedFields;
  try {
    fields = checkDisclosures(entry, [...new Set(checked)]);
  } catch {
    fields = checkDisclosures(entry, []);
  }
  return {
    index: proven.index,
    leafHash: toBase64(proven.leafHash),
    v: entry.v,
    subject: entry.subject,
    seq: entry.seq,
    type: entry.type,
    at: entry.at,
    actor: fields.actor,
    data: fields.data,
    withheld: { actor: fields.withheld.actor.length, data: fields.withheld.data.length },
  };
}
