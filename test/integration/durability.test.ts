import { expect } from 'chai';
import { runStatements, withScratchDatabase } from '../support/database';
import { startTestService } from '../support/service';

describe('a database that could lose acknowledged writes', function () {
  this.timeout(60_000);

  it('when synchronous_commit is off, then the service refuses to start and names the setting', async () => {
    await withScratchDatabase(async (url) => {
      const name = new URL(url).pathname.slice(1);
      await runStatements(url, [`ALTER DATABASE ${name} SET synchronous_commit = off`]);
      const refused = await startTestService({ DATABASE_URL: url }).then(
        async (service) => {
          await service.stop();
          return undefined;
        },
        (error: Error) => error,
      );
      expect(refused?.message).to.match(/synchronous_commit/);
    });
  });

  it('when synchronous_commit is off and ALLOW_UNDURABLE_DATABASE is true, then it starts (for development)', async () => {
    await withScratchDatabase(async (url) => {
      const name = new URL(url).pathname.slice(1);
      await runStatements(url, [`ALTER DATABASE ${name} SET synchronous_commit = off`]);
      const service = await startTestService({ DATABASE_URL: url, ALLOW_UNDURABLE_DATABASE: 'true' });
      try {
        expect((await service.call('GET', '/readyz')).status).to.equal(200);
      } finally {
        await service.stop();
      }
    });
  });

  it('when the database is durable, then /readyz says whether it checksums its pages', async () => {
    await withScratchDatabase(async (url) => {
      const service = await startTestService({ DATABASE_URL: url });
      try {
        const ready = await service.call('GET', '/readyz');
        expect(ready.status).to.equal(200);
        expect(ready.body.status).to.equal('ready');
        expect(ready.body.dataChecksums).to.be.a('boolean');
      } finally {
        await service.stop();
      }
    });
  });
});
