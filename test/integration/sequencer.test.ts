import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/data-source';
import { LogRepository } from '../../src/db/log.repository';
import { LedgerError } from '../../src/errors';
import {
  fromUtf8,
  type NoteSigner,
  noteSigner,
  openCheckpoint,
  parseEntry,
  verifyChain,
  verifyInclusion,
} from '../../src/ledger';
import { type DomainWriter, domainWrite } from '../../src/log/domain-write';
import { auditLedger } from '../../src/log/ledger-audit';
import { type Appended, type AppendRequest, Sequencer } from '../../src/log/sequencer';
import { createLogger } from '../../src/logger';
import { withScratchDatabase } from '../support/database';
import { revealedChain } from '../support/revealed';

const ORIGIN = 'test.example/custody';

/** A domain writer that inserts agency codes; the table's CHECK refuses malformed ones. */
const agencyWriter: DomainWriter<string> = {
  writeAll: async (tx, codes) => {
    await tx.query('INSERT INTO agencies (code) SELECT unnest($1::text[])', [codes]);
  },
};
const logger = createLogger('silent');

function request(subjectId: string, n: number): AppendRequest {
  return {
    subject: { type: 'evidence', id: subjectId },
    type: 'custody.analysed',
    actor: { sub: 'analyst', agency: 'AZ-SSS', role: 'custodian' },
    data: { purpose: `analysis ${n}` },
  };
}

