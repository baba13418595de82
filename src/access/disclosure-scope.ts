import { decodeDisclosure, type EntryDisclosure, type LogEntry } from '../ledger';

/**
 * Which withheld entry fields (formats.md §1.1) a reader receives: the one
 * place that decides it. Routes, reports and packages ask; they never choose
 * disclosures themselves.
 *
 * - A **member** of the case (any role that may read its chains), and the
 *   writer of an entry, receive every disclosure.
 * - The **public** (a key rotation read by anyone) receives none.
 * - The **requester** of an order (the submitting agency, through its status
 *   view) receives, on the order's chain, what it submitted and the reasons
 *   and disclosures of the moves made on its request (a refusal or
 *   postponement is reasoned to the requesting party; Art. 43 traffic data go
 *   to it), never the people who handled it.
 * - A **recipient** of a disclosure (a foreign partner's package) receives the
 *   facts the disclosure names, on every entry of the disclosed items' chains,
 *   and the data of the entries that record the hand-over to it (its own
 *   conditions). Entries that record hand-overs to anyone else give it nothing
 *   beyond their public fields, whatever facts were chosen.
 */
export type DisclosureAudience =
  | { readonly kind: 'member' }
  | { readonly kind: 'public' }
  | { readonly kind: 'requester' }
  | {
      readonly kind: 'recipient';
      readonly agency: string;
      /** The disclosure the recipient holds. */
      readonly disclosureId: string;
      /** The order it answers, if any: a hand-over recorded under that order is the recipient's own too. */
      readonly orderId: string | null;
      readonly facts: readonly DisclosableFact[];
    };

/**
 * The facts a disclosure may name for its recipient, beyond what every
 * reader sees: the people who acted (`actor.sub`) and the withheld data
 * fields of an item's chain, by name.
 */
export const DISCLOSABLE_FACTS = [
  'actor.sub',
  'purpose',
  'location',
  'counterparty',
  'sealNumber',
  'sealCondition',
  'authorityRef',
  'notes',
  'exhibitNumber',
  'description',
  'source',
  'acquiredBy',
  'acquisitionTool',
  'filename',
] as const;

export type DisclosableFact = (typeof DISCLOSABLE_FACTS)[number];

/** Entry types that record a hand-over of the item to someone: only its recipient may read them. */
const HAND_OVER_TYPES: ReadonlySet<string> = new Set(['evidence.disclosed']);

/** What a requester receives of each order entry type: data fields by name (`*`: all of them). */
const OWED_TO_REQUESTER: Readonly<Record<string, readonly string[]>> = {
  'order.received': ['*'],
  // Its own supplement, and what is still missing.
  'order.supplemented': ['*'],
  // When the data were really preserved, and why that time is stated: the requester's deadline runs from it.
  'order.transitioned': ['reason', 'disclosure', 'preservedAtReason'],
  // A partial disclosure of traffic data is given to the requesting party (UN 43(1); Bud 30(1)).
  'order.traffic_disclosed': ['*'],
  // A consultation is held with the requester (Bud 27(6); UN 40(26) [U]): it reads every word of it.
  'order.consulted': ['*'],
  // That its request was forwarded for execution, not to whom: it keeps dealing with the central authority (UN Art. 40(13)).
  'order.forwarded': [],
};

export const MEMBER_AUDIENCE: DisclosureAudience = { kind: 'member' };
export const REQUESTER_AUDIENCE: DisclosureAudience = { kind: 'requester' };
export const PUBLIC_AUDIENCE: DisclosureAudience = { kind: 'public' };

/** The disclosures of `entry` (from those stored for it) that `audience` receives, in stored order. */
export function disclosuresFor(
  audience: DisclosureAudience,
  entry: LogEntry,
  stored: readonly EntryDisclosure[],
): EntryDisclosure[] {
  switch (audience.kind) {
    case 'member':
      return [...stored];
    case 'public':
      return [];
    case 'requester': {
      const owed = OWED_TO_REQUESTER[entry.type] ?? [];
      return stored.filter(
        (disclosure) => disclosure.in === 'data' && (owed.includes('*') || owed.includes(disclosure.name)),
      );
    }
    case 'recipient': {
      const handOver = HAND_OVER_TYPES.has(entry.type);
      const own = handOver && isOwnHandOver(audience, stored);
      if (handOver && !own) return [];
      const facts: ReadonlySet<string> = new Set(audience.facts);
      // The people stay a chosen fact even on the recipient's own hand-over.
      return stored.filter((disclosure) =>
        disclosure.in === 'actor' ? facts.has(`actor.${disclosure.name}`) : own || facts.has(disclosure.name),
      );
    }
  }
}

/**
 * Whether a hand-over entry records the recipient's own disclosure (or the
 * order it answers): decided on the stored disclosures, which the service
 * wrote and trusts, before any is handed out.
 */
function isOwnHandOver(
  audience: Extract<DisclosureAudience, { kind: 'recipient' }>,
  stored: readonly EntryDisclosure[],
): boolean {
  const value = (name: string) => {
    const found = stored.find((disclosure) => disclosure.in === 'data' && disclosure.name === name);
    return found ? decodeDisclosure(found.disclosure).value : undefined;
  };
  if (value('disclosure') === audience.disclosureId) return true;
  return audience.orderId !== null && value('order') === audience.orderId;
}
