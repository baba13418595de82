import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/data-source';
import { LogRepository } from '../../src/db/log.repository';
import {
  appendLeaves,
  type CompactRange,
  compactRoot,
  EMPTY_RANGE,
  emptyRoot,
  encodeDisclosure,
  noteSigner,
  signCheckpoint,
} from '../../src/ledger';
import { type AuditOptions, type AuditReport, auditLedger } from '../../src/log/ledger-audit';
import { sequenceEntries, storedEntryOf, withhold } from '../../src/log/sequence';
import { withScratchDatabase } from '../support/database';

/*
 * Every check of the ledger audit, one tampering at a time, each named by the
 * first failing index and code. The log: 40 entries over three case chains
 * (entry i belongs to chain i % 3), signed every 5 entries.
 */

const ORIGIN = 'test.example/audit';
const SIZE = 40;
const BATCH = 5;
const signer = noteSigner(ORIGIN, randomBytes(32));
const subjectOf = (i: number) => `00000000-0000-4000-8000-00000000000${i % 3}`;

/** Writes the log straight into the tables, as the sequencer would, and returns the compact range at each signed size. */
async function buildLog(db: DataSource): Promise<Map<number, CompactRange>> {
  const log = new LogRepository(db);
  const empty = emptyRoot();
  await log.createHead(db, {
    origin: ORIGIN,
    size: 0,
    root: empty,
    checkpoint: signCheckpoint({ origin: ORIGIN, size: 0, root: empty }, signer),
  });
  const heads = new Map<string, { seq: number; leafHash: Uint8Array }>();
  const ranges = new Map<number, CompactRange>([[0, EMPTY_RANGE]]);
  let range = EMPTY_RANGE;
  for (let start = 0; start < SIZE; start += BATCH) {
    const requests = Array.from({ length: BATCH }, (_, i) => ({
      subject: { type: 'case' as const, id: subjectOf(start + i) },
      type: 'case.noted',
      actor: { sub: 'auditor', agency: 'TEST', role: 'investigator' },
      data: { note: `entry ${start + i}`, tags: ['a', 1, true, null, { b: [] }] },
    }));
    const sequenced = sequenceEntries(
      ORIGIN,
      start,
      // In the clear, so that tampering with the data can be aimed at its text.
      requests.map((request) => withhold(request, { 'case.noted': ['note', 'tags'] })),
      (_type, id) => heads.get(id),
      new Date(Date.UTC(2026, 0, 1) + start),
    );
    for (const s of sequenced) heads.set(s.entry.subject.id, { seq: s.entry.seq, leafHash: s.leafHash });
    const integrated = appendLeaves(
      range,
      sequenced.map((s) => s.leafHash),
    );
    range = integrated.range;
    ranges.set(range.size, range);
    await log.appendBatch(db, sequenced.map(storedEntryOf), integrated.created, {
      origin: ORIGIN,
      size: range.size,
      root: integrated.root,
      checkpoint: signCheckpoint({ origin: ORIGIN, size: range.size, root: integrated.root }, signer),
    });
  }
  return ranges;
}

/** Builds the log, lets `tamper` change the tables as their owner could, and audits the result. */
async function audit(
  tamper: (db: DataSource) => Promise<unknown> = async () => {},
  options: (ranges: Map<number, CompactRange>) => AuditOptions = () => ({}),
): Promise<AuditReport> {
  return withScratchDatabase(async (url) => {
    const db = await openDatabase(url);
    try {
      const ranges = await buildLog(db);
      for (const table of ['log_entries', 'log_nodes', 'log_checkpoints', 'log_head'])
        await db.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
      await tamper(db);
      return await auditLedger(new LogRepository(db), signer, options(ranges));
    } finally {
      await db.destroy();
    }
  });
}

/** Replaces text in entry `index`'s bytes; with `rehash`, its stored leaf hash follows. */
const rewrite = (db: DataSource, index: number, from: string, to: string, rehash = false) =>
  db
    .query(
      `UPDATE log_entries SET leaf_data = convert_to(replace(convert_from(leaf_data, 'UTF8'), $2, $3), 'UTF8')
      WHERE idx = $1`,
      [index, from, to],
    )
    .then(() =>
      rehash
        ? db.query(`UPDATE log_entries SET leaf_hash = sha256('\\x00'::bytea || leaf_data) WHERE idx = $1`, [
            index,
          ])
        : undefined,
    );

