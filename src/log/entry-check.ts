import { isUtf8 } from 'node:buffer';
import { hash as digest } from 'node:crypto';
// The entry and disclosure modules alone: a worker loads no more than it checks with.
import { type LogEntry, parseEntry, SUBJECT_TYPES } from '../ledger/entry';
import { type EntryDisclosure, storedDisclosureProblem } from '../ledger/selective-disclosure';
import { NATIVE_CODEC } from './native-codec';

/** What the audit posts to an entry-check worker to make it close its port and exit (see `EntryCheckers.close`). */
export const CLOSE_WORKER = 'close';

/**
 * The per-entry checks of the ledger audit that need no other entry: the
 * bytes are a well-formed entry in canonical JCS, hash to the stored leaf hash
 * and agree with the stored columns, and the disclosures kept with it hold.
 * Pure and independent per entry, so the
 * audit runs them on worker threads (ledger-audit-worker.ts).
 */

/** A page of entries as read (`LogRepository.auditEntries`), in index order. */
export interface EntryPage {
  /** Per entry: idx and seq (int8), leaf hash and leaf data lengths (int4). */
  readonly fixed: Buffer;
  readonly hashes: Buffer;
  readonly data: Buffer;
  /** Per entry: [subject_type, subject_id, prev (base64) or null, entry_type, at]. */
  readonly columns: ReadonlyArray<readonly [string, string, string | null, string, string]>;
  /** Per entry: the disclosures kept with it (formats.md §1.1). */
  readonly disclosures: ReadonlyArray<readonly EntryDisclosure[]>;
}

export const FIXED_SIZE = 24;

/** Where each entry's bytes start in `hashes` and `data` (one more offset at the end). */
export interface PageOffsets {
  readonly hashAt: Uint32Array;
  readonly dataAt: Uint32Array;
}

export function pageLength(page: Pick<EntryPage, 'fixed'>): number {
  return page.fixed.length / FIXED_SIZE;
}

export const indexAt = (page: Pick<EntryPage, 'fixed'>, i: number) =>
  Number(page.fixed.readBigInt64BE(i * FIXED_SIZE));
export const seqAt = (page: Pick<EntryPage, 'fixed'>, i: number) =>
  Number(page.fixed.readBigInt64BE(i * FIXED_SIZE + 8));

export function pageOffsets(page: Pick<EntryPage, 'fixed'>): PageOffsets {
  const n = pageLength(page);
  const hashAt = new Uint32Array(n + 1);
  const dataAt = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    hashAt[i + 1] = (hashAt[i] as number) + page.fixed.readInt32BE(i * FIXED_SIZE + 16);
    dataAt[i + 1] = (dataAt[i] as number) + page.fixed.readInt32BE(i * FIXED_SIZE + 20);
  }
  return { hashAt, dataAt };
}

export interface EntryFailure {
  /** The entry's position in its page. */
  readonly position: number;
  readonly code: string;
  readonly detail: string;
}

const LEAF_PREFIX = Buffer.of(0x00);

/** The first entry of the page that fails a check of its own, in page order. */
export function checkEntries(page: EntryPage): EntryFailure | undefined {
  const { hashAt, dataAt } = pageOffsets(page);
  const n = pageLength(page);
  for (let i = 0; i < n; i++) {
    const bytes = page.data.subarray(dataAt[i], dataAt[i + 1]);
    const code = checkEntry(
      bytes,
      page.hashes.subarray(hashAt[i], hashAt[i + 1]),
      seqAt(page, i),
      page.columns[i] as EntryPage['columns'][number],
      page.disclosures[i] ?? [],
    );
    if (code) return { position: i, code: code[0], detail: code[1] };
  }
  return undefined;
}

