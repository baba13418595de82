import type { ItemOrder } from '../db/disclosure.repository';
import { LedgerError } from '../errors';
import type { EntryValue } from '../ledger';

/**
 * What the supplying states attached to data that came in under our own
 * requests, for a hand-over of those data to `recipientAgency` in
 * `recipientState` (UN Art. 36(1)-(3)):
 * - where a supplier forbade passing the data on, only its prior
 *   authorisation of a transfer to exactly that agency and state lets them
 *   go (otherwise 409 CONDITION_FORBIDS);
 * - its data-protection and speciality conditions, and the authorisation
 *   relied on, go with the data: one value per request, for the hand-over's entries.
 */
export function supplierConditions(
  linked: readonly ItemOrder[],
  recipientAgency: string,
  recipientState: string | null,
): EntryValue[] {
  const received = new Map<string, ItemOrder>();
  for (const link of linked) if (link.direction === 'outgoing') received.set(link.orderId, link);
  return [...received.values()].flatMap((link) => {
    const authorisation = link.onwardAuthorisations.find(
      (one) => one.agency === recipientAgency && one.state === recipientState,
    );
    const forbidden = link.safeguards.onwardTransferAllowed === false;
    if (forbidden && !authorisation)
      throw new LedgerError(
        'CONDITION_FORBIDS',
        `An item came in under request ${link.orderId}, whose supplier forbade passing it on to ${recipientAgency} without its authorisation`,
      );
    const conditions: Record<string, EntryValue> = {};
    for (const name of ['dataProtectionConditions', 'specialityConditions'] as const) {
      const value = link.safeguards[name];
      if (typeof value === 'string') conditions[name] = value;
    }
    if (!forbidden && Object.keys(conditions).length === 0) return [];
    return [
      {
        order: link.orderId,
        ...conditions,
        ...(authorisation
          ? { onwardAuthorisation: { id: authorisation.id, reference: authorisation.reference } }
          : {}),
      },
    ];
  });
}
