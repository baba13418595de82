import canonicalize from 'canonicalize';
import { z } from 'zod';
import { VerificationError } from '../errors';
import { fromBase64, toBase64, utf8 } from './encoding';
import { HASH_SIZE, leafHash } from './hash';

/** formats.md §1: the subjects that own a hash chain each. */
export const SUBJECT_TYPES = ['case', 'evidence', 'order', 'key', 'access', 'audit'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export interface Subject {
  readonly type: SubjectType;
  readonly id: string;
}

export interface Actor {
  readonly sub: string;
  readonly agency: string;
  readonly role: string;
}

/** JSON values without floating-point numbers (formats.md §1: entries hold none). */
export type EntryValue = string | number | boolean | null | EntryValue[] | { [key: string]: EntryValue };

/** What every entry version holds besides its actor and data. */
interface EntryFrame {
  readonly log: string;
  readonly subject: Subject;
  readonly seq: number;
  /** Base64 leaf hash of this subject's entry `seq - 1`; null for `seq = 1`. */
  readonly prev: string | null;
  readonly type: string;
  /** RFC 3339 UTC with milliseconds. */
  readonly at: string;
}

/** A version 1 entry (formats.md §1): every field in the clear. */
export interface LogEntryV1 extends EntryFrame {
  readonly v: 1;
  readonly actor: Actor;
  readonly data: { readonly [key: string]: EntryValue };
}

/** The actor of a version 2 entry: the person (`sub`) is withheld, its digest in `_sd`. */
export interface WithholdingActor {
  readonly agency: string;
  readonly role: string;
  readonly _sd: readonly string[];
}

/**
 * A version 2 entry (formats.md §1.1): fields that are not public are
 * withheld, and `_sd` lists their disclosures' digests; `data._sd_alg` names
 * the digest algorithm.
 */
export interface LogEntryV2 extends EntryFrame {
  readonly v: 2;
  readonly actor: WithholdingActor;
  readonly data: { readonly [key: string]: EntryValue };
}

/** One log entry. Its JCS bytes are the leaf data; their leaf hash is its name. */
export type LogEntry = LogEntryV1 | LogEntryV2;

const RFC3339_MS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The regex alone lets month 13, February 30 or hour 24 through; a real instant round-trips through Date. */
function isRealInstant(at: string): boolean {
  const time = Date.parse(at);
  return Number.isFinite(time) && new Date(time).toISOString() === at;
}

function isBase64Hash(text: string): boolean {
  try {
    return fromBase64(text).length === HASH_SIZE;
  } catch {
    return false;
  }
}

const jsonValue: z.ZodType<EntryValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number().int().refine(Number.isSafeInteger),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

const DIGEST = /^[A-Za-z0-9_-]{43}$/;

/** `_sd`: one or more digests, sorted and each once (formats.md §1.1). */
const digestList = z
  .array(z.string().regex(DIGEST))
  .min(1)
  .refine(
    (digests) => digests.every((digest, i) => i === 0 || (digests[i - 1] as string) < digest),
    'sorted, each once',
  );

const frame = {
  log: z.string().min(1).max(255),
  subject: z.strictObject({ type: z.enum(SUBJECT_TYPES), id: z.string().min(1).max(128) }),
  seq: z.number().int().min(1).refine(Number.isSafeInteger),
  prev: z.string().nullable(),
  type: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/)
    .max(64),
  at: z.string().regex(RFC3339_MS_UTC).refine(isRealInstant),
};

const agency = z.string().min(1).max(32);
const role = z.string().min(1).max(32);

const entryV1 = z.strictObject({
  v: z.literal(1),
  ...frame,
  actor: z.strictObject({ sub: z.string().min(1).max(255), agency, role }),
  data: z.record(z.string(), jsonValue),
});

/** Version 2 data: `_sd_alg` always (the actor always withholds), `_sd` when a data field is withheld. */
const withholdingData = z.record(z.string(), jsonValue).superRefine((data, context) => {
  if (data._sd_alg !== 'sha-256') context.addIssue({ code: 'custom', message: '_sd_alg is sha-256' });
  if (data._sd !== undefined && !digestList.safeParse(data._sd).success)
    context.addIssue({ code: 'custom', message: '_sd lists sorted digests' });
});

const entryV2 = z.strictObject({
  v: z.literal(2),
  ...frame,
  actor: z.strictObject({ agency, role, _sd: digestList }),
  data: withholdingData,
});

const entrySchema = z
  .discriminatedUnion('v', [entryV1, entryV2])
  .refine((entry) => (entry.seq === 1) === (entry.prev === null), 'prev is null exactly when seq is 1');

/**
 * Checks that `value` is a well-formed entry and returns it typed. Everything a
 * verifier is handed goes through here first; failures are ENTRY_INVALID.
 */
export function parseEntry(value: unknown): LogEntry {
  if (hasProtoMember(value, 0))
    throw new VerificationError('ENTRY_INVALID', 'an entry has no member named __proto__');
  const parsed = entrySchema.safeParse(value);
  if (!parsed.success) throw new VerificationError('ENTRY_INVALID', 'not a well-formed log entry');
  const entry = parsed.data as LogEntry;
  if (entry.prev !== null && !isBase64Hash(entry.prev)) {
    throw new VerificationError('ENTRY_INVALID', 'prev is not a base64 SHA-256 hash');
  }
  return entry;
}

/**
 * JSON.parse keeps a member named `__proto__` as a field, but zod's records
 * skip it: the parsed entry would lose a member its bytes commit to. No entry
 * holds one (deeper than any entry nests, the schema refuses anyway).
 */
function hasProtoMember(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.some((item) => hasProtoMember(item, depth + 1));
  return (
    Object.hasOwn(value, '__proto__') || Object.values(value).some((item) => hasProtoMember(item, depth + 1))
  );
}

/**
 * leaf_data: the UTF-8 bytes of the entry in RFC 8785 canonical form. Callers
 * holding foreign input run `parseEntry` first.
 */
export function entryLeafData(entry: LogEntry): Uint8Array {
  // The full schema check is parseEntry's, for foreign input; here only what would
  // make the bytes ambiguous: floating-point numbers and non-JSON values.
  assertPlainJson(entry);
  const text = canonicalize(entry);
  if (text === undefined) throw new VerificationError('ENTRY_INVALID', 'entry cannot be canonicalised');
  return utf8(text);
}

function assertPlainJson(value: unknown): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return;
    throw new VerificationError('ENTRY_INVALID', 'entries hold no floating-point or unsafe numbers');
  }
  if (Array.isArray(value)) {
    for (const item of value) assertPlainJson(item);
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) assertPlainJson(item);
    return;
  }
  throw new VerificationError('ENTRY_INVALID', 'entries hold JSON values only');
}

/** leaf_hash = SHA-256(0x00 || leaf_data) (RFC 6962 §2.1). */
export function entryLeafHash(entry: LogEntry): Uint8Array {
  return leafHash(entryLeafData(entry));
}

/** The entry's name: its base64 leaf hash (used in `prev`, receipts and reports). */
export function entryName(entry: LogEntry): string {
  return toBase64(entryLeafHash(entry));
}
