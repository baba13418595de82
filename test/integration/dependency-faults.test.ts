import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Client } from 'pg';
import { runStatements, withScratchDatabase } from '../support/database';
import { startTestService, uniqueAgency, uniqueSub } from '../support/service';

const UNAVAILABLE = 'urn:custody-ledger:problem:dependency-unavailable';

describe('dependencies that fail: a stalled or read-only database, a full volume', function () {
  this.timeout(60_000);

  it('when a table the service needs stays locked, then reads and writes answer 503 DEPENDENCY_UNAVAILABLE with Retry-After within the statement timeout, and recover when it is released', async () => {
    await withScratchDatabase(async (url) => {
      const service = await startTestService({ DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: '500' });
      const blocker = new Client({ connectionString: url });
      await blocker.connect();
      try {
        const token = await service.token(uniqueSub('inv'), uniqueAgency(), 'investigator');
        const opened = await service.call('POST', '/v1/cases', {
          token,
          json: { reference: `R-${randomUUID()}`, title: 'Before the stall' },
        });
        expect(opened.status).to.equal(201);
        const caseId = opened.body.case.id;

        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE cases IN ACCESS EXCLUSIVE MODE');
        const read = await service.call('GET', `/v1/cases/${caseId}`, { token });
        const write = await service.call('POST', '/v1/cases', {
          token,
          json: { reference: `R-${randomUUID()}`, title: 'During the stall' },
        });
        for (const answer of [read, write]) {
          expect(answer.status, answer.text).to.equal(503);
          expect(answer.body).to.include({ code: 'DEPENDENCY_UNAVAILABLE', type: UNAVAILABLE });
          expect(answer.headers.get('retry-after')).to.equal('5');
          expect(answer.text).to.not.match(/cases|LOCK|statement|timeout/i);
        }

        await blocker.query('ROLLBACK');
        expect((await service.call('GET', `/v1/cases/${caseId}`, { token })).status).to.equal(200);
        const after = await service.call('POST', '/v1/cases', {
          token,
          json: { reference: `R-${randomUUID()}`, title: 'After the stall' },
        });
        expect(after.status).to.equal(201);
      } finally {
        await blocker.end();
        await service.stop();
      }
    });
  });

  it('when the database turns read-only, then /readyz answers 503 DATABASE_READ_ONLY, and 200 again once it takes writes', async () => {
    await withScratchDatabase(async (url) => {
      const service = await startTestService({ DATABASE_URL: url });
      const name = new URL(url).pathname.slice(1);
      // New sessions start read-only; existing ones are ended, as a failover to a standby would.
      const admin = new URL(url);
      admin.pathname = '/postgres';
      const readOnly = async (on: boolean) => {
        await runStatements(admin.toString(), [
          `ALTER DATABASE ${name} SET default_transaction_read_only = ${on ? 'on' : 'off'}`,
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`,
        ]);
      };
      const readyz = async () => {
        for (let attempt = 0; ; attempt++) {
          const answer = await service.call('GET', '/readyz');
          // The first query on a connection the database ended fails; the pool then reconnects.
          if (answer.body.reason !== undefined || answer.status === 200 || attempt === 3) return answer;
        }
      };
      try {
        expect((await readyz()).status).to.equal(200);
        await readOnly(true);
        const refused = await readyz();
        expect(refused.status).to.equal(503);
        expect(refused.body).to.include({ code: 'SERVICE_UNAVAILABLE', reason: 'DATABASE_READ_ONLY' });
        await readOnly(false);
        expect((await readyz()).status).to.equal(200);
      } finally {
        await service.stop();
      }
    });
  });

  it('when the evidence volume has less room than it must keep, then /readyz answers 503 STORAGE_FULL', async () => {
    const service = await startTestService({ BLOB_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) });
    try {
      const answer = await service.call('GET', '/readyz');
      expect(answer.status).to.equal(503);
      expect(answer.body).to.include({ code: 'SERVICE_UNAVAILABLE', reason: 'STORAGE_FULL' });
    } finally {
      await service.stop();
    }
  });
});
