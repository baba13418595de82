import type { PrincipalRecord } from '../db/principal.repository';
import { InvalidTokenError } from '../errors';
import type { TokenVerifier } from './access-token';
import type { Principal } from './roles';

export interface PrincipalStore {
  record(seen: PrincipalRecord): Promise<PrincipalRecord>;
}

/** How many subjects to remember as already recorded, so a hot caller costs no query. */
const REMEMBERED = 10_000;

/**
 * Turns a bearer token into the request's principal. The verified token is the
 * identity: an agency or principal first seen here is recorded, with no
 * registration step. A subject stays bound to the agency and issuer it was first
 * seen with; a token that claims otherwise is refused like any invalid token.
 */
export function createAuthenticator(verify: TokenVerifier, store: PrincipalStore) {
  const known = new Map<string, PrincipalRecord>();

  return async function authenticate(token: string): Promise<Principal> {
    const principal = await verify(token);
    let bound = known.get(principal.sub);
    if (!bound) {
      bound = await store.record(principal);
      if (known.size >= REMEMBERED) known.delete(known.keys().next().value as string);
      known.set(bound.sub, bound);
    }
    if (bound.agency !== principal.agency || bound.issuer !== principal.issuer) {
      throw new InvalidTokenError('subject is bound to another agency or issuer');
    }
    return principal;
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
