import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { type ServiceProcess, spawnService, stopService } from '../../scripts/lib/service-process';
import { issueBuiltInToken } from '../../src/access/built-in-issuer';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/data-source';
import { LogRepository } from '../../src/db/log.repository';
import { fromBase64, openCheckpoint, parseVerifierKey, verifyInclusion } from '../../src/ledger';
import { auditLedger } from '../../src/log/ledger-audit';
import { verifyReceipt } from '../../src/verify';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres';
import { call, type TestResponse, uniqueAgency, uniqueSub } from '../support/service';

const UNAVAILABLE = 'urn:custody-ledger:problem:dependency-unavailable';

/**
 * The database goes away under a running service and comes back: the service
 * answers 503 (never 500) while it is gone, stays up, and takes writes again
 * once it is back, with nothing acknowledged lost.
 */
describe('a database outage, on a PostgreSQL of the test’s own', function () {
  this.timeout(240_000);

  let pg: PrivatePostgres;
  let dataDir: string;
  let service: ServiceProcess;
  let env: Record<string, string>;
  let token: string;

  beforeEach(async () => {
    pg = await startPrivatePostgres();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'custody-outage-'));
    env = { DATABASE_URL: pg.url, DATA_DIR: dataDir, DATABASE_STATEMENT_TIMEOUT_MS: '2000' };
    service = await spawnService(env);
    token = await issueBuiltInToken(loadConfig(env), {
      sub: uniqueSub('inv'),
      agency: uniqueAgency(),
      roles: ['investigator'],
      ttlSeconds: 600,
    });
  });

  afterEach(async () => {
    if (service.child.exitCode === null && service.child.signalCode === null)
      await stopService(service.child);
    await pg.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  const openCase = (title: string) =>
    call(service.url, 'POST', '/v1/cases', { token, json: { reference: `R-${randomUUID()}`, title } });

  function expectUnavailable(answer: TestResponse): void {
    expect(answer.status, answer.text).to.equal(503);
    expect(answer.body).to.include({ code: 'DEPENDENCY_UNAVAILABLE', type: UNAVAILABLE });
    expect(Number(answer.headers.get('retry-after'))).to.be.greaterThan(0);
  }

  function expectUp(): void {
    expect(service.child.exitCode, 'the service process exited').to.equal(null);
    expect(service.child.signalCode, 'the service process was killed').to.equal(null);
  }

  /** Writes until one succeeds, for at most `limitMs` (a bound on a hang, not a speed requirement). */
  async function firstSuccess(limitMs: number): Promise<TestResponse> {
    const until = Date.now() + limitMs;
    for (;;) {
      const answer = await openCase('After the outage');
      if (answer.status === 201 || Date.now() > until) return answer;
      expect(answer.status, answer.text).to.equal(503);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The size of the log's latest signed checkpoint (its second line). */
  async function logSize(): Promise<number> {
    const answer = await call(service.url, 'GET', '/v1/log/checkpoint');
    expect(answer.status, answer.text).to.equal(200);
    return Number(answer.text.split('\n')[1]);
  }

  /** The log's size once the database answers again (the pool's first tries may still meet the old sessions). */
  async function logSizeOnceBack(): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const answer = await call(service.url, 'GET', '/v1/log/checkpoint');
      if (answer.status === 200 || attempt === 40) return logSize();
      expectUnavailable(answer);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * Every receipt verifies, its entry is in the tree of the latest checkpoint,
   * and the whole log audits clean under the log key.
   */
  async function expectAllPresent(receipts: readonly string[], caseIds: readonly string[]): Promise<void> {
    for (const id of caseIds) {
      expect((await call(service.url, 'GET', `/v1/cases/${id}`, { token })).status).to.equal(200);
    }
    const logKey = parseVerifierKey((await call(service.url, 'GET', '/v1/log/info')).body.vkey);
    const jwks = (await call(service.url, 'GET', '/.well-known/jwks.json')).body;
    const latest = openCheckpoint((await call(service.url, 'GET', '/v1/log/checkpoint')).text, logKey);
    for (const receipt of receipts) {
      const result = await verifyReceipt(receipt, { jwks, logKey });
      expect(result.valid, JSON.stringify(result.checks)).to.equal(true);
      const index = result.payload?.index as number;
      const inclusion = await call(
        service.url,
        'GET',
        `/v1/log/proof/inclusion?index=${index}&size=${latest.size}`,
      );
      expect(inclusion.status).to.equal(200);
      const leaf = Buffer.from(result.payload?.jti ?? '', 'base64url');
      verifyInclusion(index, latest.size, leaf, inclusion.body.proof.map(fromBase64), latest.root);
    }
    const db = await openDatabase(pg.url);
    try {
      const report = await auditLedger(new LogRepository(db), logKey);
      expect(report.ok, JSON.stringify(report.failure)).to.equal(true);
    } finally {
      await db.destroy();
    }
  }

  it('when PostgreSQL stops, then reads, writes and /readyz answer 503 with the process up; when it starts again, writes succeed and every acknowledged write is there and verifies', async () => {
    const receipts: string[] = [];
    const caseIds: string[] = [];
    const acknowledge = (answer: TestResponse) => {
      expect(answer.status, answer.text).to.equal(201);
      receipts.push(answer.body.receipt);
      caseIds.push(answer.body.case.id);
    };
    for (let i = 0; i < 5; i++) acknowledge(await openCase(`Before the outage ${i}`));

    const sizeBefore = await logSize();
    await pg.stop();
    const read = await call(service.url, 'GET', `/v1/cases/${caseIds[0]}`, { token });
    expectUnavailable(read);
    // A burst of writes while the database is gone: not one is acknowledged.
    const during = await Promise.all(
      Array.from({ length: 16 }, (_, i) => openCase(`During the outage ${i}`)),
    );
    for (const answer of during) expectUnavailable(answer);
    const readyz = await call(service.url, 'GET', '/readyz');
    expect(readyz.status).to.equal(503);
    expect(readyz.body.code).to.equal('SERVICE_UNAVAILABLE');
    expect((await call(service.url, 'GET', '/healthz')).status).to.equal(200);
    expectUp();

    await pg.start();
    // Nothing written during the outage reached the database.
    expect(await logSizeOnceBack()).to.equal(sizeBefore);
    acknowledge(await firstSuccess(30_000));
    for (let i = 0; i < 5; i++) acknowledge(await openCase(`After the outage ${i}`));
    expect((await call(service.url, 'GET', '/readyz')).status).to.equal(200);
    expectUp();
    await expectAllPresent(receipts, caseIds);
  });

  it('when the service’s connections are killed in the middle of a burst, then the writes caught answer 503, never 500, and every acknowledged one is there and verifies', async () => {
    const receipts: string[] = [];
    const caseIds: string[] = [];
    const statuses: number[] = [];
    let killing = true;
    let unanswered = 0;
    const clients = Array.from({ length: 16 }, async (_, client) => {
      for (let round = 0; killing || round < 3; round++) {
        // No answer at all: the connection was dropped, or the service process is gone.
        const answer = await openCase(`Burst ${client}.${round}`).catch(() => undefined);
        if (!answer) {
          unanswered++;
          return;
        }
        statuses.push(answer.status);
        if (answer.status === 201) {
          receipts.push(answer.body.receipt);
          caseIds.push(answer.body.case.id);
        } else {
          expectUnavailable(answer);
        }
      }
    });
    // Ends every session of the service, a few times over, while batches are in flight.
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    let terminated = 0;
    try {
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const { rows } = await admin.query(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS ended FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        );
        terminated += Number(rows[0].ended);
      }
    } finally {
      killing = false;
      await admin.end();
    }
    await Promise.all(clients);
    expect(unanswered, 'requests left without an answer').to.equal(0);
    expectUp();
    expect(terminated, 'sessions ended').to.be.greaterThan(0);
    expect(statuses.filter((status) => status !== 201 && status !== 503)).to.deep.equal([]);
    const after = await firstSuccess(30_000);
    expect(after.status).to.equal(201);
    receipts.push(after.body.receipt);
    caseIds.push(after.body.case.id);
    await expectAllPresent(receipts, caseIds);
  });
});
