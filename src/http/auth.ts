import type { NextFunction, Request, Response } from 'express';
import type { Authenticator } from '../access/identity';
import type { Principal } from '../access/roles';
import { InvalidTokenError } from '../errors';
import type { IdempotencyKeys } from './idempotency';
import type { RateLimits } from './rate-limits';

const BEARER = /^Bearer ([A-Za-z0-9_.~+/-]+=*)$/;
/** Far above any real access token; refuses to parse megabytes of header. */
const MAX_TOKEN_LENGTH = 8192;

/** Requires a valid bearer access token and puts its principal on `res.locals.principal`. */
export function requireToken(authenticate: Authenticator) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // Routers that share a prefix (`/v1/cases` and a case's disclosures) each require a token: the
    // first check stands for the request, so the principal's budget and its Idempotency-Key count once.
    if (res.locals.principal) return next();
    const header = req.get('authorization');
    const match = header === undefined ? null : BEARER.exec(header);
    if (!match?.[1] || match[1].length > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenError(header === undefined ? 'no token' : 'malformed Authorization header');
    }
    const principal = await authenticate(match[1]);
    res.locals.principal = principal;
    await (res.app.locals.rateLimits as RateLimits | undefined)?.admitPrincipal(principal.sub);
    const keys = res.app.locals.idempotencyKeys as IdempotencyKeys | undefined;
    // An upload's key is handled once its body is read: the body is part of the request's fingerprint.
    if (keys && !req.is('multipart/form-data')) await keys.handle(req, res, principal.sub, next);
    else next();
  };
}

/** The principal that `requireToken` verified for this request. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new InvalidTokenError('route is missing requireToken');
  return principal;
}
