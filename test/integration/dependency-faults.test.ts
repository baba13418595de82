import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Client } from 'pg';
import { withScratchDatabase } from '../support/database';
import { startTestService, uniqueAgency, uniqueSub } from '../support/service';

const UNAVAILABLE = 'urn:custody-ledger:problem:dependency-unavailable';

describe('a database that stalls', function () {
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
});
