import { type Request, type Response, Router } from 'express';
import type { TokenRequest } from '../access/access-token';
import type { Config } from '../config';
import { isLoopbackAddress, isLoopbackHost } from '../loopback';
import type { RateLimits } from './rate-limits';
import { devSignInBody } from './schemas';
import { parseBody } from './validation';

export interface ConsoleRouteDependencies {
  readonly settings: Config['console'];
  /** Lifetime of a development token (TOKEN_TTL_SECONDS). */
  readonly devTokenSeconds: number;
  /** Mints a token from the built-in issuer. */
  readonly issueToken: (request: TokenRequest) => Promise<string>;
}

/**
 * What the console needs before anyone signs in: `GET /console/config.json`
 * (public; which sign-in it offers, no secrets) and, for a local trial only,
 * `POST /console/dev-sign-in`, which mints a built-in token for the subject,
 * agency and role asked. That route exists only with CONSOLE_DEV_SIGNIN=true
 * (configuration refuses it unless the service listens on loopback) and only
 * for a connection whose own peer is loopback and that no proxy forwarded (a
 * reverse proxy on this host would otherwise let the world in), addressed to a
 * loopback name (a page whose DNS name was rebound to 127.0.0.1 cannot read a
 * token): the socket decides, never a forwarded address. Anything else is
 * answered as an unknown route.
 */
export function consoleRouter(deps: ConsoleRouteDependencies): Router {
  const router = Router();
  const { oidc, devSignIn } = deps.settings;

  router.get('/console/config.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json({ oidc: oidc ?? null, devSignIn });
  });

  router.post('/console/dev-sign-in', async (req: Request, res: Response, next) => {
    if (!devSignIn || !fromThisHost(req)) {
      next();
      return;
    }
    const { sub, agency, role } = parseBody(devSignInBody, req.body);
    await (res.app.locals.rateLimits as RateLimits | undefined)?.admitPrincipal(sub);
    const accessToken = await deps.issueToken({
      sub,
      agency,
      roles: [role],
      ttlSeconds: deps.devTokenSeconds,
    });
    req.log.warn({ sub, agency, role, peer: req.socket.remoteAddress }, 'development sign-in');
    res
      .set('Cache-Control', 'no-store')
      .json({ accessToken, expiresIn: deps.devTokenSeconds, principal: { sub, agency, roles: [role] } });
  });
  return router;
}

/** Headers a reverse proxy adds: their presence says the real caller is elsewhere, whatever it claims. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

function fromThisHost(req: Request): boolean {
  const host = /^\[?([^\]]*?)\]?(?::\d+)?$/.exec(req.headers.host ?? '')?.[1] ?? '';
  return (
    isLoopbackAddress(req.socket.remoteAddress) &&
    isLoopbackHost(host) &&
    !PROXY_HEADERS.some((name) => req.headers[name] !== undefined)
  );
}
