import { base64urlnopad } from '@scure/base';
import { VerificationError } from '../errors';
import { fromUtf8, utf8 } from './encoding';
import type { EntryValue, LogEntry } from './entry';
import { sha256 } from './hash';

/**
 * Salted-digest selective disclosure of entry fields (formats.md §1.1, the
 * SD-JWT mechanism applied to log entries). A withheld field leaves its
 * object and is replaced by the digest of a disclosure, `[salt, name, value]`
 * as base64url JSON, listed in the object's `_sd`. The entry, digests
 * included, is what is hashed into the log, so the leaf hash never depends on
 * who reads the entry; a reader who is given a disclosure recomputes its
 * digest and finds it in `_sd`. Pure: runs in the service, the CLI and a browser.
 */

/** The one digest algorithm (`_sd_alg`), named as SD-JWT names it. */
export const SD_ALG = 'sha-256';

/** The members that carry digests; a disclosure may not name them. */
export const SD_KEY = '_sd';
export const SD_ALG_KEY = '_sd_alg';

/** 128 random bits, the least formats.md §1.1 allows: 22 base64url characters. */
export const SALT_BYTES = 16;
const MIN_SALT_LENGTH = 22;

/** Most characters of one disclosure: an entry's own fields are bounded far below this. */
export const MAX_DISCLOSURE_LENGTH = 1 << 20;

/** Where in an entry a withheld field sat: the acting person, or the type-specific data. */
export type WithheldIn = 'actor' | 'data';

export interface DisclosedField {
  readonly salt: string;
  readonly name: string;
  readonly value: EntryValue;
}

/** A disclosure string with where it belongs and what it reveals. */
export interface EntryDisclosure {
  readonly in: WithheldIn;
  readonly name: string;
  readonly disclosure: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The byte work disclosures need. The pure default runs anywhere (a browser
 * included); the service passes its platform's native one (log/native-codec.ts),
 * which gives the same answers several times faster.
 */
export interface DisclosureCodec {
  /** base64url without padding (RFC 4648 §5). */
  readonly encode: (bytes: Uint8Array) => string;
  /** Decodes base64url without padding; the caller checks the spelling is canonical. */
  readonly decode: (text: string) => Uint8Array;
  readonly sha256: (bytes: Uint8Array) => Uint8Array;
}

export const PURE_CODEC: DisclosureCodec = {
  encode: (bytes) => base64urlnopad.encode(bytes),
  decode: (text) => base64urlnopad.decode(text),
  sha256,
};

/** The disclosure string of one field: base64url (no padding) of the UTF-8 JSON `[salt, name, value]`. */
export function encodeDisclosure(
  salt: string,
  name: string,
  value: EntryValue,
  codec: DisclosureCodec = PURE_CODEC,
): string {
  return codec.encode(utf8(JSON.stringify([salt, name, value])));
}

/** Its digest: base64url (no padding) of SHA-256 over the disclosure's ASCII characters. */
export function disclosureDigest(disclosure: string, codec: DisclosureCodec = PURE_CODEC): string {
  return codec.encode(codec.sha256(utf8(disclosure)));
}

/**
 * Reads a disclosure string. Refused (DISCLOSURE_INVALID): anything but
 * canonical base64url without padding, bytes that are not UTF-8, JSON that is
 * not exactly `[salt, name, value]`, a salt shorter than 128 bits, a name that
 * is empty or one of the digest members, and numbers that are not safe integers
 * (entries hold none).
 */
export function decodeDisclosure(disclosure: unknown, codec: DisclosureCodec = PURE_CODEC): DisclosedField {
  const invalid = (why: string) => new VerificationError('DISCLOSURE_INVALID', why);
  if (typeof disclosure !== 'string' || disclosure.length === 0 || disclosure.length > MAX_DISCLOSURE_LENGTH)
    throw invalid('a disclosure is a non-empty string of bounded length');
  if (!BASE64URL.test(disclosure)) throw invalid('a disclosure is base64url without padding');
  let parsed: unknown;
  try {
    const bytes = codec.decode(disclosure);
    // One spelling per disclosure: non-zero pad bits would let two strings carry one value.
    if (codec.encode(bytes) !== disclosure) throw new Error('not canonical');
    parsed = JSON.parse(fromUtf8(bytes));
  } catch {
    throw invalid('a disclosure is base64url of UTF-8 JSON');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid('a disclosure is [salt, name, value]');
  const [salt, name, value] = parsed as [unknown, unknown, unknown];
  if (typeof salt !== 'string' || salt.length < MIN_SALT_LENGTH || !BASE64URL.test(salt))
    throw invalid('the salt is at least 128 bits in base64url');
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name === SD_KEY ||
    name === SD_ALG_KEY ||
    name === '...'
  )
    throw invalid('the name is not one a field may have');
  if (!isEntryValue(value)) throw invalid('the value holds a number that is not a safe integer');
  return { salt, name, value };
}

function isEntryValue(value: unknown): value is EntryValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isSafeInteger(value);
  if (Array.isArray(value)) return value.every(isEntryValue);
  return typeof value === 'object' && Object.values(value as object).every(isEntryValue);
}

