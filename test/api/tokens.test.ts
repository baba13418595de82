import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, type JsonWebKey, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { exportJWK, importJWK, type JWK, SignJWT } from 'jose';
import { ensureServiceKeys } from '../../src/keys/key-store';
import { testDatabase } from '../support/database';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const run = promisify(execFile);
const TOKEN_SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'token.js');

/** Signs arbitrary claims and header with the service's own token-issuer key. */
async function forge(
  service: TestService,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
) {
  const { tokenIssuer } = await ensureServiceKeys(service.config.dataDir);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: tokenIssuer.kid, typ: 'at+jwt', ...header })
    .sign(await importJWK(tokenIssuer.privateJwk, 'EdDSA'));
}

/**
 * Signs any header and claims with the service's token-issuer key by hand, for
 * headers jose itself refuses to produce (a `crit` it does not know).
 */
async function forgeByHand(
  service: TestService,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
) {
  const { tokenIssuer } = await ensureServiceKeys(service.config.dataDir);
  const key = createPrivateKey({ key: tokenIssuer.privateJwk as JsonWebKey, format: 'jwk' });
  const input = `${b64url({ alg: 'EdDSA', kid: tokenIssuer.kid, typ: 'at+jwt', ...header })}.${b64url(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('access tokens', () => {
  let service: TestService;
  const now = () => Math.floor(Date.now() / 1000);
  const validClaims = () => ({
    sub: uniqueSub('alice'),
    agency: uniqueAgency(),
    roles: ['investigator'],
    iss: service.config.tokens.issuer,
    aud: service.config.tokens.audience,
    iat: now(),
    exp: now() + 300,
  });

  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });

  it('when the token command prints a token, then POST /v1/cases accepts it', async () => {
    const agency = uniqueAgency();
    const { stdout, stderr } = await run(
      process.execPath,
      [TOKEN_SCRIPT, '--sub', uniqueSub('alice'), '--agency', agency, '--role', 'investigator'],
      { env: { ...process.env, DATA_DIR: service.config.dataDir } },
    );
    expect(stderr).to.equal('');
    expect(stdout).to.match(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const created = await service.call('POST', '/v1/cases', {
      token: stdout.trim(),
      json: { reference: 'AZ-2026-0001', title: 'Ransomware attack on a hospital' },
    });
    expect(created.status).to.equal(201);
    expect(created.body.case.agency).to.equal(agency);
  });

  it('when the token command gets an unknown role, then it exits non-zero and prints nothing on stdout', async () => {
    const failure = await run(
      process.execPath,
      [TOKEN_SCRIPT, '--sub', 'a', '--agency', 'AZ-SSS', '--role', 'king'],
      {
        env: { ...process.env, DATA_DIR: service.config.dataDir },
      },
    ).catch((error: { code: number; stdout: string }) => error);
    expect(failure).to.include({ code: 64, stdout: '' });
  });

  it('when a valid token is first seen, then its agency and principal are recorded with no registration', async () => {
    const claims = validClaims();
    const response = await service.call('GET', '/v1/cases', { token: await forge(service, claims) });
    expect(response.status).to.equal(200);
    const rows = await testDatabase().db.query('SELECT agency_code, issuer FROM principals WHERE sub = $1', [
      claims.sub,
    ]);
    expect(rows).to.deep.equal([{ agency_code: claims.agency, issuer: service.config.tokens.issuer }]);
  });

  const invalid: Array<[string, () => Promise<string>]> = [
    ['alg none', async () => `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(validClaims())}.`],
    ['a wrong audience', () => forge(service, { ...validClaims(), aud: 'someone-else' })],
    ['no exp', () => forge(service, { ...validClaims(), exp: undefined })],
    ['no iat', () => forge(service, { ...validClaims(), iat: undefined })],
    ['no sub', () => forge(service, { ...validClaims(), sub: undefined })],
    ['an expired exp', () => forge(service, { ...validClaims(), iat: now() - 600, exp: now() - 300 })],
    [
      'an iat in the future',
      () => forge(service, { ...validClaims(), iat: now() + 3600, exp: now() + 7200 }),
    ],
    ['an unknown kid', () => forge(service, validClaims(), { kid: 'not-our-key' })],
    ['a wrong typ', () => forge(service, validClaims(), { typ: 'JWT' })],
    ['the receipt typ', () => forge(service, validClaims(), { typ: 'custody-receipt+jwt' })],
    ['no typ', () => forge(service, validClaims(), { typ: undefined })],
    ['an unknown issuer', () => forge(service, { ...validClaims(), iss: 'https://evil.example' })],
    ['an unknown role', () => forge(service, { ...validClaims(), roles: ['king'] })],
    ['a malformed agency', () => forge(service, { ...validClaims(), agency: 'az sss' })],
    ['no roles', () => forge(service, { ...validClaims(), roles: [] })],
    [
      'a signature by another key',
      async () => {
        const { privateKey } = generateKeyPairSync('ed25519');
        const { tokenIssuer } = await ensureServiceKeys(service.config.dataDir);
        return new SignJWT(validClaims())
          .setProtectedHeader({ alg: 'EdDSA', kid: tokenIssuer.kid, typ: 'at+jwt' })
          .sign(privateKey);
      },
    ],
    [
      'a tampered payload',
      async () => {
        const [header, , signature] = (await forge(service, validClaims())).split('.');
        return `${header}.${b64url({ ...validClaims(), roles: ['auditor'] })}.${signature}`;
      },
    ],
    ['garbage', async () => 'not.a.jwt'],
    ['no kid', () => forge(service, validClaims(), { kid: undefined })],
    ['a crit header', () => forgeByHand(service, { crit: ['exp'] }, validClaims())],
    [
      'a crit header naming one member twice',
      () => forgeByHand(service, { crit: ['b64', 'b64'], b64: true }, validClaims()),
    ],
    ['padding appended to the signature', async () => `${await forge(service, validClaims())}==`],
    [
      'base64 padding characters inside the signature',
      async () => `${await forge(service, validClaims())}A=`,
    ],
    ['a fourth segment appended', async () => `${await forge(service, validClaims())}.e30`],
    [
      'a signature with bits beyond its last byte',
      async () => {
        const token = await forge(service, validClaims());
        // An Ed25519 signature is 64 bytes: 86 base64url characters whose last carries 2 spare bits.
        const last = token.at(-1) as string;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string;
        return `${token.slice(0, -1)}${sibling}`;
      },
    ],
    ['an exp ten years ahead', () => forge(service, { ...validClaims(), exp: now() + 10 * 365 * 86_400 })],
    ['a lifetime longer than the maximum', () => forge(service, { ...validClaims(), exp: now() + 901 })],
    [
      'an iat older than the longest lifetime',
      () => forge(service, { ...validClaims(), iat: now() - 1000, exp: now() + 60 }),
    ],
    ['no exp', () => forge(service, { ...validClaims(), exp: undefined })],
    ['no iat', () => forge(service, { ...validClaims(), iat: undefined })],
  ];

  for (const [what, make] of invalid) {
    it(`when a token has ${what}, then the answer is the one 401 invalid_token problem`, async () => {
      const response = await service.call('GET', '/v1/cases', { token: await make() });
      expect(response.status).to.equal(401);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).to.match(/^Bearer .*error="invalid_token"/);
      expect(response.body.code).to.equal('INVALID_TOKEN');
      expect(response.body.type).to.equal('urn:custody-ledger:problem:invalid-token');
      const { requestId: _ignored, ...rest } = response.body;
      expect(rest.detail).to.be.a('string');
      expect(JSON.stringify(rest)).to.equal(JSON.stringify(await sameProblemAsGarbage()));
    });
  }

  /** Every refusal must look identical apart from the request id: no oracle. */
  async function sameProblemAsGarbage() {
    const { requestId: _ignored, ...rest } = (await service.call('GET', '/v1/cases', { token: 'x.y.z' }))
      .body;
    return rest;
  }

  it('when a hand-signed token has no crit header, then it is accepted (the forger itself is sound)', async () => {
    const response = await service.call('GET', '/v1/cases', {
      token: await forgeByHand(service, {}, validClaims()),
    });
    expect(response.status).to.equal(200);
  });

  it('when the token command is asked for a lifetime beyond the maximum, then it refuses with 64', async () => {
    const refused = await run(
      process.execPath,
      [TOKEN_SCRIPT, '--sub', 'a', '--agency', uniqueAgency(), '--role', 'investigator', '--ttl', '3600'],
      { env: { ...process.env, DATA_DIR: service.config.dataDir } },
    ).catch((error: { code: number; stdout: string }) => error);
    expect((refused as { code: number }).code).to.equal(64);
    expect((refused as { stdout: string }).stdout).to.equal('');
  });

  it('when no token is sent, then the answer is 401 with a Bearer challenge and no error code', async () => {
    const response = await service.call('GET', '/v1/cases');
    expect(response.status).to.equal(401);
    expect(response.body.code).to.equal('INVALID_TOKEN');
    expect(response.headers.get('www-authenticate')).to.equal('Bearer realm="custody-ledger"');
  });

  it('when a never-seen principal sends 20 requests at once, then all succeed and it is recorded once', async () => {
    const claims = validClaims();
    const token = await forge(service, claims);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => service.call('GET', '/v1/cases', { token })),
    );
    expect(responses.map((response) => response.status)).to.deep.equal(Array(20).fill(200));
    const rows = await testDatabase().db.query('SELECT count(*)::int AS n FROM principals WHERE sub = $1', [
      claims.sub,
    ]);
    expect(rows[0].n).to.equal(1);
  });

  it('when a known subject presents a token of another agency, then it is refused', async () => {
    const claims = validClaims();
    expect((await service.call('GET', '/v1/cases', { token: await forge(service, claims) })).status).to.equal(
      200,
    );
    const moved = await forge(service, { ...claims, agency: uniqueAgency() });
    const response = await service.call('GET', '/v1/cases', { token: moved });
    expect(response.status).to.equal(401);
    expect(response.body.code).to.equal('INVALID_TOKEN');
  });

  describe('from an external OpenID Connect provider', () => {
    let provider: Server;
    let external: TestService;
    let signingKey: JWK;
    const issuer = 'https://idp.partner.example';

    before(async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      signingKey = { ...(await exportJWK(privateKey)), kid: 'idp-1' };
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }] };
      provider = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(jwks));
      });
      await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
      const { port } = provider.address() as AddressInfo;
      external = await startTestService({
        OIDC_ISSUER: issuer,
        OIDC_JWKS_URL: `http://127.0.0.1:${port}/jwks`,
        OIDC_ALGORITHMS: 'ES256',
      });
    });
    after(async () => {
      await external.stop();
      await new Promise((resolve) => provider.close(resolve));
    });

    async function providerToken(audience = external.config.tokens.audience) {
      return new SignJWT({ agency: uniqueAgency('P'), roles: ['partner'] })
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(uniqueSub('partner'))
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(await importJWK(signingKey, 'ES256'));
    }

    it('when the provider signed a valid token, then the service accepts it via the provider JWKS', async () => {
      const response = await external.call('GET', '/v1/cases', { token: await providerToken() });
      expect(response.status).to.equal(200);
      expect(response.body.items).to.deep.equal([]);
    });

    it('when the provider token names another audience, then it is refused', async () => {
      const response = await external.call('GET', '/v1/cases', { token: await providerToken('other') });
      expect(response.status).to.equal(401);
      expect(response.body.code).to.equal('INVALID_TOKEN');
    });

    it('when a token claims the provider as issuer but is signed by the built-in key, then it is refused', async () => {
      const response = await external.call('GET', '/v1/cases', {
        token: await forge(external, { ...validClaims(), iss: issuer }),
      });
      expect(response.status).to.equal(401);
    });
  });
});
