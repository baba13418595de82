import { request } from 'node:http';
import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ConfigError } from '../../src/config';
import { problemType } from '../../src/http/problem';
import { freePort, signInOverHttp, startOidcServer, type TestOidcServer } from '../support/oidc-server';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/** The resource indicator the console asks for: the `aud` this service accepts from the provider. */
const RESOURCE = 'https://ledger.example/api';

/** An answer without what differs between two requests, to compare an answer with an unknown route's. */
function comparable(response: { status: number; body: Record<string, unknown> }) {
  return { status: response.status, ...response.body, requestId: null, instance: null };
}

describe('console sign-in at an OpenID provider', function () {
  this.timeout(60_000);
  let provider: TestOidcServer;
  let service: TestService;
  let callback: string;
  const agency = uniqueAgency();
  const alice = uniqueSub('alice');

  before(async () => {
    const port = await freePort();
    callback = `http://127.0.0.1:${port}/callback`;
    provider = await startOidcServer({
      redirectUri: callback,
      accounts: { [alice]: { agency, roles: ['investigator'] } },
    });
    service = await startTestService({
      PORT: String(port),
      OIDC_ISSUER: provider.issuer,
      OIDC_JWKS_URL: provider.jwksUrl,
      OIDC_AUDIENCE: RESOURCE,
      OIDC_CLIENT_ID: provider.clientId,
    });
  });
  after(async () => {
    await service?.stop();
    await provider?.stop();
  });

  it('when the console reads /console/config.json, then it names the provider, its public client, scope openid and the service as resource, and no development sign-in', async () => {
    const response = await service.call('GET', '/console/config.json');
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({
      oidc: { issuer: provider.issuer, clientId: provider.clientId, scope: 'openid', resource: RESOURCE },
      devSignIn: false,
    });
  });

  it('when a token the provider issued for the service’s resource is presented, then GET /v1/cases accepts it as the account’s principal', async () => {
    const token = await signInOverHttp(provider, { redirectUri: callback, resource: RESOURCE, login: alice });
    expect(decodeProtectedHeader(token)).to.deep.include({ typ: 'at+jwt', alg: 'ES256' });
    expect(decodeJwt(token)).to.deep.include({ sub: alice, agency, aud: RESOURCE, iss: provider.issuer });
    expect((await service.call('GET', '/v1/cases', { token })).status).to.equal(200);
    const opened = await service.call('POST', '/v1/cases', {
      token,
      json: { reference: `OIDC-${alice}`, title: 'Opened with a provider token' },
    });
    expect(opened.status, opened.text).to.equal(201);
    expect(opened.body.case.agency).to.equal(agency);
  });

  it('when a token the same provider issued for another resource is presented, then it is refused as INVALID_TOKEN', async () => {
    const token = await signInOverHttp(provider, {
      redirectUri: callback,
      resource: 'https://other.example/api',
      login: alice,
    });
    expect(decodeJwt(token).aud).to.equal('https://other.example/api');
    const response = await service.call('GET', '/v1/cases', { token });
    expect(response.status).to.equal(401);
    expect(response.body.code).to.equal('INVALID_TOKEN');
    expect(response.body.type).to.equal(problemType('INVALID_TOKEN'));
  });

  it('when development sign-in is off, then POST /console/dev-sign-in answers exactly as an unknown route', async () => {
    const body = { sub: uniqueSub('dev'), agency, role: 'admin' };
    const refused = await service.call('POST', '/console/dev-sign-in', { json: body });
    const unknown = await service.call('POST', '/console/no-such-route', { json: body });
    expect(refused.status).to.equal(404);
    expect(refused.body.code).to.equal('ROUTE_NOT_FOUND');
    expect(comparable(refused)).to.deep.equal(comparable(unknown));
  });
});

