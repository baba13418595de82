import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/data-source';
import { LogRepository } from '../../src/db/log.repository';
import { isTransientDependencyFailure } from '../../src/db/pg-errors';
import { LedgerError } from '../../src/errors';
import { type LogEntry, noteSigner, parseVerifierKey, verifyChain } from '../../src/ledger';
import { type DomainWriter, domainWrite } from '../../src/log/domain-write';
import { auditLedger } from '../../src/log/ledger-audit';
import { type AppendRequest, Sequencer } from '../../src/log/sequencer';
import { createLogger } from '../../src/logger';
import { runStatements, withScratchDatabase } from '../support/database';
import { executedRequestFor, openCase, productionOrderBody, uploadItem } from '../support/fixtures';
import { revealedChain } from '../support/revealed';
import {
  startTestService,
  type TestResponse,
  type TestService,
  uniqueAgency,
  uniqueSub,
} from '../support/service';

/**
 * Two batches in flight (the sequencer's pipeline) that lock the same rows in
 * opposite orders deadlock; the fixed lock order of the domain writers (and the
 * sequencer's retry of a batch that lost a deadlock) must keep every such load
 * free of 5xx answers.
 */
describe('concurrent writers on the same rows', function () {
  this.timeout(180_000);

  /** Runs `clients` loops of `rounds` requests each, all at once; returns every answer. */
  async function load(
    clients: number,
    rounds: number,
    request: (client: number, round: number) => Promise<TestResponse>,
  ): Promise<TestResponse[]> {
    const answers: TestResponse[] = [];
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let round = 0; round < rounds; round++) answers.push(await request(client, round));
      }),
    );
    return answers;
  }

  function expectNoServerErrors(answers: readonly TestResponse[], expected: number): void {
    const failed = answers.filter((answer) => answer.status >= 500);
    expect(
      failed.map((answer) => `${answer.status} ${answer.body?.code}`),
      'answers 5xx',
    ).to.deep.equal([]);
    const unexpected = answers.filter((answer) => answer.status !== expected);
    expect(unexpected.length, unexpected[0]?.text).to.equal(0);
  }

  /** Every item's chain links up, and the whole log audits clean under the log key. */
  async function expectVerifiedLog(
    service: TestService,
    url: string,
    token: string,
    items: readonly string[],
  ): Promise<void> {
    for (const id of items) {
      const chain = await service.call('GET', `/v1/evidence/${id}/chain`, { token });
      expect(chain.status).to.equal(200);
      verifyChain(chain.body.entries.map((e: { entry: LogEntry }) => e.entry));
    }
    const logKey = parseVerifierKey((await service.call('GET', '/v1/log/info')).body.vkey);
    const db = await openDatabase(url);
    try {
      const report = await auditLedger(new LogRepository(db), logKey);
      expect(report.ok, JSON.stringify(report.failure)).to.equal(true);
    } finally {
      await db.destroy();
    }
  }

  /**
   * Makes each row write of `tables` take a few milliseconds, as on a loaded
   * server: a batch then still takes its locks while the other batch in flight
   * takes its own, which is when opposite orders deadlock.
   */
  async function slowRowWrites(url: string, tables: readonly string[]): Promise<void> {
    await runStatements(url, [
      `CREATE FUNCTION slow_row_write() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END $$`,
      ...tables.map(
        (table) =>
          `CREATE TRIGGER slow_row_write BEFORE INSERT OR UPDATE ON ${table}
             FOR EACH ROW EXECUTE FUNCTION slow_row_write()`,
      ),
    ]);
  }

  /**
   * Deadlocks PostgreSQL detected in the database, once the service is gone:
   * a backend reports its counts when it exits, so the count is read after the
   * service's connections are closed and while it still changes.
   */
  async function deadlocks(url: string): Promise<number> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const read = async () => {
        await client.query('SELECT pg_stat_clear_snapshot()');
        const [row] = (
          await client.query(
            `SELECT deadlocks, (SELECT count(*) FROM pg_stat_activity
                                  WHERE datname = current_database() AND pid <> pg_backend_pid()) AS others
               FROM pg_stat_database WHERE datname = current_database()`,
          )
        ).rows;
        return { count: Number(row.deadlocks), others: Number(row.others) };
      };
      let last = await read();
      for (let settled = 0; settled < 5; ) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const next = await read();
        settled = next.others === 0 && next.count === last.count ? settled + 1 : 0;
        last = next;
      }
      return last.count;
    } finally {
      await client.end();
    }
  }

  it('when 32 clients record custody events on 2 items at once, then every event is recorded (201, no 5xx) and both chains verify', async () => {
    await withScratchDatabase(async (url) => {
      // Small batches: two of them are in flight at once most of the time, each with both items.
      const service = await startTestService({ DATABASE_URL: url, LOG_MAX_BATCH: '4' });
      try {
        const token = await service.token(uniqueSub('inv'), uniqueAgency(), 'investigator');
        const caseId = await openCase(service, token);
        const items = [await uploadItem(service, token, caseId), await uploadItem(service, token, caseId)];
        await slowRowWrites(url, ['evidence']);
        const sent = new Map(items.map((id) => [id, 0]));
        const answers = await load(32, 8, (client, round) => {
          // Either item, at random: batches then lock them in either order.
          const id = items[Math.round(Math.random())] as string;
          sent.set(id, (sent.get(id) ?? 0) + 1);
          return service.call('POST', `/v1/evidence/${id}/events`, {
            token,
            json: { type: 'custody.analysed', purpose: `client ${client} round ${round}` },
          });
        });
        expectNoServerErrors(answers, 201);
        for (const id of items) {
          const chain = await service.call('GET', `/v1/evidence/${id}/chain`, { token });
          // The acquisition and one entry per event: none lost, none doubled.
          expect(chain.body.entries.length).to.equal(1 + (sent.get(id) ?? 0));
        }
        await expectVerifiedLog(service, url, token, items);
      } finally {
        await service.stop();
      }
      // Not one batch waited on another crosswise: the lock order, not the retry, kept the load clean.
      expect(await deadlocks(url)).to.equal(0);
    });
  });

  it('when custody events, order moves with handovers, grants and disclosures run at once on shared rows, then none answers 5xx and every chain verifies', async () => {
    await withScratchDatabase(async (url) => {
      // The case's agency is the central authority: it discloses under the partner's request it received.
      const agency = uniqueAgency();
      const service = await startTestService({ DATABASE_URL: url, CENTRAL_AUTHORITY: agency });
      try {
        const token = await service.token(uniqueSub('pros'), agency, 'prosecutor', 'investigator');
        const caseId = await openCase(service, token);
        const items: string[] = [];
        for (let i = 0; i < 4; i++) items.push(await uploadItem(service, token, caseId));
        const orders: string[] = [];
        for (let i = 0; i < 6; i++) {
          const order = await service.call('POST', '/v1/orders', {
            token,
            json: productionOrderBody(caseId),
          });
          expect(order.status, order.text).to.equal(201);
          const id = order.body.order.id;
          for (const item of [items[i % 4], items[(i + 1) % 4]]) {
            const linked = await service.call('POST', `/v1/orders/${id}/evidence`, {
              token,
              json: { evidenceId: item },
            });
            expect(linked.status, linked.text).to.equal(201);
          }
          const served = await service.call('POST', `/v1/orders/${id}/transitions`, {
            token,
            json: { to: 'served' },
          });
          expect(served.status, served.text).to.equal(200);
          orders.push(id);
        }
        // Grantee agencies never seen before: each grant records its agency first, as the others do.
        const newAgencies = [uniqueAgency('P'), uniqueAgency('Q'), uniqueAgency('R')];
        const partner = uniqueAgency('DE');
        const partnersRequest = await executedRequestFor(service, token, partner, [
          items[0],
          items[1],
        ] as string[]);
        await slowRowWrites(url, ['evidence', 'orders', 'agencies', 'case_grants', 'disclosures']);

        const expecting = async (expected: number, answers: Promise<TestResponse[]>) =>
          expectNoServerErrors(await answers, expected);
        await Promise.all([
          expecting(
            201,
            load(12, 6, (client, round) =>
              service.call('POST', `/v1/evidence/${items[(client + round) % 4]}/events`, {
                token,
                json: { type: 'custody.analysed', purpose: `client ${client} round ${round}` },
              }),
            ),
          ),
          (async () => {
            // Each order goes back and forth between served and objected, all orders at once...
            const move = (to: (round: number) => string, rounds: number) =>
              load(orders.length, rounds, (client, round) =>
                service.call('POST', `/v1/orders/${orders[client]}/transitions`, {
                  token,
                  json: { to: to(round) },
                }),
              );
            await expecting(
              200,
              move((round) => (round % 2 === 0 ? 'objected' : 'served'), 6),
            );
            // ...then all are produced at once, each move locking its order while the items' chains grow.
            await expecting(
              200,
              move(() => 'produced', 1),
            );
          })(),
          expecting(
            201,
            load(12, 3, (client, round) =>
              service.call('POST', `/v1/cases/${caseId}/grants`, {
                token,
                json: { agency: newAgencies[(client + round) % 3], sub: uniqueSub('member'), role: 'court' },
              }),
            ),
          ),
          expecting(
            201,
            load(6, 3, (client, round) =>
              service.call('POST', `/v1/cases/${caseId}/disclosures`, {
                token,
                json: {
                  recipientAgency: partner,
                  evidenceIds: (client + round) % 2 === 0 ? [items[0], items[1]] : [items[1], items[0]],
                  orderId: partnersRequest,
                },
              }),
            ),
          ),
        ]);
        await expectVerifiedLog(service, url, token, items);
      } finally {
        await service.stop();
      }
    });
  });

  describe('the sequencer, when a batch loses a lock conflict', () => {
    const signer = noteSigner('test.example/custody', randomBytes(32));
    const entry = (subject: string, n: number): AppendRequest => ({
      subject: { type: 'evidence', id: subject },
      type: 'custody.analysed',
      actor: { sub: 'analyst', agency: 'AZ-SSS', role: 'custodian' },
      data: { purpose: `analysis ${n}` },
    });
    /** Inserts agency codes (the table refuses malformed ones), after losing `conflicts` deadlocks as PostgreSQL reports them. */
    const losingWriter = (conflicts: number): DomainWriter<string> => {
      let lost = 0;
      return {
        writeAll: async (tx, codes) => {
          if (lost++ < conflicts)
            await tx.query("DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$");
          await tx.query('INSERT INTO agencies (code) SELECT unnest($1::text[])', [codes]);
        },
      };
    };

    /** A sequencer of its own on a scratch database. */
    const withSequencer = (body: (sequencer: Sequencer, db: DataSource, url: string) => Promise<void>) =>
      withScratchDatabase(async (url) => {
        const db = await openDatabase(url);
        try {
          const sequencer = await Sequencer.open(
            db,
            new LogRepository(db),
            signer,
            { maxBatch: 64, maxQueue: 1000 },
            createLogger('silent'),
          );
          await body(sequencer, db, url);
        } finally {
          await db.destroy();
        }
      });

    it('when it lost twice, then it runs again and commits once: nobody sees the deadlock, and a refused write stays refused alone', async () => {
      await withSequencer(async (sequencer, db) => {
        const writer = losingWriter(2);
        const subject = randomUUID();
        const outcomes = await Promise.allSettled([
          sequencer.append({ ...entry(subject, 1), write: domainWrite(writer, 'AZ-ONE') }),
          sequencer.append({ ...entry(subject, 2), write: domainWrite(writer, 'not valid') }),
          sequencer.append({ ...entry(subject, 3), write: domainWrite(writer, 'AZ-TWO') }),
        ]);
        expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
        const refused = (outcomes[1] as PromiseRejectedResult).reason;
        expect(refused.driverError?.code ?? refused.code, 'the refusal is its own').to.equal('23514');
        const chain = await revealedChain(db, 'evidence', subject);
        expect(chain.map((e) => e.data.purpose)).to.deep.equal(['analysis 1', 'analysis 3']);
        verifyChain(chain.map((e) => e.entry));
      });
    });

    it('when it loses after a member was refused, then the run again leaves that member out: no entry for a refused request', async () => {
      await withSequencer(async (sequencer, db, url) => {
        // The first entry row written loses a deadlock (a sequence counts across rollbacks).
        await runStatements(url, [
          'CREATE SEQUENCE entry_attempts',
          `CREATE FUNCTION lose_first_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
               IF nextval('entry_attempts') = 1 THEN
                 RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01';
               END IF;
               RETURN NEW;
             END $$`,
          `CREATE TRIGGER lose_first_entry BEFORE INSERT ON log_entries
               FOR EACH ROW EXECUTE FUNCTION lose_first_entry()`,
        ]);
        // Refuses a value in the batch's first run only (with its group, then alone): run again, it would go through.
        const seen = new Map<string, number>();
        const writer: DomainWriter<string> = {
          writeAll: async (tx, codes) => {
            for (const code of codes.filter((c) => c.startsWith('FLAKY'))) {
              seen.set(code, (seen.get(code) ?? 0) + 1);
              if ((seen.get(code) ?? 0) <= 2) throw new LedgerError('CONFLICT', 'refused in the first run');
            }
            await tx.query('INSERT INTO agencies (code) SELECT unnest($1::text[])', [codes]);
          },
        };
        const subject = randomUUID();
        const outcomes = await Promise.allSettled([
          sequencer.append({ ...entry(subject, 1), write: domainWrite(writer, 'AZ-ONE') }),
          sequencer.append({ ...entry(subject, 2), write: domainWrite(writer, 'FLAKY-SSS') }),
          sequencer.append({ ...entry(subject, 3), write: domainWrite(writer, 'AZ-TWO') }),
        ]);
        expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
        expect((outcomes[1] as PromiseRejectedResult).reason.code).to.equal('CONFLICT');
        const chain = await revealedChain(db, 'evidence', subject);
        expect(chain.map((e) => e.data.purpose)).to.deep.equal(['analysis 1', 'analysis 3']);
        const flaky = await db.query("SELECT 1 FROM agencies WHERE code = 'FLAKY-SSS'");
        expect(flaky).to.have.length(0);
      });
    });

    it('when it keeps losing, then its members fail with the conflict (a transient failure: 503), after a bounded number of runs', async () => {
      await withSequencer(async (sequencer) => {
        let runs = 0;
        const writer: DomainWriter<string> = {
          writeAll: async (tx) => {
            runs++;
            await tx.query("DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$");
          },
        };
        const failed = await sequencer
          .append({ ...entry(randomUUID(), 1), write: domainWrite(writer, 'AZ-ONE') })
          .then(
            () => expect.fail('appended'),
            (error: unknown) => error,
          );
        expect(isTransientDependencyFailure(failed)).to.equal(true);
        expect(runs).to.be.within(2, 10);
        // The sequencer goes on with the next batch.
        await sequencer.append(entry(randomUUID(), 2));
      });
    });
  });
});
