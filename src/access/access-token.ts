import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  importJWK,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import { InvalidTokenError } from '../errors';
import { AGENCY_CODE, type Principal, ROLES, type Role } from './roles';

/** RFC 9068 access tokens: the header `typ` that tells them apart from receipts and ID tokens. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

const claimsSchema = z.object({
  sub: z.string().min(1).max(255),
  agency: z.string().regex(AGENCY_CODE),
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
});

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSeconds: number;
  /** Longest `exp - iat`, and oldest `iat`, accepted from any issuer. */
  readonly maxLifetimeSeconds: number;
}

export interface ExternalIssuer {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
}

/** A verified token: its principal, and until when (epoch seconds) the token is valid. */
export interface VerifiedToken {
  readonly principal: Principal;
  readonly expiresAt: number;
}

export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

/** A JWS segment: unpadded base64url (RFC 7515 §2), nothing else. */
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * The compact JWS must be exactly three canonical base64url segments (no
 * padding, no trailing data, no bits beyond the last byte), and its protected
 * header must name a `kid` and carry no `crit`: we understand no extension, so
 * any critical one is refused (RFC 7515 §4.1.11).
 */
function assertStrictCompactForm(token: string): void {
  const segments = token.split('.');
  if (segments.length !== 3) throw new InvalidTokenError('not a compact JWS of three segments');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || Buffer.from(segment, 'base64url').toString('base64url') !== segment) {
      throw new InvalidTokenError('a segment is not canonical unpadded base64url');
    }
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(segments[0] as string, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new InvalidTokenError('the protected header is not JSON', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new InvalidTokenError('the protected header is not a JSON object');
  }
  const { kid } = header as { kid?: unknown };
  if (typeof kid !== 'string' || kid === '') throw new InvalidTokenError('no kid');
  if (Object.hasOwn(header, 'crit'))
    throw new InvalidTokenError('crit names an extension we do not understand');
}

/** The `sub` a token claims, unverified: only for the log line of a refusal, truncated. */
export function claimedSubject(token: string): string | undefined {
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === 'string' ? sub.slice(0, 255) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies bearer access tokens from the built-in issuer (Ed25519, our key) and,
 * if configured, one external OpenID Connect provider (its JWKS, its algorithms),
 * following RFC 8725: strict compact form, explicit algorithm allow-list, `typ:
 * at+jwt`, a `kid` that the issuer's key set knows, no `crit`, signature, `iss`,
 * `aud`, required and finite `exp`/`iat`/`sub`, `iat` neither in the future nor
 * older than the longest lifetime, `exp - iat` at most that lifetime, and the
 * `agency` and `roles` claims. Any failure is one InvalidTokenError; its
 * `reason` is for the log only.
 */
export function createTokenVerifier(
  builtIn: TokenSettings & { readonly publicJwk: JWK },
  external?: ExternalIssuer,
): TokenVerifier {
  const issuers = new Map<string, { keys: JWTVerifyGetKey; audience: string; algorithms: string[] }>();
  issuers.set(builtIn.issuer, {
    keys: createLocalJWKSet({ keys: [builtIn.publicJwk] }),
    audience: builtIn.audience,
    algorithms: ['EdDSA'],
  });
  if (external) {
    issuers.set(external.issuer, {
      keys: createRemoteJWKSet(new URL(external.jwksUrl), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
      }),
      audience: external.audience,
      algorithms: [...external.algorithms],
    });
  }

  return async (token) => {
    assertStrictCompactForm(token);
    let unverifiedIssuer: string | undefined;
    try {
      unverifiedIssuer = decodeJwt(token).iss;
    } catch (cause) {
      throw new InvalidTokenError('not a JWT', { cause });
    }
    const trusted = unverifiedIssuer === undefined ? undefined : issuers.get(unverifiedIssuer);
    if (!trusted || unverifiedIssuer === undefined) throw new InvalidTokenError('unknown issuer');

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys, {
        algorithms: trusted.algorithms,
        issuer: unverifiedIssuer,
        audience: trusted.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: builtIn.clockToleranceSeconds,
      }));
    } catch (cause) {
      throw new InvalidTokenError((cause as { code?: string }).code ?? 'verification failed', { cause });
    }
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = payload;
    const tolerance = builtIn.clockToleranceSeconds;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      !Number.isFinite(iat) ||
      !Number.isFinite(exp)
    ) {
      throw new InvalidTokenError('iat or exp is not a finite number');
    }
    if (iat > now + tolerance) throw new InvalidTokenError('iat in the future');
    if (iat < now - builtIn.maxLifetimeSeconds - tolerance) throw new InvalidTokenError('iat too old');
    if (exp - iat > builtIn.maxLifetimeSeconds) throw new InvalidTokenError('lifetime longer than allowed');
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new InvalidTokenError('missing or malformed agency/roles/sub claims');
    return {
      principal: {
        sub: claims.data.sub,
        agency: claims.data.agency,
        roles: [...new Set(claims.data.roles)],
        issuer: unverifiedIssuer,
      },
      expiresAt: exp,
    };
  };
}

export interface TokenRequest {
  readonly sub: string;
  readonly agency: string;
  readonly roles: readonly Role[];
  readonly ttlSeconds: number;
}

/** Issues an access token from the built-in issuer (for the `token` command and tests). */
export async function issueAccessToken(
  settings: {
    readonly issuer: string;
    readonly audience: string;
    readonly privateJwk: JWK;
    readonly kid: string;
  },
  request: TokenRequest,
): Promise<string> {
  const claims = claimsSchema.parse({ sub: request.sub, agency: request.agency, roles: request.roles });
  const key = await importJWK(settings.privateJwk, 'EdDSA');
  return new SignJWT({ agency: claims.agency, roles: claims.roles })
    .setProtectedHeader({ alg: 'EdDSA', kid: settings.kid, typ: ACCESS_TOKEN_TYPE })
    .setSubject(claims.sub)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${request.ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(key);
}

/** The public half of an Ed25519 private JWK, labelled for verification. */
export function publicJwkOf(privateJwk: JWK, kid: string): JWK {
  return { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, kid, alg: 'EdDSA', use: 'sig' };
}
