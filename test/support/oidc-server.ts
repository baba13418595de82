import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';

/** Who may log in at the test provider, and the claims its access tokens carry for them. */
export type TestAccounts = Record<string, { readonly agency: string; readonly roles: readonly string[] }>;

export interface TestOidcServer {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly clientId: string;
  stop(): Promise<void>;
}

/** Lifetime of the provider's access tokens: within the service's TOKEN_MAX_LIFETIME_SECONDS. */
const ACCESS_TOKEN_SECONDS = 600;

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1: one public client, the
 * console, which must use PKCE and may come back only to `redirectUri`, and
 * whose origin may call the token endpoint (CORS). With a resource indicator
 * (RFC 8707) it issues RFC 9068 access tokens (`at+jwt`, ES256) whose `aud`
 * is the resource and which carry the account's `agency` and `roles`; ID
 * tokens are RS256. Login is oidc-provider's development form (any password);
 * the console is first-party, so no consent is asked.
 */
export async function startOidcServer(options: {
  readonly redirectUri: string;
  readonly accounts: TestAccounts;
}): Promise<TestOidcServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'custody-console';
  const { default: Provider } = await import('oidc-provider');

  const privateJwk = async (alg: 'RS256' | 'ES256') => ({
    ...(await exportJWK((await generateKeyPair(alg, { extractable: true })).privateKey)),
    alg,
    use: 'sig',
    kid: `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`,
  });
  const consoleOrigin = new URL(options.redirectUri).origin;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [await privateJwk('RS256'), await privateJwk('ES256')] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    clientBasedCORS: (_ctx: unknown, origin: string) => origin === consoleOrigin,
    findAccount: async (_ctx: unknown, id: string) =>
      options.accounts[id] ? { accountId: id, claims: async () => ({ sub: id }) } : undefined,
    extraTokenClaims: async (_ctx: unknown, token: { accountId?: string }) => {
      const account = token.accountId === undefined ? undefined : options.accounts[token.accountId];
      return account ? { agency: account.agency, roles: [...account.roles] } : undefined;
    },
    loadExistingGrant: firstPartyGrant,
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => ({
          scope: '',
          audience: resource,
          accessTokenTTL: ACCESS_TOKEN_SECONDS,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    ttl: {
      AccessToken: ACCESS_TOKEN_SECONDS,
      AuthorizationCode: 60,
      IdToken: ACCESS_TOKEN_SECONDS,
      Interaction: 600,
      Session: 600,
      Grant: 600,
    },
  });
  server.on('request', provider.callback());

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    clientId,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface GrantContext {
  oidc: {
    result?: { consent?: { grantId?: string } };
    session: { accountId: string; grantIdFor(clientId: string): string | undefined };
    client: { clientId: string };
    provider: {
      Grant: (new (init: {
        clientId: string;
        accountId: string;
      }) => {
        addOIDCScope(scope: string): void;
        save(): Promise<string>;
      }) & { find(id: string): Promise<unknown> };
    };
  };
}

/** The console is the provider's own first-party client: its grant is made without asking. */
async function firstPartyGrant(ctx: GrantContext): Promise<unknown> {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
  if (grantId) return oidc.provider.Grant.find(grantId);
  const grant = new oidc.provider.Grant({
    clientId: oidc.client.clientId,
    accountId: oidc.session.accountId,
  });
  grant.addOIDCScope('openid');
  await grant.save();
  return grant;
}

/** A port that is free now: for a service whose address the provider must know before it starts. */
export async function freePort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The console's sign-in, driven over HTTP instead of in a browser: the
 * authorization request with PKCE, state and nonce for `resource`, the
 * provider's login form as `login`, and the code redeemed at the token
 * endpoint. Returns the access token.
 */
export async function signInOverHttp(
  provider: TestOidcServer,
  options: { readonly redirectUri: string; readonly resource: string; readonly login: string },
): Promise<string> {
  const issuer = new URL(provider.issuer);
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
  );
  const client: oauth.Client = { client_id: provider.clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const authorize = new URL(as.authorization_endpoint as string);
  for (const [name, value] of Object.entries({
    client_id: provider.clientId,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: 'openid',
    resource: options.resource,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })) {
    authorize.searchParams.set(name, value);
  }

  const cookies = new Map<string, string>();
  const send = async (url: string, body?: URLSearchParams) => {
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
      ...(body ? { body } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = (pair ?? '').indexOf('=');
      if (at > 0) cookies.set((pair as string).slice(0, at), (pair as string).slice(at + 1));
    }
    await response.arrayBuffer();
    return new URL(response.headers.get('location') ?? url, url).href;
  };
  let next = await send(authorize.href);
  for (let step = 0; !next.startsWith(options.redirectUri); step++) {
    if (step > 5) throw new Error(`the provider never came back to the console (at ${next})`);
    next = new URL(next).pathname.startsWith('/interaction/')
      ? await send(next, new URLSearchParams({ prompt: 'login', login: options.login, password: 'any' }))
      : await send(next);
  }

  const params = oauth.validateAuthResponse(as, client, new URL(next), state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    options.redirectUri,
    verifier,
    { additionalParameters: { resource: options.resource }, ...insecure },
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: nonce,
    requireIdToken: true,
  });
  return tokens.access_token;
}