/** Replaces the disclosures kept with entry `index` (its only one: the person's). */
const keepDisclosure = (
  db: DataSource,
  index: number,
  place: { in: string; name: string },
  disclosure: string,
) =>
  db.query('UPDATE log_entries SET disclosures = $2::jsonb WHERE idx = $1', [
    index,
    JSON.stringify([{ ...place, disclosure }]),
  ]);

const failure = (report: AuditReport) =>
  report.failure && { index: report.failure.index, code: report.failure.code };

describe('the ledger audit, check by check', function () {
  this.timeout(120_000);

  it('when nothing is tampered with, then every entry and checkpoint verifies', async () => {
    const report = await audit();
    expect(report).to.include({
      ok: true,
      from: 0,
      size: SIZE,
      entries: SIZE,
      checkpoints: SIZE / BATCH + 1,
    });
  });

  describe('entries', () => {
    const cases: Array<[string, (db: DataSource) => Promise<unknown>, number, string, RegExp]> = [
      [
        'the stored leaf hash is changed',
        (db) => db.query(`UPDATE log_entries SET leaf_hash = sha256('x') WHERE idx = 17`),
        17,
        'LEAF_HASH_MISMATCH',
        /leaf hash/,
      ],
      [
        'the bytes are not JSON',
        (db) => db.query(`UPDATE log_entries SET leaf_data = 'not json'::bytea WHERE idx = 17`),
        17,
        'ENTRY_INVALID',
        /well-formed/,
      ],
      [
        'the bytes are not UTF-8',
        (db) => db.query(`UPDATE log_entries SET leaf_data = '\\xff'::bytea || leaf_data WHERE idx = 17`),
        17,
        'ENTRY_INVALID',
        /well-formed/,
      ],
      [
        'the entry breaks its schema',
        (db) => rewrite(db, 17, '"v":2', '"v":3'),
        17,
        'ENTRY_INVALID',
        /well-formed/,
      ],
      [
        'an actor member is empty',
        (db) => rewrite(db, 17, '"role":"investigator"', '"role":""'),
        17,
        'ENTRY_INVALID',
        /well-formed/,
      ],
      [
        'the time is not a real instant',
        (db) => rewrite(db, 17, '"at":"2026-01-01', '"at":"2026-02-30'),
        17,
        'ENTRY_INVALID',
        /well-formed/,
      ],
      [
        'the data holds a fraction',
        (db) => rewrite(db, 17, '"tags":["a",1,', '"tags":["a",1.5,'),
        17,
        'ENTRY_INVALID',
        /well-formed/,
      ],
      [
        'the bytes gain white space',
        (db) => rewrite(db, 17, '"v":2', '"v": 2', true),
        17,
        'ENTRY_INVALID',
        /canonical/,
      ],
      [
        'the bytes gain a byte-order mark',
        (db) => db.query(`UPDATE log_entries SET leaf_data = '\\xefbbbf'::bytea || leaf_data WHERE idx = 17`),
        17,
        'ENTRY_INVALID',
        /canonical/,
      ],
      [
        'two keys swap places',
        (db) =>
          rewrite(db, 17, '"agency":"TEST","role":"investigator"', '"role":"investigator","agency":"TEST"'),
        17,
        'ENTRY_INVALID',
        /canonical/,
      ],
      [
        'a character is escaped',
        (db) => rewrite(db, 17, '"entry 17"', '"entry \\u0031\\u0037"'),
        17,
        'ENTRY_INVALID',
        /canonical/,
      ],
      [
        'the subject column is changed',
        (db) => db.query(`UPDATE log_entries SET subject_id = 'other' WHERE idx = 17`),
        17,
        'ENTRY_INVALID',
        /columns/,
      ],
      [
        'the time column is changed',
        (db) => db.query(`UPDATE log_entries SET at = at + interval '1 ms' WHERE idx = 17`),
        17,
        'ENTRY_INVALID',
        /columns/,
      ],
      [
        'the type column is changed',
        (db) => db.query(`UPDATE log_entries SET entry_type = 'case.opened' WHERE idx = 17`),
        17,
        'ENTRY_INVALID',
        /columns/,
      ],
      [
        'the seq column is changed',
        (db) => db.query('UPDATE log_entries SET seq = seq + 100 WHERE idx = 17'),
        17,
        'ENTRY_INVALID',
        /columns/,
      ],
      [
        'the prev column is changed',
        (db) => db.query(`UPDATE log_entries SET prev = sha256('x') WHERE idx = 17`),
        17,
        'ENTRY_INVALID',
        /columns/,
      ],
      [
        'an entry is deleted',
        (db) => db.query('DELETE FROM log_entries WHERE idx = 17'),
        17,
        'ENTRY_MISSING',
        /missing/,
      ],
      [
        'the last entry is deleted',
        (db) => db.query('DELETE FROM log_entries WHERE idx = 39'),
        39,
        'ENTRY_MISSING',
        /missing/,
      ],
      [
        'a seq is skipped, bytes, hash and columns alike',
        async (db) => {
          await rewrite(db, 17, '"seq":6', '"seq":60', true);
          await db.query('UPDATE log_entries SET seq = 60 WHERE idx = 17');
        },
        17,
        'CHAIN_BROKEN',
        /seq 60 does not follow 5/,
      ],
      [
        'prev names another entry, bytes, hash and columns alike',
        async (db) => {
          const [other] = await db.query(
            `SELECT encode(leaf_hash, 'base64') AS h FROM log_entries WHERE idx = 3`,
          );
          const [own] = await db.query(`SELECT encode(prev, 'base64') AS h FROM log_entries WHERE idx = 17`);
          await rewrite(db, 17, own.h, other.h, true);
          await db.query(
            'UPDATE log_entries SET prev = (SELECT leaf_hash FROM log_entries WHERE idx = 3) WHERE idx = 17',
          );
        },
        17,
        'CHAIN_BROKEN',
        /prev/,
      ],
      [
        'an entry is rewritten with its hash, so only the tree betrays it',
        (db) => rewrite(db, 17, '"entry 17"', '"entry 71"', true),
        19,
        'ROOT_MISMATCH',
        /size 20/,
      ],
      [
        'the stored disclosure of the person is replaced by another well-formed one',
        (db) =>
          keepDisclosure(
            db,
            17,
            { in: 'actor', name: 'sub' },
            encodeDisclosure('AAAAAAAAAAAAAAAAAAAAAA', 'sub', 'mallory'),
          ),
        17,
        'DISCLOSURE_UNMATCHED',
        /does not match/,
      ],
      [
        'the stored disclosure of the person has a salt of 40 bits',
        (db) =>
          keepDisclosure(
            db,
            17,
            { in: 'actor', name: 'sub' },
            Buffer.from(JSON.stringify(['c2FsdA', 'sub', 'auditor'])).toString('base64url'),
          ),
        17,
        'DISCLOSURE_INVALID',
        /does not match/,
      ],
      [
        'the stored disclosure is filed under another name',
        (db) =>
          db.query(
            `UPDATE log_entries SET disclosures = jsonb_set(disclosures, '{0,name}', '"agency"') WHERE idx = 17`,
          ),
        17,
        'DISCLOSURE_UNMATCHED',
        /another field/,
      ],
      [
        'the stored disclosure is deleted',
        (db) => db.query(`UPDATE log_entries SET disclosures = '[]' WHERE idx = 17`),
        17,
        'DISCLOSURE_MISSING',
        /no kept disclosure/,
      ],
    ];
    for (const [when, tamper, index, code, detail] of cases) {
      it(`when ${when}, then it fails with ${code} at ${index}`, async () => {
        const report = await audit(tamper);
        expect(report.ok).to.equal(false);
        expect(failure(report)).to.deep.equal({ index, code });
        expect(report.failure?.detail).to.match(detail);
      });
    }
  });

  describe('tree, checkpoints and head', () => {
    const cases: Array<[string, (db: DataSource) => Promise<unknown>, number | null, string]> = [
      [
        'an interior node is changed',
        (db) => db.query(`UPDATE log_nodes SET hash = sha256('x') WHERE level = 2 AND idx = 3`),
        12,
        'NODE_MISMATCH',
      ],
      [
        'a leaf node is changed',
        (db) => db.query(`UPDATE log_nodes SET hash = sha256('x') WHERE level = 0 AND idx = 5`),
        5,
        'NODE_MISMATCH',
      ],
      [
        'a node is a byte short',
        async (db) => {
          await db.query('ALTER TABLE log_nodes DROP CONSTRAINT log_nodes_hash_check');
          await db.query('UPDATE log_nodes SET hash = substring(hash from 2) WHERE level = 1 AND idx = 9');
        },
        18,
        'NODE_MISMATCH',
      ],
      [
        'a node is deleted',
        (db) => db.query('DELETE FROM log_nodes WHERE level = 1 AND idx = 4'),
        8,
        'NODE_MISSING',
      ],
      [
        'the highest node is deleted',
        (db) => db.query('DELETE FROM log_nodes WHERE level = 5 AND idx = 0'),
        0,
        'NODE_MISSING',
      ],
      [
        "a checkpoint's root column is changed",
        (db) => db.query(`UPDATE log_checkpoints SET root = sha256('x') WHERE size = 20`),
        null,
        'CHECKPOINT_INVALID',
      ],
      [
        "a checkpoint's note is changed",
        (db) =>
          db.query(
            `UPDATE log_checkpoints SET note = replace(note, E'\\n20\\n', E'\\n21\\n') WHERE size = 20`,
          ),
        null,
        'SIGNATURE_INVALID',
      ],
      [
        'the head root is changed',
        (db) => db.query(`UPDATE log_head SET root = sha256('x')`),
        null,
        'LOG_INCONSISTENT',
      ],
    ];
    for (const [when, tamper, index, code] of cases) {
      it(`when ${when}, then it fails with ${code} at ${index}`, async () => {
        const report = await audit(tamper);
        expect(report.ok).to.equal(false);
        expect(failure(report)).to.deep.equal({ index, code });
      });
    }
  });

  describe('from a verified point', () => {
    const at20 = (ranges: Map<number, CompactRange>) => ({
      from: { size: 20, root: compactRoot(ranges.get(20) as CompactRange) },
    });

    it('when the log is intact, then only the newer entries are checked', async () => {
      const report = await audit(undefined, at20);
      expect(report).to.include({ ok: true, from: 20, entries: 20, checkpoints: 5 });
    });

    it('when an older entry is tampered with, then it is not read again', async () => {
      const report = await audit(
        (db) => db.query(`UPDATE log_entries SET leaf_hash = sha256('x') WHERE idx = 3`),
        at20,
      );
      expect(report.ok).to.equal(true);
    });

    it('when a chain link reaches back before the point, then it is still checked', async () => {
      const report = await audit(async (db) => {
        // Entry 22's predecessor in its chain is entry 19, before the point.
        const [other] = await db.query(
          `SELECT encode(leaf_hash, 'base64') AS h FROM log_entries WHERE idx = 0`,
        );
        const [own] = await db.query(`SELECT encode(prev, 'base64') AS h FROM log_entries WHERE idx = 22`);
        await rewrite(db, 22, own.h, other.h, true);
        await db.query(
          'UPDATE log_entries SET prev = (SELECT leaf_hash FROM log_entries WHERE idx = 0) WHERE idx = 22',
        );
      }, at20);
      expect(failure(report)).to.deep.equal({ index: 22, code: 'CHAIN_BROKEN' });
    });

    const cases: Array<[string, (db: DataSource) => Promise<unknown>, AuditOptions['from'], string]> = [
      [
        "the point's root is not the signed one",
        async () => {},
        { size: 20, root: new Uint8Array(32) },
        'ROOT_MISMATCH',
      ],
      [
        'the point is beyond the log',
        async () => {},
        { size: 45, root: new Uint8Array(32) },
        'LOG_INCONSISTENT',
      ],
      [
        "a node of the point's tree is changed",
        (db) => db.query(`UPDATE log_nodes SET hash = sha256('x') WHERE level = 2 AND idx = 4`),
        undefined,
        'NODE_MISMATCH',
      ],
      [
        "a node of the point's tree is deleted",
        (db) => db.query('DELETE FROM log_nodes WHERE level = 4 AND idx = 0'),
        undefined,
        'NODE_MISSING',
      ],
    ];
    for (const [when, tamper, from, code] of cases) {
      it(`when ${when}, then it fails with ${code}`, async () => {
        const report = await audit(tamper, (ranges) => (from ? { from } : at20(ranges)));
        expect(failure(report)).to.deep.equal({ index: null, code });
      });
    }
  });
});