function checkEntry(
  bytes: Buffer,
  storedHash: Buffer,
  seq: number,
  [subjectType, subjectId, prev, type, at]: EntryPage['columns'][number],
  disclosures: readonly EntryDisclosure[],
): [string, string] | undefined {
  let text: string;
  let parsed: unknown;
  let entry: LogEntry;
  try {
    text = decodeUtf8(bytes);
    parsed = JSON.parse(text);
    entry = isWellFormedEntry(parsed) ? parsed : parseEntry(parsed);
  } catch {
    return ['ENTRY_INVALID', 'stored bytes are not a well-formed entry'];
  }
  // The check runs on what JSON.parse gave, in the text's key order.
  if (!isCanonical(text, bytes.length, parsed))
    return ['ENTRY_INVALID', 'stored bytes are not canonical JCS'];
  if (!digest('sha256', Buffer.concat([LEAF_PREFIX, bytes]), 'buffer').equals(storedHash))
    return ['LEAF_HASH_MISMATCH', 'stored leaf hash is not the hash of the entry'];
  const columnsAgree =
    subjectType === entry.subject.type &&
    subjectId === entry.subject.id &&
    seq === entry.seq &&
    type === entry.type &&
    at === entry.at &&
    prev === entry.prev;
  if (!columnsAgree) return ['ENTRY_INVALID', 'stored columns differ from the entry bytes'];
  // Every disclosure kept, matching, filed under its field, and none missing (formats.md §1.1).
  if (disclosures.length === 0 && entry.v === 1) return undefined;
  const problem = storedDisclosureProblem(entry, disclosures, NATIVE_CODEC);
  return problem && [problem.code, problem.detail];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** As a fatal UTF-8 TextDecoder decodes (malformed bytes throw, one leading byte-order mark goes), natively. */
function decodeUtf8(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new Error('not UTF-8');
  const bom = bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
  return bytes.toString('utf8', bom ? 3 : 0);
}

/**
 * Whether `text` is the RFC 8785 form of the entry it parsed to, without
 * re-canonicalising. For the values an entry may hold (strings, safe integers,
 * booleans, null, arrays, objects; parseEntry admits nothing else) JCS is
 * ECMAScript JSON.stringify with each object's keys sorted by UTF-16 code
 * units. JSON.stringify writes keys in the parsed order, which is the text's
 * order unless a key looks like an array index; so: every object's keys are in
 * JCS order and none looks like an index, the text serialises back to itself
 * (which also rules out white space, escapes written differently and duplicate
 * keys), and the bytes are exactly the text (no byte-order mark, which the
 * decoder drops).
 */
function isCanonical(text: string, byteLength: number, entry: unknown): boolean {
  return Buffer.byteLength(text) === byteLength && keysInJcsOrder(entry) && JSON.stringify(entry) === text;
}

const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

function keysInJcsOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(keysInJcsOrder);
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (INDEX_LIKE.test(key) || (i > 0 && !((keys[i - 1] as string) < key))) return false;
    if (!keysInJcsOrder((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/*
 * A hand-written accept path for parseEntry's schema (zod costs ~10 µs an
 * entry). It only ever accepts: whatever it does not accept goes to parseEntry,
 * which decides. A property test holds the two to the same judgement on
 * random valid and invalid entries (test/property/entry-check.property.test.ts).
 */

const ENTRY_KEYS = ['v', 'log', 'subject', 'seq', 'prev', 'type', 'at', 'actor', 'data'];
const SUBJECTS: ReadonlySet<string> = new Set(SUBJECT_TYPES);
const TYPE = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/;
const RFC3339_MS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Canonical base64 of 32 bytes: 43 characters, the last with its two pad bits zero, and one '='. */
const BASE64_HASH = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
/** A digest as `_sd` lists it: base64url of SHA-256, no padding. */
const DIGEST = /^[A-Za-z0-9_-]{43}$/;
/** Deeper data goes to parseEntry, so that both judge it with the same recursion. */
const MAX_DEPTH = 32;

/** Entries of a batch share their time: the last one proven a real instant. */
let lastInstant = '';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isString = (value: unknown, min: number, max: number): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max;

function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || !keys.includes(key)) return false;
    count++;
  }
  return count === keys.length;
}

export function isWellFormedEntry(value: unknown): value is LogEntry {
  if (!isObject(value) || !hasExactly(value, ENTRY_KEYS)) return false;
  const { v, log, subject, seq, prev, type, at, actor, data } = value;
  if ((v !== 1 && v !== 2) || !isString(log, 1, 255)) return false;
  if (!isObject(subject) || !hasExactly(subject, ['type', 'id'])) return false;
  if (typeof subject.type !== 'string' || !SUBJECTS.has(subject.type) || !isString(subject.id, 1, 128))
    return false;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return false;
  if (prev === null ? seq !== 1 : seq === 1 || typeof prev !== 'string' || !BASE64_HASH.test(prev))
    return false;
  if (!isString(type, 0, 64) || !TYPE.test(type)) return false;
  if (typeof at !== 'string' || (at !== lastInstant && !isRealInstant(at))) return false;
  lastInstant = at;
  if (!isObject(actor) || !isObject(data) || !isJsonRecord(data, 0)) return false;
  if (!isString(actor.agency, 1, 32) || !isString(actor.role, 1, 32)) return false;
  return v === 1
    ? hasExactly(actor, ['sub', 'agency', 'role']) && isString(actor.sub, 1, 255)
    : hasExactly(actor, ['agency', 'role', '_sd']) && isDigestList(actor._sd) && isWithholdingData(data);
}

/** Version 2 data (formats.md §1.1): `_sd_alg` always, `_sd` when a data field is withheld. */
function isWithholdingData(data: Record<string, unknown>): boolean {
  return data._sd_alg === 'sha-256' && (data._sd === undefined || isDigestList(data._sd));
}

/** `_sd`: one or more digests (43 base64url characters), sorted and each once. */
function isDigestList(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const digest = value[i];
    if (typeof digest !== 'string' || !DIGEST.test(digest) || (i > 0 && !(value[i - 1] < digest)))
      return false;
  }
  return true;
}

function isRealInstant(at: string): boolean {
  if (!RFC3339_MS_UTC.test(at)) return false;
  const time = Date.parse(at);
  return Number.isFinite(time) && new Date(time).toISOString() === at;
}

function isJsonRecord(value: Record<string, unknown>, depth: number): boolean {
  for (const key in value)
    if (!Object.hasOwn(value, key) || key === '__proto__' || !isJsonValue(value[key], depth + 1))
      return false;
  return true;
}

function isJsonValue(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isSafeInteger(value);
    case 'object':
      if (depth > MAX_DEPTH) return false;
      if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
      return isJsonRecord(value as Record<string, unknown>, depth);
    default:
      return false;
  }
}
