import { expect } from 'chai';
import fc from 'fast-check';
import { parseEntry, SUBJECT_TYPES } from '../../src/ledger';
import { isWellFormedEntry } from '../../src/log/entry-check';

/*
 * The audit's hand-written entry check against parseEntry (zod): on random
 * valid entries of both versions and on entries broken one member at a time,
 * both must judge alike. The audit only trusts the fast check's yes; this
 * holds its no too.
 */

const zodAccepts = (value: unknown) => {
  try {
    parseEntry(value);
    return true;
  } catch {
    return false;
  }
};

const hash = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('base64'));
const instant = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => date.toISOString());
/** Member names of valid entries: any string but `__proto__`, which no entry holds (parseEntry refuses it). */
const memberName = fc.string().filter((name) => name !== '__proto__');
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.maxSafeInteger(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(memberName, tie('value'), { maxKeys: 3 }),
  ),
})).value;

const frame = {
  log: fc.string({ minLength: 1, maxLength: 255 }),
  subject: fc.record({
    type: fc.constantFrom(...SUBJECT_TYPES),
    id: fc.string({ minLength: 1, maxLength: 128 }),
  }),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  prev: hash,
  type: fc.constantFrom('case.opened', 'a', 'z9_.b', 'custody.analysed'),
  at: instant,
};
const agency = fc.string({ minLength: 1, maxLength: 32 });
const role = fc.string({ minLength: 1, maxLength: 32 });

const validEntryV1 = fc
  .record({
    ...frame,
    actor: fc.record({ sub: fc.string({ minLength: 1, maxLength: 255 }), agency, role }),
    data: fc.dictionary(memberName, json, { maxKeys: 4 }),
  })
  .map((entry) => ({ v: 1, ...entry, prev: entry.seq === 1 ? null : entry.prev }));

/** A disclosure digest as `_sd` lists it: base64url SHA-256, no padding. */
const digest = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('base64url'));
/** `_sd`: sorted, each once, at least one. */
const digestList = fc.uniqueArray(digest, { minLength: 1, maxLength: 5 }).map((digests) => digests.sort());

/** Version 2 (formats.md §1.1): the actor withholds its person; data has `_sd_alg`, and `_sd` if it withholds. */
const validEntryV2 = fc
  .record({
    ...frame,
    actor: fc.record({ agency, role, _sd: digestList }),
    data: fc.record(
      {
        clear: fc.dictionary(
          memberName.filter((name) => name !== '_sd' && name !== '_sd_alg'),
          json,
          { maxKeys: 4 },
        ),
        _sd: digestList,
      },
      { requiredKeys: ['clear'] },
    ),
  })
  .map(({ data: { clear, ...withheld }, ...entry }) => ({
    v: 2,
    ...entry,
    prev: entry.seq === 1 ? null : entry.prev,
    data: { ...clear, ...withheld, _sd_alg: 'sha-256' },
  }));

const validEntry = fc.oneof(validEntryV1, validEntryV2);

/** A value that breaks, or happens to keep, what a member must be. */
const oddValue = fc.oneof(
  json,
  fc.constantFrom(
    undefined,
    0,
    1,
    2,
    -1,
    1.5,
    Number.MAX_SAFE_INTEGER + 1,
    '',
    'x'.repeat(33),
    'x'.repeat(65),
    'x'.repeat(129),
    'x'.repeat(256),
    'Case.Opened',
    'a..b',
    '2026-02-30T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00.000+00:00',
    `${'A'.repeat(43)}=`,
    `${'A'.repeat(42)}B=`,
    'A'.repeat(44),
    [],
    {},
    { type: 'case', id: 'x', extra: 1 },
    { type: 'case' },
    { sub: 's', agency: 'a', role: 'r' },
    { sub: 's', agency: 'a', role: 'r', x: null },
    { a: [1, 2.5] },
    { a: { b: [Number.MAX_SAFE_INTEGER + 2] } },
    'sha-256',
    'SHA-256',
    { agency: 'a', role: 'r', _sd: [`${'A'.repeat(42)}B`] },
    { agency: 'a', role: 'r', _sd: [] },
    [`${'B'.repeat(43)}`, `${'A'.repeat(43)}`],
    [`${'A'.repeat(43)}`, `${'A'.repeat(43)}`],
    [`${'A'.repeat(42)}=`],
    [`${'A'.repeat(42)}+`],
    ['A'.repeat(44)],
    [`${'A'.repeat(43)}`, 7],
  ),
  hash,
  instant,
  digest,
  digestList,
  fc.array(digest, { minLength: 2, maxLength: 3 }),
);

const MEMBERS = ['v', 'log', 'subject', 'seq', 'prev', 'type', 'at', 'actor', 'data'];

/** The entry with one member (or one member of subject or actor) replaced, removed or added. */
const brokenEntry = fc
  .tuple(
    validEntry,
    fc.constantFrom(
      ...MEMBERS,
      'subject.type',
      'subject.id',
      'actor.sub',
      'actor.role',
      'actor._sd',
      'data._sd',
      'data._sd_alg',
      'actor.__proto__',
      'data.__proto__',
      'extra',
      '__proto__',
    ),
    oddValue,
  )
  .map(([entry, member, value]) => {
    const broken = JSON.parse(JSON.stringify(entry));
    const [outer, inner] = member.split('.') as [string, string | undefined];
    const target = inner ? broken[outer] : broken;
    const key = inner ?? outer;
    if (value === undefined) delete target[key];
    else Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
    // As the audit sees it: what JSON.parse gives back for the bytes.
    return JSON.parse(JSON.stringify(broken));
  });

describe('the audit entry check against parseEntry', () => {
  it('accepts every valid entry of either version that parseEntry accepts', () => {
    fc.assert(
      fc.property(validEntry, (entry) => {
        expect(zodAccepts(entry)).to.equal(true);
        expect(isWellFormedEntry(entry)).to.equal(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('judges entries broken one member at a time as parseEntry does', () => {
    fc.assert(
      fc.property(brokenEntry, (entry) => {
        expect(isWellFormedEntry(entry), JSON.stringify(entry)).to.equal(zodAccepts(entry));
      }),
      { numRuns: 10000 },
    );
  });

  it('judges any JSON value as parseEntry does', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(isWellFormedEntry(value)).to.equal(zodAccepts(value));
      }),
      { numRuns: 1000 },
    );
  });
});
