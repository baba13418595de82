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

/**
 * Verifies bearer access tokens from the built-in issuer (Ed25519, our key) and,
 * if configured, one external OpenID Connect provider (its JWKS, its algorithms).
 * Checks: explicit algorithm allow-list, `typ: at+jwt`, a known `kid`, signature,
 * `iss`, `aud`, required `exp`/`iat`/`sub`, `iat` not in the future, and the
 * `agency` and `roles` claims. Any failure is one InvalidTokenError; its `reason`
 * is for the log only.
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
    if (typeof payload.iat !== 'number' || payload.iat > now + builtIn.clockToleranceSeconds) {
      throw new InvalidTokenError('iat in the future');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new InvalidTokenError('missing or malformed agency/roles/sub claims');
    return {
      principal: {
        sub: claims.data.sub,
        agency: claims.data.agency,
        roles: [...new Set(claims.data.roles)],
        issuer: unverifiedIssuer,
      },
      expiresAt: payload.exp as number,
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