/**
 * Withholds the fields of `object` that `isPublic` does not name: each becomes
 * a disclosure with a fresh salt, and its digest joins `_sd` (sorted). The
 * object keeps its public fields in the clear, in their order.
 */
export function withholdFields(
  object: { readonly [key: string]: EntryValue },
  isPublic: (name: string) => boolean,
  salt: () => string,
  into: WithheldIn,
  codec: DisclosureCodec = PURE_CODEC,
): { object: { [key: string]: EntryValue }; disclosures: EntryDisclosure[] } {
  const clear: { [key: string]: EntryValue } = {};
  const disclosures: EntryDisclosure[] = [];
  for (const [name, value] of Object.entries(object)) {
    if (name === SD_KEY || name === SD_ALG_KEY)
      throw new VerificationError('ENTRY_INVALID', `${into} may not hold a member named ${name}`);
    if (isPublic(name)) setField(clear, name, value);
    else disclosures.push({ in: into, name, disclosure: encodeDisclosure(salt(), name, value, codec) });
  }
  if (disclosures.length > 0)
    clear[SD_KEY] = disclosures.map((d) => disclosureDigest(d.disclosure, codec)).sort();
  return { object: clear, disclosures };
}

/** An entry's fields as one reader sees them: the clear ones, the disclosed ones, and how many stay withheld. */
export interface RevealedFields {
  readonly actor: { readonly [key: string]: EntryValue };
  readonly data: { readonly [key: string]: EntryValue };
  /** The disclosures that matched, each once, where it belongs. */
  readonly disclosed: readonly EntryDisclosure[];
  /** Digests of `_sd` no disclosure matched: fields withheld from this reader. */
  readonly withheld: { readonly actor: readonly string[]; readonly data: readonly string[] };
}

/**
 * Applies disclosures to an entry (version 2; a version 1 entry withholds
 * nothing and takes none). Each disclosure must be well formed
 * (DISCLOSURE_INVALID), given once, and have its digest in `_sd` of the
 * actor or the data (DISCLOSURE_UNMATCHED); a disclosed name must not be a
 * field the object holds in the clear (DISCLOSURE_INVALID). Fields whose
 * digests match nothing stay withheld: they are reported, never treated as absent.
 */
