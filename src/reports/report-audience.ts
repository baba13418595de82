import { type DisclosureAudience, disclosuresFor } from '../access/disclosure-scope';
import type { EvidenceRecord } from '../db/evidence.repository';
import { evidenceView } from '../evidence/evidence-view';
import {
  type EntryDisclosure,
  type EntryValue,
  type LogEntry,
  revealFields,
  storedDisclosureProblem,
} from '../ledger';
import { NATIVE_CODEC } from '../log/native-codec';

/**
 * What a custody report shows its reader (formats.md §1.1): each entry with
 * exactly the disclosures that reader's audience receives, the item and the
 * legal frame as far as that reader may see them. A field the reader is not
 * given is named in a `withheld` list beside the fields it does get, never
 * left out as if it did not exist. Pure: the report builder reads, this decides
 * what of it each reader sees, asking access/disclosure-scope.ts for the entries.
 */

/** The word a withheld field is shown as wherever a report is rendered for people. */
export const WITHHELD = '[withheld]';

/** One entry of an item's chain as the report's reader receives it. */
export interface ReportEntry {
  readonly index: number;
  /** Base64 leaf hash: the entry's name in receipts and proofs. */
  readonly leafHash: string;
  /** The entry as logged, digests of withheld fields included: what its leaf hash covers. */
  readonly entry: LogEntry;
  /** The disclosures of withheld fields the reader receives; each matches a digest of the entry. */
  readonly disclosures: readonly string[];
  /** The fields the reader is not given: `actor.sub` or `data.<name>`. */
  readonly withheld: readonly string[];
}

/** A stored entry as this report's reader receives it, and why its disclosures cannot be used, if so. */
export interface ReaderEntry extends ReportEntry {
  /** Set when the stored disclosures do not match the entry: the entry is then given none of them. */
  readonly problem?: string;
}

/**
 * An entry with the disclosures `audience` receives. The stored disclosures
 * are checked against the entry's digests first, all of them and each under
 * the name the service filed it by: a report never carries a disclosure that
 * a reader could not verify, nor one revealing a field it was not chosen for.
 * An entry whose disclosures fail gives the reader none and says why.
 */
export function readerEntry(
  row: { readonly index: number; readonly leafHash: string; readonly entry: LogEntry },
  stored: readonly EntryDisclosure[],
  audience: DisclosureAudience,
): ReaderEntry {
  const pathOf = (disclosure: EntryDisclosure) => `${disclosure.in}.${disclosure.name}`;
  const failed = storedDisclosureProblem(row.entry, stored, NATIVE_CODEC);
  const problem = failed && `${failed.code}: ${failed.detail}`;
  if (problem !== undefined)
    return {
      ...row,
      disclosures: [],
      withheld: stored.map(pathOf),
      problem: `seq ${row.entry.seq}: ${problem}`,
    };
  const given = new Set(disclosuresFor(audience, row.entry, stored));
  return {
    ...row,
    disclosures: stored
      .filter((disclosure) => given.has(disclosure))
      .map((disclosure) => disclosure.disclosure),
    withheld: stored.filter((disclosure) => !given.has(disclosure)).map(pathOf),
  };
}

type FullItem = ReturnType<typeof evidenceView>;

/**
 * The item as the report shows it: everything for a member of its case; for
 * anyone else only what its intake entry (`evidence.acquired`) gives that
 * reader, so no case, exhibit number, description, source or person appears
 * unless disclosed. `withheld` names the item's fields the reader is not given.
 */
export type ReportItem = Partial<Omit<FullItem, 'id'>> & {
  readonly id: string;
  readonly withheld: readonly string[];
};

/** The item's fields its intake entry records, by the entry's names where they differ. */
const INTAKE_NAMES: Readonly<Record<string, keyof FullItem>> = {
  case: 'caseId',
  filename: 'originalFilename',
};

/** Item fields no intake entry holds: the person who recorded it and the current custody state. */
const BEYOND_INTAKE: readonly (keyof FullItem)[] = ['createdBy', 'custody'];

/**
 * The item for `audience`: the record itself for a member; otherwise built
 * from the intake entry as revealed to that reader (`intake` is undefined
 * when the chain has no readable intake entry: then only the id is known).
 */
