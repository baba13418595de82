import { expect } from 'chai';
import { Client } from 'pg';
import { withScratchDatabase } from '../support/database';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/** What must never reach a caller: stack frames, SQL, file paths, library internals. */
const LEAKS =
  /\bat \w+ \(|node_modules|\/work\/|\/tmp\/|\bSELECT\b|\bINSERT\b|relation "|QueryFailedError|TypeORM|zod/i;

function expectProblem(response: {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}) {
  expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
  expect(response.body).to.include.keys('type', 'title', 'status', 'detail', 'code', 'requestId');
  expect(response.body.status).to.equal(response.status);
  expect(response.body.requestId).to.equal(response.headers.get('x-request-id'));
  expect(response.text).not.to.match(LEAKS);
}

describe('errors as problem+json', () => {
  let service: TestService;
  let token: string;

  before(async () => {
    service = await startTestService({ BODY_LIMIT_BYTES: '2048' });
    token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
  });
  after(async () => {
    await service.stop();
  });

  it('when a route does not exist, then the answer is 404 ROUTE_NOT_FOUND', async () => {
    const response = await service.call('GET', '/v2/nothing-here');
    expect(response.status).to.equal(404);
    expect(response.body.code).to.equal('ROUTE_NOT_FOUND');
    expect(response.body.type).to.equal('urn:custody-ledger:problem:route-not-found');
    expectProblem(response);
  });

  it('when the body is not valid JSON, then the answer is 400 MALFORMED_JSON', async () => {
    const response = await service.call('POST', '/v1/cases', {
      token,
      body: '{"reference": "A", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).to.equal(400);
    expect(response.body.code).to.equal('MALFORMED_JSON');
    expectProblem(response);
  });

  it('when the body breaks the schema, then the answer is 422 naming every failing field', async () => {
    const response = await service.call('POST', '/v1/cases', {
      token,
      json: { reference: '   ', title: 42, extra: true },
    });
    expect(response.status).to.equal(422);
    expect(response.body.code).to.equal('VALIDATION_FAILED');
    const pointers = response.body.errors.map((error: { pointer: string }) => error.pointer).sort();
    expect(pointers).to.deep.equal(['/', '/reference', '/title']);
    expectProblem(response);
  });

  it('when the body is a JSON array, then the answer is 422; a bare scalar is not accepted as a body at all', async () => {
    const cases: Array<[string, number, string]> = [
      ['[]', 422, 'VALIDATION_FAILED'],
      ['"text"', 400, 'MALFORMED_JSON'],
      ['null', 400, 'MALFORMED_JSON'],
    ];
    for (const [body, status, code] of cases) {
      const response = await service.call('POST', '/v1/cases', {
        token,
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status, body).to.equal(status);
      expect(response.body.code, body).to.equal(code);
    }
  });

  it('when the body exceeds the limit, then the answer is 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await service.call('POST', '/v1/cases', {
      token,
      json: { reference: 'BIG', title: 'x'.repeat(4096) },
    });
    expect(response.status).to.equal(413);
    expect(response.body.code).to.equal('PAYLOAD_TOO_LARGE');
    expectProblem(response);
  });

  it('when the body is not JSON, then the answer is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await service.call('POST', '/v1/cases', {
        token,
        body: 'reference=A&title=B',
        headers: { 'content-type': type },
      });
      expect(response.status, type).to.equal(415);
      expect(response.body.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
      expectProblem(response);
    }
  });

  it('when the caller sends a safe request id, then it is echoed; an unsafe one is replaced', async () => {
    const kept = await service.call('GET', '/nope', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.body.requestId).to.equal('abc-123');
    const replaced = await service.call('GET', '/nope', {
      headers: { 'x-request-id': 'evil\tvalue<script>' },
    });
    expect(replaced.body.requestId).to.match(/^[0-9a-f-]{36}$/);
  });

  it('when the database fails under a request, then the answer is a bare 500 with no SQL or stack', async () => {
    await withScratchDatabase(async (url) => {
      const doomed = await startTestService({ DATABASE_URL: url });
      try {
        const doomedToken = await doomed.token(uniqueSub('dora'), uniqueAgency(), 'investigator');
        expect((await doomed.call('GET', '/v1/cases', { token: doomedToken })).status).to.equal(200);
        // Break the schema under the running service: its next query fails inside PostgreSQL.
        const admin = new Client({ connectionString: url });
        await admin.connect();
        await admin.query('DROP TABLE case_grants');
        await admin.end();

        const response = await doomed.call('GET', '/v1/cases', { token: doomedToken });
        expect(response.status).to.equal(500);
        expect(response.body.code).to.equal('INTERNAL');
        expectProblem(response);
      } finally {
        await doomed.stop();
      }
    });
  });
});
