import { entryLeafHash, type LogEntry, parseVerifierKey } from '../../src/ledger';
import {
  type DisclosedEntry,
  disclosedEntry,
  type ReceiptVerification,
  verifyReceipt,
} from '../../src/verify';

/** The log's keys as this browser trusts them. */
export interface LogTrust {
  readonly jwks: unknown;
  readonly vkey: string;
  readonly origin: string;
  /** The key this browser pinned before, when the service now shows another: nothing verifies until resolved. */
  readonly replaced?: string;
}

const PINNED = 'custody-ledger.pinned-log-key';

/**
 * Trust on first use: the first log key this browser sees is pinned in local
 * storage, and every later check uses the pinned key. A service that starts
 * showing another key (a new deployment, or an impostor) gets no green checks
 * until the user compares the new key with the one published out of band and
 * accepts it. Receipt keys (the JWKS) rotate and are taken as served: a
 * receipt is only green when its inclusion proof verifies against a checkpoint
 * signed by the pinned log key.
 */
export async function loadTrust(): Promise<LogTrust> {
  const [info, jwks] = await Promise.all([
    fetch('/v1/log/info', { cache: 'no-store' }).then(
      (answer) => answer.json() as Promise<{ vkey: string; origin: string }>,
    ),
    fetch('/.well-known/jwks.json', { cache: 'no-store' }).then(
      (answer) => answer.json() as Promise<unknown>,
    ),
  ]);
  const pinned = localStorage.getItem(PINNED);
  if (pinned === null) localStorage.setItem(PINNED, info.vkey);
  const vkey = pinned ?? info.vkey;
  return {
    jwks,
    vkey,
    origin: info.origin,
    ...(pinned !== null && pinned !== info.vkey ? { replaced: info.vkey } : {}),
  };
}

/** Accepts the key the service now shows, after the user compared it out of band. */
export function pinLogKey(vkey: string): void {
  localStorage.setItem(PINNED, vkey);
}

/**
 * A write's receipt checked here: valid, or the code of why not (a log key
 * other than the pinned one is LOG_KEY_CHANGED, whatever the receipt says).
 */
export function checkWriteReceipt(receipt: string, trust: LogTrust): { valid: boolean; code?: string } {
  if (trust.replaced) return { valid: false, code: 'LOG_KEY_CHANGED' };
  const result = verifyReceipt(receipt, { jwks: trust.jwks, logKey: parseVerifierKey(trust.vkey) });
  return result.valid ? { valid: true } : { valid: false, code: result.reason ?? 'UNKNOWN' };
}

export interface EntryCheck {
  readonly valid: boolean;
  readonly verification: ReceiptVerification;
  /** The receipt proves exactly the entry the page shows (same leaf hash, same index). */
  readonly sameEntry: boolean;
  /** The proven entry with the disclosures given to this reader applied: what the page may show as verified. */
  readonly shown?: DisclosedEntry;
}

/** Verifies a receipt in this browser and that it proves the entry shown at `index`. */
export function checkEntryReceipt(
  receipt: string,
  shown: { index: number; entry: unknown; disclosures?: readonly string[] },
  trust: LogTrust,
): EntryCheck {
  const verification = verifyReceipt(receipt, { jwks: trust.jwks, logKey: parseVerifierKey(trust.vkey) });
  let sameEntry = false;
  if (verification.proven) {
    try {
      const leaf = entryLeafHash(shown.entry as LogEntry);
      sameEntry =
        verification.proven.index === shown.index &&
        leaf.length === verification.proven.leafHash.length &&
        leaf.every((byte, i) => byte === verification.proven?.leafHash[i]);
    } catch {
      sameEntry = false;
    }
  }
  const valid = verification.valid && sameEntry && !trust.replaced;
  return {
    valid,
    verification,
    sameEntry,
    ...(valid && verification.proven
      ? { shown: disclosedEntry(verification.proven, shown.disclosures ?? []) }
      : {}),
  };
}
