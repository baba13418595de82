/**
 * Signing in to the console: the provider's authorization code flow as a
 * public client (RFC 9700: PKCE S256, `state` and `nonce`, the RFC 8707
 * resource this service accepts), or, on a local trial, the service's own
 * development sign-in. The access token is kept in this tab's sessionStorage
 * only: a reload keeps the session, another tab or a closed browser does not.
 * No token ever travels in a URL; the authorization code leaves the address
 * bar as soon as it is redeemed.
 *
 * Errors thrown are `Error`s whose message is a short code (an OAuth error
 * code such as `access_denied`, or one of ours: `no_pending_sign_in`,
 * `malformed_token`, `sign_in_unavailable`, or a problem `code` of the
 * service such as `VALIDATION_FAILED`): the sign-in page shows it translated.
 */
import * as oauth from 'oauth4webapi';

export interface ConsoleConfig {
  oidc: { issuer: string; clientId: string; scope: string; resource: string } | null;
  devSignIn: boolean;
}

export interface Session {
  accessToken: string;
  /** When the access token expires, in epoch milliseconds. */
  expiresAt: number;
  /** Read from the token's claims, for display only: the service verifies the token itself. */
  principal: { sub: string; agency: string; roles: string[] };
  via: 'oidc' | 'dev';
}

const SESSION_KEY = 'custody-ledger.session';
/** What the redirect to the provider must find again when it comes back (same tab, same origin). */
const PENDING_KEY = 'custody-ledger.sign-in';

interface PendingSignIn {
  issuer: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The service's sign-in settings (`GET /console/config.json`). */
export async function loadConsoleConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/console/config.json', {
    headers: { accept: 'application/json' },
    cache: 'no-store',
  });
  if (!response.ok) throw new Error('sign_in_unavailable');
  const body = (await response.json()) as Partial<ConsoleConfig>;
  const { oidc, devSignIn } = body;
  const oidcValid =
    oidc === null ||
    (typeof oidc === 'object' &&
      [oidc?.issuer, oidc?.clientId, oidc?.scope, oidc?.resource].every(
        (value) => typeof value === 'string',
      ));
  if (typeof devSignIn !== 'boolean' || !oidcValid || oidc === undefined)
    throw new Error('sign_in_unavailable');
  return { oidc, devSignIn };
}

/** This tab's session, or null when there is none or its token has expired (an expired one is removed). */
export function currentSession(): Session | null {
  const stored = readJson(SESSION_KEY);
  if (isSession(stored) && stored.expiresAt > Date.now()) return stored;
  sessionStorage.removeItem(SESSION_KEY);
  return null;
}

/** Sends the browser to the provider's authorization endpoint; it comes back to `/callback`. */
export async function beginOidcSignIn(config: ConsoleConfig): Promise<void> {
  const oidc = requireOidc(config);
  const as = await discover(oidc.issuer);
  if (!as.authorization_endpoint) throw new Error('sign_in_unavailable');
  if (as.code_challenge_methods_supported && !as.code_challenge_methods_supported.includes('S256')) {
    throw new Error('sign_in_unavailable');
  }
  const pending: PendingSignIn = {
    issuer: oidc.issuer,
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    codeVerifier: oauth.generateRandomCodeVerifier(),
  };
  const url = new URL(as.authorization_endpoint);
  for (const [name, value] of Object.entries({
    client_id: oidc.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: oidc.scope,
    resource: oidc.resource,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.codeVerifier),
    code_challenge_method: 'S256',
  })) {
    url.searchParams.set(name, value);
  }
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(url.href);
}

/** Whether `url` is the provider's answer: `/callback` with a code and state, or with an error. */
export function isSignInCallback(url: URL): boolean {
  const params = url.searchParams;
  return url.pathname === '/callback' && ((params.has('code') && params.has('state')) || params.has('error'));
}

/**
 * Redeems the provider's answer at `url` for an access token (checking state,
 * issuer, nonce and the PKCE verifier), keeps the session, and replaces the
 * address with `/`, whether it succeeded or not, so that the code is gone.
 */
