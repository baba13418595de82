import { expect } from 'chai';
import { startTestService, type TestService } from '../support/service';

const PROBLEM_NOT_FOUND = 'urn:custody-ledger:problem:route-not-found';

/** The console's page, its assets and the verifier page, as the service serves them. */
describe('the web pages the service serves', function () {
  this.timeout(60_000);
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });

  const get = (path: string, accept: string) =>
    fetch(new URL(path, service.url), { headers: { accept } }).then(async (answer) => ({
      status: answer.status,
      type: answer.headers.get('content-type') ?? '',
      policy: answer.headers.get('content-security-policy') ?? '',
      text: await answer.text(),
    }));

  it('when a browser asks for / or any console path, then it gets the console page under a policy that allows only this origin and no framing', async () => {
    for (const path of [
      '/',
      '/cases',
      '/evidence/00000000-0000-4000-8000-000000000000',
      '/callback?code=x',
    ]) {
      const page = await get(path, 'text/html,application/xhtml+xml');
      expect(page.status, path).to.equal(200);
      expect(page.type).to.match(/^text\/html/);
      expect(page.text).to.include('<script type="module" src="/assets/app.js"></script>');
      const directives = Object.fromEntries(
        page.policy.split(';').map((part) => {
          const [name, ...values] = part.trim().split(/\s+/);
          return [name, values.join(' ')];
        }),
      );
      expect(directives).to.include({
        'default-src': "'none'",
        'script-src': "'self'",
        'style-src': "'self'",
        'frame-ancestors': "'none'",
        'base-uri': "'none'",
      });
    }
  });

  it('when an API path or a missing asset is asked for, even by a browser, then it is the API’s 404, never the console page', async () => {
    for (const path of ['/v1/nothing-here', '/.well-known/nothing', '/assets/missing.js']) {
      const answer = await get(path, 'text/html');
      expect(answer.status, path).to.equal(404);
      expect(answer.text, path).not.to.include('/assets/app.js');
    }
    const api = await get('/v1/nothing-here', 'text/html');
    expect(api.type).to.match(/^application\/problem\+json/);
    expect(JSON.parse(api.text).type).to.equal(PROBLEM_NOT_FOUND);
    // A client that wants JSON gets the problem for an unknown path, not a page.
    const json = await get('/no-such-page', 'application/json');
    expect(json.status).to.equal(404);
    expect(JSON.parse(json.text).type).to.equal(PROBLEM_NOT_FOUND);
  });

  it('when the console’s script is asked for, then it is served as JavaScript', async () => {
    const script = await get('/assets/app.js', '*/*');
    expect(script.status).to.equal(200);
    expect(script.type).to.match(/javascript/);
  });

  it('when /verify is asked for, then the one-file verifier comes with its own policy forbidding any connection, and may not be framed', async () => {
    const page = await get('/verify', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.policy).to.equal("frame-ancestors 'none'");
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page.text)?.[1] ?? '';
    expect(meta).to.include("connect-src 'none'").and.include("default-src 'none'");
    expect(page.text).not.to.match(/<script[^>]+src=/);
  });
});
