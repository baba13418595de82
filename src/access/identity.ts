import type { PrincipalRecord } from '../db/principal.repository';
import { InvalidTokenError } from '../errors';
import type { TokenVerifier, VerifiedToken } from './access-token';
import type { Principal } from './roles';

export interface PrincipalStore {
  record(seen: PrincipalRecord): Promise<PrincipalRecord>;
}

/** How many subjects (and verified tokens) to remember, so a hot caller costs no query and no signature check. */
const REMEMBERED = 10_000;

/**
 * Turns a bearer token into the request's principal. The verified token is the
 * identity: an agency or principal first seen here is recorded, with no
 * registration step. A subject stays bound to the agency and issuer it was first
 * seen with; a token that claims otherwise is refused like any invalid token.
 */
export function createAuthenticator(
  verify: TokenVerifier,
  store: PrincipalStore,
  now: () => number = Date.now,
) {
  const known = new Map<string, PrincipalRecord>();
  // A token verified once stays valid until its `exp`; remembering it saves a signature check per request.
  const verified = new Map<string, VerifiedToken>();

  return async function authenticate(token: string): Promise<Principal> {
    let result = verified.get(token);
    if (!result || result.expiresAt * 1000 <= now()) {
      verified.delete(token);
      result = await verify(token);
      remember(verified, token, result);
    }
    const principal = result.principal;
    let bound = known.get(principal.sub);
    if (!bound) {
      bound = await store.record(principal);
      remember(known, bound.sub, bound);
    }
    if (bound.agency !== principal.agency || bound.issuer !== principal.issuer) {
      throw new InvalidTokenError('subject is bound to another agency or issuer');
    }
    return principal;
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/** Adds to a bounded map, forgetting the oldest entry when full. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= REMEMBERED) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
