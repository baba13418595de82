import { randomBytes } from 'node:crypto';
import {
  type Actor,
  type EntryDisclosure,
  type EntryValue,
  SALT_BYTES,
  SD_ALG,
  SD_ALG_KEY,
  toBase64Url,
  type WithholdingActor,
  withholdFields,
} from '../ledger';
import { NATIVE_CODEC } from './native-codec';

/**
 * Which `data` fields each entry type writes in the clear (formats.md §1.1).
 * Everything else is withheld as a disclosure: free text (purposes, notes,
 * reasons), people and places, other recipients and their conditions, order
 * contents and safeguards, case titles and references. A type not listed
 * publishes nothing of its data. The person acting (`actor.sub`) is always
 * withheld; `actor.agency` and `actor.role` are always public.
 *
 * The public fields are what every reader of a chain may rely on without a
 * disclosure: identifiers that link entries together, content digests and
 * sizes, states and times.
 */
export type PublicFields = Readonly<Record<string, readonly string[]>>;

export const PUBLIC_FIELDS: PublicFields = {
  'case.opened': ['agency'],
  'access.granted': ['grant', 'case', 'role', 'content', 'until'],
  'access.break_glass': ['grant', 'case', 'role', 'until'],
  'access.revoked': ['grant', 'case'],
  'evidence.acquired': [
    'acquiredAt',
    'mediaType',
    'size',
    'sha256',
    'sha512',
    'md5',
    'sha1',
    'acquisitionHash',
  ],
  'evidence.accessed': ['range', 'bytes'],
  'integrity.verified': ['sha256', 'sha512', 'size', 'method'],
  'integrity.failed': ['sha256', 'sha512', 'size', 'method', 'reason', 'fields'],
  'report.issued': ['format'],
  'disclosure.created': ['disclosure', 'evidence'],
  'disclosure.revoked': ['disclosure'],
  'disclosure.fetched': ['disclosure'],
  // The use ledger (Budapest Art. 28(4)): the question and the answer are withheld.
  'disclosure.use_inquired': ['disclosure', 'use'],
  'disclosure.use_reported': ['disclosure', 'use', 'inquiry'],
  'order.received': [
    'registryNumber',
    'kind',
    'direction',
    'status',
    'channel',
    'urgency',
    'missing',
    'formalConfirmationDue',
    'deadline',
    'related',
    'timeZone',
    'receivedAt',
    'receivedAtSource',
  ],
  // What was supplied (by name; the contents are withheld) and what is still missing.
  'order.supplemented': ['supplied', 'missing', 'status'],
  'order.transitioned': ['from', 'to', 'reasonCode', 'deadline', 'mla', 'preservedAt', 'preservedAtSource'],
  'order.evidence_linked': ['evidence', 'sha256'],
  // What was proposed or answered is public; the message and conditions are withheld.
  'order.consulted': ['side', 'status', 'proposes', 'answer'],
  'order.overdue': ['status', 'deadline'],
  // The supplier's authorisation of an onward transfer (UN Art. 36(3)): its recipient and reference are withheld.
  'order.onward_authorised': ['authorisation'],
  // The custodian's acknowledgement of its duty of confidentiality (UN Art. 25(3)): who it is stays withheld.
  'order.custodian_acknowledged': ['confidentialUntil'],
  'order.minimum_reached': ['status', 'deadline'],
  'order.user_notice': ['decision', 'ground', 'until'],
  // What was disclosed is withheld from the public log and owed to the requester (access/disclosure-scope.ts).
  'order.traffic_disclosed': ['hopCount', 'contentDisclosed', 'subscriberDisclosed'],
  'order.execution_lapsed': ['status'],
  // To whom an order went, and why, is the handling side's (UN Art. 40(13)); the requester sees only that it was forwarded.
  'order.forwarded': [],
  // A referral to the extradition authority (Budapest Art. 35(2)(b)): the authority and the reason stay withheld.
  'order.referred': [],
  'audit.read': ['action', 'object', 'outcome', 'roles', 'requestId'],
  'audit.denied': ['action', 'object', 'outcome', 'roles', 'requestId'],
  'key.rotated': ['purpose', 'kid', 'publicJwk', 'retires'],
  'key.compromised': ['purpose', 'kid', 'since'],
  'log.rolled_back': ['reason', 'lost', 'found'],
  'ledger.verified': ['ok', 'from', 'to', 'root', 'entries', 'failure'],
};

/** A version 2 entry's actor and data, and the disclosures of what they withhold. */
export interface WithheldEntryParts {
  readonly actor: WithholdingActor;
  readonly data: { readonly [key: string]: EntryValue };
  readonly disclosures: readonly EntryDisclosure[];
}

/** Random bytes drawn a page at a time: a salt each entry field, without a call into the CSPRNG for each. */
const SALT_POOL_BYTES = 4096;
let saltPool = Buffer.alloc(0);
let saltAt = 0;

/** A fresh salt (128 random bits), each byte of the pool used once. */
function newSalt(): string {
  if (saltAt + SALT_BYTES > saltPool.length) {
    saltPool = randomBytes(SALT_POOL_BYTES);
    saltAt = 0;
  }
  const salt = toBase64Url(saltPool.subarray(saltAt, saltAt + SALT_BYTES));
  saltAt += SALT_BYTES;
  return salt;
}

/** Writes an entry's actor and data the version 2 way: public fields in the clear, the rest as disclosures. */
export function withholdEntryParts(
  type: string,
  actor: Actor,
  data: { readonly [key: string]: EntryValue },
  publicFields: PublicFields = PUBLIC_FIELDS,
): WithheldEntryParts {
  const publicData = new Set(publicFields[type] ?? []);
  const withheldActor = withholdFields(
    { sub: actor.sub, agency: actor.agency, role: actor.role },
    (name) => name !== 'sub',
    newSalt,
    'actor',
    NATIVE_CODEC,
  );
  const withheldData = withholdFields(data, (name) => publicData.has(name), newSalt, 'data', NATIVE_CODEC);
  return {
    actor: withheldActor.object as unknown as WithholdingActor,
    data: { ...withheldData.object, [SD_ALG_KEY]: SD_ALG },
    disclosures: [...withheldActor.disclosures, ...withheldData.disclosures],
  };
}
