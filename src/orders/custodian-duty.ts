import { ValidationError } from '../errors';
import type { EntryValue } from '../ledger';
import type { OrderKind } from './lifecycle';

/**
 * The custodian's duty of confidentiality that goes with a preservation order
 * (UN Art. 25(3); Budapest Art. 16(3)): the custodian (`custodianAgency`, the
 * agency code under which its people act here) keeps the preservation
 * confidential until `confidentialUntil`, the end of the period domestic law
 * sets. Both are recorded among the order's safeguards, together or not at all.
 */
export function checkCustodianDuty(
  kind: OrderKind,
  safeguards: Readonly<Record<string, EntryValue>>,
  now: Date,
): void {
  const until = safeguards.confidentialUntil;
  const custodian = safeguards.custodianAgency;
  if (until === undefined && custodian === undefined) return;
  const errors = [];
  if (kind !== 'preservation' && kind !== 'epoc_pr')
    errors.push({
      pointer: until === undefined ? '/custodianAgency' : '/confidentialUntil',
      reason: 'only_for_preservation',
    });
  else if (until === undefined) errors.push({ pointer: '/confidentialUntil', reason: 'stated_together' });
  else if (custodian === undefined) errors.push({ pointer: '/custodianAgency', reason: 'stated_together' });
  else if (Date.parse(String(until)) <= now.getTime())
    errors.push({ pointer: '/confidentialUntil', reason: 'in_the_past' });
  if (errors.length > 0) throw new ValidationError(errors);
}