export async function completeOidcSignIn(config: ConsoleConfig, url: URL): Promise<Session> {
  const pending = readJson(PENDING_KEY) as PendingSignIn | undefined;
  sessionStorage.removeItem(PENDING_KEY);
  try {
    const oidc = requireOidc(config);
    if (!pending || pending.issuer !== oidc.issuer) throw new Error('no_pending_sign_in');
    const as = await discover(oidc.issuer);
    const client: oauth.Client = { client_id: oidc.clientId };
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, client, url, pending.state);
    } catch (error) {
      throw new Error(error instanceof oauth.AuthorizationResponseError ? error.error : 'sign_in_failed');
    }
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      redirectUri(),
      pending.codeVerifier,
      // The token request names the resource again (RFC 8707 §2.2), so the token's audience is this service.
      { additionalParameters: { resource: oidc.resource }, ...insecureIfLocal(oidc.issuer) },
    );
    let tokens: oauth.TokenEndpointResponse;
    try {
      tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: pending.nonce,
        requireIdToken: true,
      });
    } catch (error) {
      throw new Error(error instanceof oauth.ResponseBodyError ? error.error : 'sign_in_failed');
    }
    if (tokens.token_type !== 'bearer') throw new Error('sign_in_failed');
    return keep(tokens.access_token, tokens.expires_in, 'oidc');
  } finally {
    window.history.replaceState(null, '', '/');
  }
}

/** Development sign-in (`POST /console/dev-sign-in`): a token of the service's own issuer. */
export async function devSignIn(sub: string, agency: string, role: string): Promise<Session> {
  const response = await fetch('/console/dev-sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ sub, agency, role }),
    cache: 'no-store',
  });
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { code?: unknown };
    throw new Error(typeof problem.code === 'string' ? problem.code : 'sign_in_failed');
  }
  const body = (await response.json()) as { accessToken?: unknown; expiresIn?: unknown };
  if (typeof body.accessToken !== 'string') throw new Error('sign_in_failed');
  return keep(body.accessToken, typeof body.expiresIn === 'number' ? body.expiresIn : undefined, 'dev');
}

/** Forgets this tab's session (and any sign-in under way). */
export function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(PENDING_KEY);
}

function keep(accessToken: string, expiresIn: number | undefined, via: Session['via']): Session {
  const claims = decodeClaims(accessToken);
  const now = Date.now();
  // The sooner of what the answer said and what the token says.
  const byAnswer = typeof expiresIn === 'number' && expiresIn > 0 ? now + expiresIn * 1000 : Infinity;
  const session: Session = {
    accessToken,
    expiresAt: Math.min(byAnswer, claims.exp * 1000),
    principal: { sub: claims.sub, agency: claims.agency, roles: claims.roles },
    via,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

/** The access token's claims, decoded without verification: for display, never for a decision. */
function decodeClaims(token: string): { sub: string; agency: string; roles: string[]; exp: number } {
  const payload = token.split('.')[1];
  let claims: Record<string, unknown>;
  try {
    const base64 = (payload ?? '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    claims = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error('malformed_token');
  }
  const { sub, agency, roles, exp } = claims;
  if (
    typeof sub !== 'string' ||
    typeof agency !== 'string' ||
    !Array.isArray(roles) ||
    !roles.every((role) => typeof role === 'string') ||
    typeof exp !== 'number'
  ) {
    throw new Error('malformed_token');
  }
  return { sub, agency, roles, exp };
}

function requireOidc(config: ConsoleConfig): NonNullable<ConsoleConfig['oidc']> {
  if (!config.oidc) throw new Error('sign_in_unavailable');
  return config.oidc;
}

function redirectUri(): string {
  return `${window.location.origin}/callback`;
}

async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const issuerUrl = new URL(issuer);
  const response = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oidc', ...insecureIfLocal(issuer) });
  return oauth.processDiscoveryResponse(issuerUrl, response);
}

/** Plain HTTP to the provider only when it runs on this machine (a local trial, the tests); else HTTPS. */
function insecureIfLocal(issuer: string): { [oauth.allowInsecureRequests]?: true } {
  const { protocol, hostname } = new URL(issuer);
  const local = ['localhost', '[::1]'].includes(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  return protocol === 'http:' && local ? { [oauth.allowInsecureRequests]: true } : {};
}

function readJson(key: string): unknown {
  try {
    const text = sessionStorage.getItem(key);
    return text === null ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isSession(value: unknown): value is Session {
  const session = value as Session | undefined;
  return (
    typeof session === 'object' &&
    session !== null &&
    typeof session.accessToken === 'string' &&
    typeof session.expiresAt === 'number' &&
    (session.via === 'oidc' || session.via === 'dev') &&
    typeof session.principal?.sub === 'string' &&
    typeof session.principal.agency === 'string' &&
    Array.isArray(session.principal.roles)
  );
}
