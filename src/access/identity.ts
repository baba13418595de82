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
 * How long a principal's record is trusted before it is read again. A status
 * change is also announced to every process at once (PRINCIPAL_CHANNEL); this
 * bounds the delay should an announcement be missed.
 */
export const PRINCIPAL_RECHECK_MS = 2000;

/**
 * Turns a bearer token into the request's principal. The verified token is the
 * identity: an agency or principal first seen here is recorded, with no
 * registration step. A subject stays bound to the agency and issuer it was first
 * seen with; a token that claims otherwise, or the token of a principal an
 * administrator disabled, is refused like any invalid token.
 */
export function createAuthenticator(
  verify: TokenVerifier,
  store: PrincipalStore,
  now: () => number = Date.now,
) {
  const known = new Map<string, { record: PrincipalRecord; readAt: number }>();
  // A token verified once stays valid until its `exp`; remembering it saves a signature check per request.
  const verified = new Map<string, VerifiedToken>();

  const authenticate = async (token: string): Promise<Principal> => {
    let result = verified.get(token);
    if (!result || result.expiresAt * 1000 <= now()) {
      verified.delete(token);
      result = await verify(token);
      remember(verified, token, result);
    }
    const principal = result.principal;
    let cached = known.get(principal.sub);
    if (!cached || now() - cached.readAt > PRINCIPAL_RECHECK_MS) {
      known.delete(principal.sub);
      cached = { record: await store.record(principal), readAt: now() };
      remember(known, principal.sub, cached);
    }
    const bound = cached.record;
    if (bound.agency !== principal.agency || bound.issuer !== principal.issuer) {
      throw new InvalidTokenError('subject is bound to another agency or issuer');
    }
    if (bound.disabledAt) throw new InvalidTokenError('principal disabled');
    return principal;
  };
  /** Drops what is remembered of a subject (its status changed in some process): read again on its next request. */
  const forget = (sub: string): void => {
    known.delete(sub);
  };
  return Object.assign(authenticate, { forget });
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/** Adds to a bounded map, forgetting the oldest entry when full. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= REMEMBERED) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
