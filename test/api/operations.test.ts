import { request } from 'node:http';
import { expect } from 'chai';
import { Client } from 'pg';
import { testDatabase, withScratchDatabase } from '../support/database';
import { startTestService, uniqueAgency, uniqueSub } from '../support/service';

describe('operations', () => {
  it('when the service runs, then /healthz and /readyz answer 200 and /openapi.json describes the routes', async () => {
    const service = await startTestService();
    try {
      expect((await service.call('GET', '/healthz')).body).to.deep.equal({ status: 'ok' });
      const ready = (await service.call('GET', '/readyz')).body;
      expect(ready).to.have.all.keys('status', 'dataChecksums');
      expect(ready.status).to.equal('ready');
      const openapi = await service.call('GET', '/openapi.json');
      expect(openapi.body.openapi).to.equal('3.1.0');
      expect(openapi.body.paths).to.include.keys('/v1/cases', '/v1/cases/{id}', '/v1/cases/{id}/grants');
      expect(
        openapi.body.paths['/v1/cases'].post.requestBody.content['application/json'].schema.required,
      ).to.deep.equal(['reference', 'title']);

      // Every served route is documented, and every documented route is served.
      // Express names parameters `:name` and multi-element wildcards `*name`; OpenAPI writes both `{name}`.
      const served = service.routes.map(
        ({ method, path }) => `${method} ${path.replace(/[:*](\w+)/g, '{$1}')}`,
      );
      const documented = Object.entries(openapi.body.paths as Record<string, object>).flatMap(
        ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect([...new Set(served)].sort()).to.deep.equal([...new Set(documented)].sort());
    } finally {
      await service.stop();
    }
  });

  it('when shutdown starts during a request, then that request still completes and new work is refused', async () => {
    const service = await startTestService();
    const token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
    const body = JSON.stringify({ reference: 'SHUTDOWN-1', title: 'In flight during shutdown' });
    const url = new URL('/v1/cases', service.url);

    // Send the headers and half the body, so the request is in flight when shutdown begins.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 300);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = service.stop();

    const response = await answer;
    expect(response.status, response.text).to.equal(201);
    expect(JSON.parse(response.text).case.reference).to.equal('SHUTDOWN-1');
    await stopped;
    let refused: unknown;
    await fetch(new URL('/healthz', service.url)).catch((error: unknown) => {
      refused = error;
    });
    expect(refused, 'the port is closed after shutdown').to.be.instanceOf(Error);
  });

  it('when the database stops accepting connections, then /readyz answers 503 SERVICE_UNAVAILABLE', async () => {
    await withScratchDatabase(async (url) => {
      const service = await startTestService({ DATABASE_URL: url });
      try {
        expect((await service.call('GET', '/readyz')).status).to.equal(200);
        const name = new URL(url).pathname.slice(1);
        const admin = new Client({ connectionString: testDatabase().ownerUrl });
        await admin.connect();
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
          name,
        ]);
        await admin.end();

        const response = await service.call('GET', '/readyz');
        expect(response.status).to.equal(503);
        expect(response.body.code).to.equal('SERVICE_UNAVAILABLE');
        expect((await service.call('GET', '/healthz')).status).to.equal(200);
      } finally {
        await service.stop();
      }
    });
  });
});
