import type { LogEntry } from '../ledger';

/** What a court should look at twice in an item's chain (domain.md §4b, "gap and anomaly analysis"). */
export type AnomalyKind =
  | 'transfer_unacknowledged'
  | 'holder_gap'
  | 'integrity_failed'
  | 'event_after_disposal';

export interface Anomaly {
  readonly kind: AnomalyKind;
  /** `seq` of the entry the anomaly starts at. */
  readonly seq: number;
  readonly at: string;
  readonly detail: string;
}

/**
 * The `reason` of an `integrity.failed` entry in words; entries from before
 * reasons were recorded only ever meant changed bytes.
 */
const CHANGED_BYTES = 'the stored bytes did not match the intake digests';
const INTEGRITY_FAILURES: Readonly<Record<string, string>> = {
  content_mismatch: CHANGED_BYTES,
  content_missing: 'the stored bytes were missing',
  record_mismatch: 'the evidence record no longer matched its signed intake entry',
  intake_unreadable: 'the intake entry could not be read',
};

/** Entries that may follow a release or disposal without raising doubt: reading the record, not the item. */
const AFTER_CLOSE_ALLOWED = new Set(['report.issued', 'evidence.disclosed']);

/**
 * Finds anomalies in one item's chain (entries in `seq` order): a transfer that
 * was never acknowledged, a time without a holder (between a transfer and its
 * receipt) longer than `maxGapMs`, a failed integrity check, and anything
 * happening to the item after its release or disposal. `now` closes an open
 * transfer for the gap rule. Reads the entries as logged, never a
 * disclosure: types, times and the public `reason` of an integrity failure
 * (formats.md §1.1), so an anomaly says the same to every reader of a report
 * and nothing that was withheld from one.
 */
export function findAnomalies(entries: readonly LogEntry[], maxGapMs: number, now: Date): Anomaly[] {
  const found: Anomaly[] = [];
  let pendingTransfer: LogEntry | undefined;
  let closedBy: LogEntry | undefined;
  const gap = (from: LogEntry, until: number) => {
    const ms = until - Date.parse(from.at);
    if (ms > maxGapMs) {
      found.push({
        kind: 'holder_gap',
        seq: from.seq,
        at: from.at,
        detail: `no holder for ${Math.round(ms / 3_600_000)} h after the transfer`,
      });
    }
  };
  for (const entry of entries) {
    if (closedBy && !AFTER_CLOSE_ALLOWED.has(entry.type)) {
      found.push({
        kind: 'event_after_disposal',
        seq: entry.seq,
        at: entry.at,
        detail: `${entry.type} after ${closedBy.type} (seq ${closedBy.seq})`,
      });
    }
    switch (entry.type) {
      case 'custody.transferred':
        pendingTransfer = entry;
        break;
      case 'custody.received':
        if (pendingTransfer) gap(pendingTransfer, Date.parse(entry.at));
        pendingTransfer = undefined;
        break;
      case 'integrity.failed':
        found.push({
          kind: 'integrity_failed',
          seq: entry.seq,
          at: entry.at,
          detail: INTEGRITY_FAILURES[String(entry.data.reason)] ?? CHANGED_BYTES,
        });
        break;
      case 'custody.released':
      case 'custody.returned':
      case 'custody.disposed':
        closedBy ??= entry;
        break;
    }
  }
  if (pendingTransfer) {
    found.push({
      kind: 'transfer_unacknowledged',
      seq: pendingTransfer.seq,
      at: pendingTransfer.at,
      detail: 'the receiving side has not acknowledged the transfer',
    });
    gap(pendingTransfer, now.getTime());
  }
  return found.sort((a, b) => a.seq - b.seq);
}