export function reportItem(
  audience: DisclosureAudience,
  record: EvidenceRecord,
  intake: ReaderEntry | undefined,
): ReportItem {
  if (audience.kind === 'member') return { ...evidenceView(record), withheld: [] };
  if (!intake) return { id: record.id, withheld: [...BEYOND_INTAKE] };
  const { data } = revealFields(intake.entry, intake.disclosures);
  const field = (name: string) =>
    (Object.hasOwn(INTAKE_NAMES, name) ? INTAKE_NAMES[name] : name) as keyof FullItem;
  const text = (name: string) => (typeof data[name] === 'string' ? (data[name] as string) : undefined);
  const shown: { -readonly [key in keyof FullItem]?: unknown } = {
    caseId: text('case'),
    exhibitNumber: text('exhibitNumber'),
    description: text('description'),
    source: text('source'),
    acquiredAt: text('acquiredAt'),
    acquiredBy: text('acquiredBy'),
    acquisitionTool: text('acquisitionTool'),
    location: text('location'),
    originalFilename: text('filename'),
    mediaType: text('mediaType'),
    size: typeof data.size === 'number' ? data.size : undefined,
    digests: {
      sha256: text('sha256') ?? null,
      sha512: text('sha512') ?? null,
      md5: text('md5') ?? null,
      sha1: text('sha1') ?? null,
    },
    acquisitionHash: isAcquisitionHash(data.acquisitionHash) ? data.acquisitionHash : null,
    createdAt: intake.entry.at,
  };
  const known = Object.fromEntries(Object.entries(shown).filter(([, value]) => value !== undefined));
  const withheld = intake.withheld
    .filter((path) => path.startsWith('data.'))
    .map((path) => field(path.slice('data.'.length)))
    .filter((name) => Object.hasOwn(shown, name));
  return { ...known, id: record.id, withheld: [...withheld, ...BEYOND_INTAKE] } as ReportItem;
}

function isAcquisitionHash(value: EntryValue | undefined): value is { alg: string; value: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof value.alg === 'string' &&
    typeof value.value === 'string'
  );
}

/** The legal frame of an item as the service knows it: its case, linked orders and break-glass openings. */
export interface ItemContext {
  readonly case: {
    readonly reference: string;
    readonly title: string;
    readonly agency: string;
    readonly legalBasis: string | null;
  } | null;
  readonly orders: ReadonlyArray<{
    readonly id: string;
    readonly kind: string;
    readonly status: string;
    readonly legalBasis: unknown;
    readonly requestingAuthority: string;
    readonly safeguards: unknown;
  }>;
  /** Every break-glass opening of the case: who, when, until when, and why. */
  readonly breakGlass: ReadonlyArray<{
    readonly sub: string | null;
    readonly agency: string;
    readonly role: string;
    readonly at: string;
    readonly until: string | null;
    readonly reason: string;
  }>;
}

type Shown<T> = Partial<T> & { readonly withheld: readonly string[] };

/**
 * The legal frame as the report shows it. `withheld` may name `case` (the
 * case's reference, title, agency and legal basis are not given) and `orders`
 * (only the order the reader's own disclosure answers is listed, whether or
 * not there are others); each order and break-glass row names its own
 * withheld fields.
 */
export interface ReportContext {
  readonly case?: ItemContext['case'];
  readonly orders: ReadonlyArray<Shown<ItemContext['orders'][number]>>;
  readonly breakGlass: ReadonlyArray<Shown<ItemContext['breakGlass'][number]>>;
  readonly withheld: readonly string[];
}

/**
 * The frame for `audience`. A member sees all of it. Anyone else is given no
 * case details, only its own order (its hand-over entry names it) with the
 * order's public fields, and of each break-glass opening only that it
 * happened, when, until when, and the agency and role it opened the case to:
 * a court must still see it flagged, without the person or the reason.
 */
export function reportContext(audience: DisclosureAudience, context: ItemContext): ReportContext {
  if (audience.kind === 'member')
    return {
      case: context.case,
      orders: context.orders.map((order) => ({ ...order, withheld: [] })),
      breakGlass: context.breakGlass.map((opened) => ({ ...opened, withheld: [] })),
      withheld: [],
    };
  const ownOrder = audience.kind === 'recipient' ? audience.orderId : null;
  return {
    orders: context.orders
      .filter((order) => order.id === ownOrder)
      // Of an order, its id and what its `order.received` entry publishes (entry-policy.ts).
      .map(({ id, kind, status }) => ({
        id,
        kind,
        status,
        withheld: ['legalBasis', 'requestingAuthority', 'safeguards'],
      })),
    breakGlass: context.breakGlass.map(({ agency, role, at, until }) => ({
      agency,
      role,
      at,
      until,
      withheld: ['sub', 'reason'],
    })),
    withheld: ['case', 'orders'],
  };
}