describe('console development sign-in', function () {
  this.timeout(60_000);
  let service: TestService;
  before(async () => {
    service = await startTestService({ CONSOLE_DEV_SIGNIN: 'true', TOKEN_TTL_SECONDS: '300' });
  });
  after(async () => {
    await service?.stop();
  });

  it('when it is on, then /console/config.json says so and offers no provider', async () => {
    expect((await service.call('GET', '/console/config.json')).body).to.deep.equal({
      oidc: null,
      devSignIn: true,
    });
  });

  it('when a subject, agency and role are sent from this host, then a short-lived built-in token for exactly them comes back, and the API accepts it', async () => {
    const sub = uniqueSub('dev');
    const agency = uniqueAgency();
    const response = await service.call('POST', '/console/dev-sign-in', {
      json: { sub, agency, role: 'investigator' },
    });
    expect(response.status, response.text).to.equal(200);
    expect(response.headers.get('cache-control')).to.equal('no-store');
    expect(response.body.expiresIn).to.equal(300);
    expect(response.body.principal).to.deep.equal({ sub, agency, roles: ['investigator'] });
    const claims = decodeJwt(response.body.accessToken);
    expect(claims).to.deep.include({
      sub,
      agency,
      roles: ['investigator'],
      iss: service.config.tokens.issuer,
    });
    expect((claims.exp as number) - (claims.iat as number)).to.equal(300);
    const opened = await service.call('POST', '/v1/cases', {
      token: response.body.accessToken,
      json: { reference: `DEV-${sub}`, title: 'Opened in a development session' },
    });
    expect(opened.status, opened.text).to.equal(201);
  });

  for (const [what, body] of [
    ['an agency code in lower case', { sub: 'dev', agency: 'az-sss', role: 'investigator' }],
    ['a role that does not exist', { sub: 'dev', agency: 'AZ-SSS', role: 'root' }],
    ['an empty subject', { sub: '', agency: 'AZ-SSS', role: 'investigator' }],
    ['a subject of 256 characters', { sub: 'x'.repeat(256), agency: 'AZ-SSS', role: 'investigator' }],
    ['several roles', { sub: 'dev', agency: 'AZ-SSS', role: ['investigator', 'admin'] }],
    ['a field of its own', { sub: 'dev', agency: 'AZ-SSS', role: 'investigator', ttl: 86400 }],
  ] as const) {
    it(`when the body has ${what}, then it is refused as VALIDATION_FAILED and no token is minted`, async () => {
      const response = await service.call('POST', '/console/dev-sign-in', { json: body });
      expect(response.status).to.equal(422);
      expect(response.body.code).to.equal('VALIDATION_FAILED');
      expect(response.body.type).to.equal(problemType('VALIDATION_FAILED'));
      expect(response.body).to.not.have.property('accessToken');
    });
  }

  for (const [what, headers] of [
    ['forwarded by a proxy (X-Forwarded-For)', { 'x-forwarded-for': '203.0.113.9' }],
    ['forwarded by a proxy (Forwarded)', { forwarded: 'for=127.0.0.1' }],
    ['addressed to a name that is not loopback (DNS rebinding)', { host: 'ledger.example' }],
  ] as const) {
    it(`when a request is ${what}, then it answers as an unknown route`, async () => {
      const body = JSON.stringify({ sub: uniqueSub('dev'), agency: 'AZ-SSS', role: 'admin' });
      // node:http, not fetch: fetch may not set Host.
      const answer = await new Promise<{ status: number; body: { code?: string } }>((resolve, reject) => {
        const req = request(
          new URL('/console/dev-sign-in', service.url),
          { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status).to.equal(404);
      expect(answer.body.code).to.equal('ROUTE_NOT_FOUND');
    });
  }

  it('when one subject signs in more often than its principal budget allows, then the next is RATE_LIMITED', async () => {
    const limited = await startTestService({
      CONSOLE_DEV_SIGNIN: 'true',
      RATE_LIMIT_PRINCIPAL_PER_MINUTE: '2',
    });
    try {
      const json = { sub: uniqueSub('eager'), agency: uniqueAgency(), role: 'investigator' };
      const statuses = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        statuses.push((await limited.call('POST', '/console/dev-sign-in', { json })).status);
      }
      expect(statuses).to.deep.equal([200, 200, 429]);
    } finally {
      await limited.stop();
    }
  });

  it('when it is on while HOST is not a loopback address, then the service does not start: CONSOLE_DEV_SIGNIN is a configuration error', async () => {
    let refused: unknown;
    try {
      const started = await startTestService({ CONSOLE_DEV_SIGNIN: 'true', HOST: '0.0.0.0' });
      await started.stop();
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(ConfigError);
    expect((refused as ConfigError).variable).to.equal('CONSOLE_DEV_SIGNIN');
  });
});