export function revealFields(
  { v, actor: entryActor, data: entryData }: Pick<LogEntry, 'v' | 'actor' | 'data'>,
  disclosures: readonly unknown[],
  codec: DisclosureCodec = PURE_CODEC,
): RevealedFields {
  const entry = {
    v,
    actor: entryActor as unknown as { readonly [key: string]: unknown },
    data: entryData as { readonly [key: string]: unknown },
  };
  // Version 1 data are free-form: a member named `_sd` there is data, not digests.
  const withholds = entry.v === 2;
  const actor = withholds ? clearMembers(entry.actor) : { ...(entry.actor as { [key: string]: EntryValue }) };
  const data = withholds ? clearMembers(entry.data) : { ...(entry.data as { [key: string]: EntryValue }) };
  const listed = {
    actor: withholds ? digestsOf(entry.actor) : [],
    data: withholds ? digestsOf(entry.data) : [],
  };
  const disclosed: EntryDisclosure[] = [];
  const seen = new Set<string>();
  for (const disclosure of disclosures) {
    const field = decodeDisclosure(disclosure, codec);
    const digest = disclosureDigest(disclosure as string, codec);
    if (seen.has(digest)) throw new VerificationError('DISCLOSURE_INVALID', 'a disclosure is given twice');
    seen.add(digest);
    const into: WithheldIn | undefined = listed.actor.includes(digest)
      ? 'actor'
      : listed.data.includes(digest)
        ? 'data'
        : undefined;
    if (!into)
      throw new VerificationError(
        'DISCLOSURE_UNMATCHED',
        `the disclosure of "${field.name}" matches no digest the entry commits to`,
      );
    const target = into === 'actor' ? actor : data;
    if (Object.hasOwn(target, field.name))
      throw new VerificationError(
        'DISCLOSURE_INVALID',
        `"${field.name}" is disclosed twice or is already clear`,
      );
    setField(target, field.name, field.value);
    disclosed.push({ in: into, name: field.name, disclosure: disclosure as string });
  }
  return {
    actor,
    data,
    disclosed,
    withheld: {
      actor: listed.actor.filter((digest) => !seen.has(digest)),
      data: listed.data.filter((digest) => !seen.has(digest)),
    },
  };
}

function clearMembers(object: { readonly [key: string]: unknown }): { [key: string]: EntryValue } {
  const clear: { [key: string]: EntryValue } = {};
  for (const [name, value] of Object.entries(object))
    if (name !== SD_KEY && name !== SD_ALG_KEY) setField(clear, name, value as EntryValue);
  return clear;
}

/**
 * Sets an own member, whatever its name: a plain assignment to `__proto__`,
 * which JSON may name as a field, would swap the object's prototype instead.
 */
function setField(object: { [key: string]: EntryValue }, name: string, value: EntryValue): void {
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}

function digestsOf(object: { readonly [key: string]: unknown }): string[] {
  const digests = object[SD_KEY];
  return Array.isArray(digests) ? (digests as string[]) : [];
}

/** Why the disclosures kept for an entry cannot be relied on: a stable code and the evidence in words. */
export interface StoredDisclosureProblem {
  readonly code: 'DISCLOSURE_INVALID' | 'DISCLOSURE_UNMATCHED' | 'DISCLOSURE_MISSING';
  readonly detail: string;
}

/**
 * Checks the disclosures a service keeps for one entry, as filed (formats.md
 * §1.1: every disclosure is kept): each matches a digest of the entry, each is
 * filed under the field it reveals (a reader's share is chosen by those
 * names), and together they cover every digest. Undefined when they hold.
 */
export function storedDisclosureProblem(
  entry: Pick<LogEntry, 'v' | 'actor' | 'data'>,
  stored: readonly EntryDisclosure[],
  codec: DisclosureCodec = PURE_CODEC,
): StoredDisclosureProblem | undefined {
  let revealed: RevealedFields;
  try {
    revealed = revealFields(
      entry,
      stored.map((s) => s.disclosure),
      codec,
    );
  } catch (error) {
    const code = (error as { code?: string }).code;
    return {
      code: code === 'DISCLOSURE_UNMATCHED' ? code : 'DISCLOSURE_INVALID',
      detail: `a kept disclosure does not match its entry: ${(error as Error).message}`,
    };
  }
  const misfiled = revealed.disclosed.find(
    (found, i) => found.in !== stored[i]?.in || found.name !== stored[i]?.name,
  );
  if (misfiled)
    return {
      code: 'DISCLOSURE_UNMATCHED',
      detail: `the disclosure of ${misfiled.in}.${misfiled.name} is filed under another field`,
    };
  const missing = revealed.withheld.actor.length + revealed.withheld.data.length;
  if (missing > 0)
    return {
      code: 'DISCLOSURE_MISSING',
      detail: `${missing} withheld fields of the entry have no kept disclosure`,
    };
  return undefined;
}