/** Runs `count` tasks with at most `parallel` in flight, as concurrent clients would. */
async function inParallel<T>(count: number, parallel: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

function expectVerifies(appended: Appended, signer: NoteSigner): void {
  const checkpoint = openCheckpoint(appended.checkpoint, signer);
  expect(checkpoint.size).to.equal(appended.treeSize);
  verifyInclusion(appended.index, checkpoint.size, appended.leafHash, appended.proof, checkpoint.root);
}

async function chainOf(db: DataSource, subjectId: string) {
  const stored = await new LogRepository(db).chain('evidence', subjectId);
  return stored.map((entry) => parseEntry(JSON.parse(fromUtf8(entry.leafData))));
}

describe('the sequencer on PostgreSQL', () => {
  const signer = noteSigner(ORIGIN, randomBytes(32));
  const open = (db: DataSource, maxBatch = 64) =>
    Sequencer.open(db, new LogRepository(db), signer, { maxBatch, maxQueue: 100_000 }, logger);

  it('when 50 writers append to one subject at once, then its chain is gap-free and fork-free and every answer verifies', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db);
        const subject = randomUUID();
        const answers = await inParallel(50, 50, (i) => sequencer.append(request(subject, i)));
        for (const appended of answers) expectVerifies(appended, signer);
        const chain = await chainOf(db, subject);
        expect(chain.map((entry) => entry.seq)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(verifyChain(chain)).to.be.a('string');
        expect((await auditLedger(new LogRepository(db), signer)).ok).to.equal(true);
      } finally {
        await db.destroy();
      }
    });
  });

  it('when unreceipted records and receipted appends share batches, then both are in the log, chained, and every receipt verifies', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db);
        const subject = randomUUID();
        const answers = await inParallel(60, 30, async (i) =>
          i % 3 === 0 ? sequencer.append(request(subject, i)) : sequencer.record(request(subject, i)),
        );
        for (const appended of answers.filter((answer) => answer !== undefined)) {
          expectVerifies(appended, signer);
        }
        const chain = await chainOf(db, subject);
        expect(chain.map((entry) => entry.seq)).to.deep.equal(Array.from({ length: 60 }, (_, i) => i + 1));
        verifyChain(chain);
        expect(await auditLedger(new LogRepository(db), signer)).to.include({ ok: true, entries: 60 });
      } finally {
        await db.destroy();
      }
    });
  });

  it('when one request of a batch holds text that cannot be stored, then it alone is refused and the others commit', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db);
        const subject = randomUUID();
        const poisoned: AppendRequest[] = [
          { ...request(subject, 0), data: { purpose: 'lone \ud800 surrogate' } },
          { ...request(subject, 0), subject: { type: 'evidence', id: 'nul\u0000id' } },
          { ...request(subject, 0), type: '' },
        ];
        const outcomes = await Promise.allSettled([
          ...Array.from({ length: 30 }, (_, i) => sequencer.append(request(subject, i))),
          ...poisoned.map((bad) => sequencer.append(bad)),
        ]);
        expect(outcomes.slice(0, 30).map((o) => o.status)).to.deep.equal(Array(30).fill('fulfilled'));
        expect(
          outcomes
            .slice(30)
            .map((o) => (o.status === 'rejected' ? (o.reason as LedgerError).code : o.status)),
        ).to.deep.equal(['ENTRY_INVALID', 'ENTRY_INVALID', 'ENTRY_INVALID']);
        expect(await chainOf(db, subject)).to.have.length(30);
        expect((await auditLedger(new LogRepository(db), signer)).ok).to.equal(true);
      } finally {
        await db.destroy();
      }
    });
  });

  it('when 50 writers append across 1,000 subjects, then every chain links and the whole log audits clean', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db);
        const subjects = Array.from({ length: 1000 }, () => randomUUID());
        const answers = await inParallel(2000, 50, (i) =>
          sequencer.append(request(subjects[i % 1000] as string, i)),
        );
        for (const appended of answers) expectVerifies(appended, signer);
        expect(new Set(answers.map((a) => a.index)).size).to.equal(2000);
        for (const subject of subjects.slice(0, 25)) {
          const chain = await chainOf(db, subject);
          expect(chain.map((entry) => entry.seq)).to.deep.equal([1, 2]);
          verifyChain(chain);
        }
        const report = await auditLedger(new LogRepository(db), signer);
        expect(report).to.include({ ok: true, size: 2000, entries: 2000 });
      } finally {
        await db.destroy();
      }
    });
  });

  it('when two processes share the database and append to the same subjects, then they never fork', async () => {
    await withScratchDatabase(async (url) => {
      const [one, two] = [await openDatabase(url), await openDatabase(url)];
      try {
        const [first, second] = [await open(one, 8), await open(two, 8)];
        const subjects = Array.from({ length: 5 }, () => randomUUID());
        const answers = await inParallel(200, 40, (i) =>
          (i % 2 === 0 ? first : second).append(request(subjects[i % 5] as string, i)),
        );
        for (const appended of answers) expectVerifies(appended, signer);
        for (const subject of subjects) {
          const chain = await chainOf(one, subject);
          expect(chain).to.have.length(40);
          verifyChain(chain);
        }
        expect((await auditLedger(new LogRepository(one), signer)).ok).to.equal(true);
      } finally {
        await Promise.all([one.destroy(), two.destroy()]);
      }
    });
  });

  it('when one write of a multi-subject change fails, then none of the change commits and the rest of the batch does', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db);
        const [caseSubject, item, other] = [randomUUID(), randomUUID(), randomUUID()];
        const outcomes = await Promise.allSettled([
          sequencer.append({ ...request(other, 1), write: domainWrite(agencyWriter, 'FR-OK') }),
          sequencer.appendAll([
            { ...request(caseSubject, 1), write: domainWrite(agencyWriter, 'AZ-CHANGE') },
            { ...request(item, 1), write: domainWrite(agencyWriter, 'not valid') },
          ]),
          sequencer.append({ ...request(other, 2), write: domainWrite(agencyWriter, 'IT-OK') }),
        ]);
        expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
        expect(await chainOf(db, caseSubject)).to.deep.equal([]);
        expect(await chainOf(db, item)).to.deep.equal([]);
        expect((await chainOf(db, other)).map((e) => e.seq)).to.deep.equal([1, 2]);
        const agencies = await db.query(
          "SELECT code FROM agencies WHERE code IN ('AZ-CHANGE', 'FR-OK', 'IT-OK') ORDER BY code",
        );
        expect(agencies.map((row: { code: string }) => row.code)).to.deep.equal(['FR-OK', 'IT-OK']);
        expect((await auditLedger(new LogRepository(db), signer)).ok).to.equal(true);
      } finally {
        await db.destroy();
      }
    });
  });

  it('when a change has more entries than a batch holds, then they still commit together under one checkpoint', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db, 4);
        const subjects = Array.from({ length: 10 }, () => randomUUID());
        const [before, change] = await Promise.all([
          sequencer.append(request(randomUUID(), 0)),
          sequencer.appendAll(subjects.map((subject, i) => request(subject, i))),
        ]);
        for (const appended of change) expectVerifies(appended, signer);
        expect(new Set(change.map((appended) => appended.treeSize)).size).to.equal(1);
        expect(change.map((appended) => appended.index)).to.deep.equal(
          Array.from({ length: 10 }, (_, i) => (change[0]?.index as number) + i),
        );
        expect(before.index).to.be.lessThan(change[0]?.index as number);
      } finally {
        await db.destroy();
      }
    });
  });

  it('when a request’s domain write fails, then only that request fails and it leaves no entry', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db);
        const subject = randomUUID();
        const outcomes = await Promise.allSettled([
          sequencer.append(request(subject, 1)),
          sequencer.append({ ...request(subject, 2), write: domainWrite(agencyWriter, 'AZ-OK') }),
          sequencer.append({ ...request(subject, 3), write: domainWrite(agencyWriter, 'not valid') }),
          sequencer.append({ ...request(subject, 4), write: domainWrite(agencyWriter, 'DE-OK') }),
        ]);
        expect(outcomes.map((o) => o.status)).to.deep.equal([
          'fulfilled',
          'fulfilled',
          'rejected',
          'fulfilled',
        ]);
        const chain = await revealedChain(db, 'evidence', subject);
        expect(chain.map((e) => e.data.purpose)).to.deep.equal(['analysis 1', 'analysis 2', 'analysis 4']);
        verifyChain(chain.map((e) => e.entry));
        const agencies = await db.query(
          "SELECT code FROM agencies WHERE code IN ('AZ-OK', 'DE-OK') ORDER BY code",
        );
        expect(agencies.map((row: { code: string }) => row.code)).to.deep.equal(['AZ-OK', 'DE-OK']);
      } finally {
        await db.destroy();
      }
    });
  });

  it('when anyone tries to change, delete or truncate the log in SQL, then PostgreSQL refuses', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db);
        await sequencer.append(request(randomUUID(), 1));
        for (const sql of [
          "UPDATE log_entries SET entry_type = 'custody.disposed'",
          'DELETE FROM log_entries',
          'TRUNCATE log_entries CASCADE',
          'UPDATE log_nodes SET hash = hash',
          'DELETE FROM log_checkpoints',
          'UPDATE log_head SET size = 0',
          'DELETE FROM log_head',
        ]) {
          let refused: { driverError?: { code?: string } } | undefined;
          await db.query(sql).catch((error) => {
            refused = error;
          });
          expect(refused?.driverError?.code, sql).to.equal('42501');
        }
      } finally {
        await db.destroy();
      }
    });
  });

  it('when a second entry claims an existing seq of a subject, then the database refuses the fork', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const sequencer = await open(db);
        const subject = randomUUID();
        await sequencer.append(request(subject, 1));
        let refused: { driverError?: { code?: string; constraint?: string } } | undefined;
        await db
          .query(
            `INSERT INTO log_entries (idx, leaf_hash, leaf_data, subject_type, subject_id, seq, prev, entry_type, at)
             VALUES (999, $1, 'x', 'evidence', $2, 1, NULL, 'custody.sealed', now())`,
            [randomBytes(32), subject],
          )
          .catch((error) => {
            refused = error;
          });
        expect(refused?.driverError?.code).to.equal('23505');
        expect(refused?.driverError?.constraint).to.equal('log_entries_no_fork_seq');
      } finally {
        await db.destroy();
      }
    });
  });

  it('when the stored tree no longer matches the last checkpoint, then the sequencer halts and signs nothing', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const first = await open(db);
        for (let i = 0; i < 5; i++) await first.append(request(randomUUID(), i));
        await db.query('ALTER TABLE log_nodes DISABLE TRIGGER log_nodes_append_only');
        await db.query("UPDATE log_nodes SET hash = sha256('tampered') WHERE level = 2 AND idx = 0");
        const reopened = await open(db);
        expect(reopened.halted).to.be.a('string');
        let refused: unknown;
        await reopened.append(request(randomUUID(), 9)).catch((error) => {
          refused = error;
        });
        expect(refused).to.be.instanceOf(LedgerError);
        expect((refused as LedgerError).code).to.equal('LOG_INCONSISTENT');
        const report = await auditLedger(new LogRepository(db), signer);
        expect(report.ok).to.equal(false);
        expect(report.failure?.code).to.equal('NODE_MISMATCH');
      } finally {
        await db.destroy();
      }
    });
  });

  it('when a checkpoint was signed by another key, then the sequencer halts instead of signing over it', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        await (await open(db)).append(request(randomUUID(), 1));
        const impostor = await Sequencer.open(
          db,
          new LogRepository(db),
          noteSigner(ORIGIN, randomBytes(32)),
          { maxBatch: 8, maxQueue: 8 },
          logger,
        );
        expect(impostor.halted).to.be.a('string');
      } finally {
        await db.destroy();
      }
    });
  });

  it('when more requests wait than the queue allows, then the extra ones are pushed back, not lost', async () => {
    await withScratchDatabase(async (url) => {
      const db = await openDatabase(url);
      try {
        const small = await Sequencer.open(
          db,
          new LogRepository(db),
          signer,
          { maxBatch: 4, maxQueue: 10 },
          logger,
        );
        const outcomes = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) => small.append(request(randomUUID(), i))),
        );
        const refused = outcomes.filter((o) => o.status === 'rejected');
        expect(refused.length).to.be.greaterThan(0);
        for (const outcome of refused) expect((outcome.reason as LedgerError).code).to.equal('PUSHBACK');
        const accepted = outcomes.filter((o) => o.status === 'fulfilled').length;
        expect((await new LogRepository(db).head())?.size).to.equal(accepted);
      } finally {
        await db.destroy();
      }
    });
  });
});