describe('the ledger audit, across small pages', function () {
  this.timeout(120_000);
  // Pages of 3 and 8 entries: chains, tree nodes and signed sizes all cross page boundaries.
  for (const [pageSize, workers] of [
    [3, 2],
    [8, 1],
  ] as const) {
    const small = (options: AuditOptions = {}) => ({ ...options, pageSize, workers });
    const cases: Array<[string, (db: DataSource) => Promise<unknown>, AuditReport['failure'] | undefined]> = [
      ['nothing is tampered with', async () => {}, undefined],
      [
        'a stored leaf hash is changed',
        (db) => db.query(`UPDATE log_entries SET leaf_hash = sha256('x') WHERE idx = 17`),
        { index: 17, code: 'LEAF_HASH_MISMATCH', detail: 'stored leaf hash is not the hash of the entry' },
      ],
      [
        'an entry is deleted',
        (db) => db.query('DELETE FROM log_entries WHERE idx = 17'),
        { index: 17, code: 'ENTRY_MISSING', detail: 'entry 17 is missing' },
      ],
      [
        'an entry is rewritten with its hash',
        (db) => rewrite(db, 17, '"entry 17"', '"entry 71"', true),
        { index: 19, code: 'ROOT_MISMATCH', detail: 'the tree of size 20 is not the signed one' },
      ],
      [
        'a node spanning pages is changed',
        (db) => db.query(`UPDATE log_nodes SET hash = sha256('x') WHERE level = 3 AND idx = 2`),
        { index: 16, code: 'NODE_MISMATCH', detail: 'stored tree node 3/2 is wrong' },
      ],
      [
        'the highest node is deleted',
        (db) => db.query('DELETE FROM log_nodes WHERE level = 5 AND idx = 0'),
        { index: 0, code: 'NODE_MISSING', detail: 'tree node 5/0 is missing' },
      ],
      [
        'a leaf node is changed and a later entry too',
        async (db) => {
          await db.query(`UPDATE log_nodes SET hash = sha256('x') WHERE level = 0 AND idx = 6`);
          await db.query(`UPDATE log_entries SET leaf_hash = sha256('x') WHERE idx = 12`);
        },
        { index: 6, code: 'NODE_MISMATCH', detail: 'stored tree node 0/6 is wrong' },
      ],
      [
        'an entry is changed and a later node too',
        async (db) => {
          await db.query(`UPDATE log_nodes SET hash = sha256('x') WHERE level = 0 AND idx = 12`);
          await db.query(`UPDATE log_entries SET leaf_hash = sha256('x') WHERE idx = 11`);
        },
        { index: 11, code: 'LEAF_HASH_MISMATCH', detail: 'stored leaf hash is not the hash of the entry' },
      ],
    ];
    for (const [when, tamper, expected] of cases) {
      it(`in pages of ${pageSize} on ${workers} worker(s), when ${when}, then it reports ${expected?.code ?? 'no failure'}`, async () => {
        const report = await audit(tamper, () => small());
        expect(report.failure).to.deep.equal(expected);
        if (!expected) expect(report).to.include({ ok: true, entries: SIZE });
      });
    }
    it(`in pages of ${pageSize}, when a chain link reaches back before a verified point, then it is still checked`, async () => {
      const report = await audit(
        async (db) => {
          const [other] = await db.query(
            `SELECT encode(leaf_hash, 'base64') AS h FROM log_entries WHERE idx = 0`,
          );
          const [own] = await db.query(`SELECT encode(prev, 'base64') AS h FROM log_entries WHERE idx = 22`);
          await rewrite(db, 22, own.h, other.h, true);
          await db.query(
            'UPDATE log_entries SET prev = (SELECT leaf_hash FROM log_entries WHERE idx = 0) WHERE idx = 22',
          );
        },
        (ranges) => small({ from: { size: 20, root: compactRoot(ranges.get(20) as CompactRange) } }),
      );
      expect(report.failure?.code).to.equal('CHAIN_BROKEN');
      expect(report.failure?.index).to.equal(22);
    });
  }
});
