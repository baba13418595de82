import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { RATE_LIMIT_FLUSH_MS } from '../../src/http/rate-limits';
import { withScratchDatabase } from '../support/database';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/** Long enough for both processes to have shared their counts (each flushes every RATE_LIMIT_FLUSH_MS). */
const shared = () => new Promise((resolve) => setTimeout(resolve, RATE_LIMIT_FLUSH_MS * 3));

describe('rate limits (shared by every process of a deployment)', () => {
  /** Two processes on one fresh database (fresh counters), with the given limits. */
  async function withTwoProcesses(
    limits: Record<string, string>,
    body: (a: TestService, b: TestService) => Promise<void>,
  ) {
    await withScratchDatabase(async (url) => {
      const a = await startTestService({ DATABASE_URL: url, ...limits });
      const b = await startTestService({ DATABASE_URL: url, ...limits });
      try {
        await body(a, b);
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  }

  it('when an address keeps presenting bad tokens, then it is refused with 429 and Retry-After, valid tokens included', async () => {
    await withTwoProcesses({ RATE_LIMIT_FAILED_TOKENS_PER_MINUTE: '3' }, async (a, b) => {
      for (let i = 0; i < 3; i++) {
        expect((await a.call('GET', '/v1/cases', { token: 'x.y.z' })).status).to.equal(401);
      }
      await shared();
      const locked = await b.call('GET', '/v1/cases', { token: 'x.y.z' });
      expect(locked.status).to.equal(429);
      expect(locked.body.code).to.equal('RATE_LIMITED');
      expect(locked.body.type).to.equal('urn:custody-ledger:problem:rate-limited');
      expect(Number(locked.headers.get('retry-after'))).to.be.within(1, 60);
      const valid = await b.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
      expect((await b.call('GET', '/v1/cases', { token: valid })).status).to.equal(429);
      expect((await a.call('GET', '/healthz')).status, 'probes are never limited').to.equal(200);
    });
  });

  it('when a principal keeps asking for ids that do not exist, then it is refused with 429 in every process', async () => {
    await withTwoProcesses({ RATE_LIMIT_NOT_FOUND_PER_MINUTE: '3' }, async (a, b) => {
      const guesser = await a.token(uniqueSub('eve'), uniqueAgency(), 'investigator');
      for (let i = 0; i < 3; i++) {
        expect((await a.call('GET', `/v1/evidence/${randomUUID()}`, { token: guesser })).status).to.equal(
          404,
        );
      }
      expect(
        (await a.call('GET', '/v1/cases', { token: guesser })).status,
        'at once, in this process',
      ).to.equal(429);
      await shared();
      expect((await b.call('GET', `/v1/evidence/${randomUUID()}`, { token: guesser })).status).to.equal(429);
      expect((await b.call('GET', '/v1/cases', { token: guesser })).status).to.equal(429);
      const other = await a.token(uniqueSub('bob'), uniqueAgency(), 'investigator');
      expect((await b.call('GET', '/v1/cases', { token: other })).status, 'others are not affected').to.equal(
        200,
      );
    });
  });

  it('when a principal exceeds its budget across two processes, then the next request is 429', async () => {
    await withTwoProcesses({ RATE_LIMIT_PRINCIPAL_PER_MINUTE: '4' }, async (a, b) => {
      const busy = await a.token(uniqueSub('busy'), uniqueAgency(), 'investigator');
      for (const service of [a, b, a, b]) {
        expect((await service.call('GET', '/v1/cases', { token: busy })).status).to.equal(200);
      }
      await shared();
      expect((await a.call('GET', '/v1/cases', { token: busy })).status).to.equal(429);
    });
  });
});
