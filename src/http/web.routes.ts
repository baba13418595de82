import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type Router } from 'express';

/** Where `scripts/build-web.ts` put the bundles: beside the compiled service (`dist/web`). */
export const DEFAULT_WEB_ROOT = path.resolve(__dirname, '..', '..', 'web');

export interface WebDependencies {
  /** The built console and verifier (`index.html`, `assets/`, `verify.html`). */
  readonly root: string;
  /** Origins the console may call besides its own: the OpenID provider's token endpoint. */
  readonly connectOrigins: readonly string[];
}

/** Paths that are the API's, never the console's (they answer problem+json when unknown). */
const API_PREFIXES = ['/v1/', '/.well-known/', '/assets/'];

/**
 * The console's page for every browser navigation outside the API (its router
 * reads the path), its bundles under `/assets/`, and the verifier at `/verify`.
 * The console's Content-Security-Policy allows scripts and styles only from
 * this origin and connections only to it and the sign-in provider; no page
 * may be framed.
 */
export function webRouter(deps: WebDependencies): Router {
  const router = express.Router();
  const consolePolicy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${deps.connectOrigins.join(' ')}`.trim(),
    "frame-src 'self' blob:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const page = (file: string) => path.join(deps.root, file);
  if (!existsSync(page('index.html'))) return router;

  router.use('/assets', express.static(page('assets'), { index: false, maxAge: 0, etag: true }));
  // The page's own meta policy (by hash, no connections) holds wherever the file is opened; served, it
  // also may not be framed, which only a header can say.
  router.get('/verify', (_req, res) => {
    res
      .set('Cache-Control', 'no-cache')
      .set('Referrer-Policy', 'no-referrer')
      .set('Content-Security-Policy', "frame-ancestors 'none'")
      .sendFile(page('verify.html'));
  });
  // A middleware, not a route: the console's paths are its own, not the API's (the OpenAPI document lists routes).
  router.use((req, res, next) => {
    if (req.method !== 'GET' || !wantsPage(req)) return next();
    res
      .set('Content-Security-Policy', consolePolicy)
      .set('Referrer-Policy', 'no-referrer')
      .set('Cache-Control', 'no-cache')
      .sendFile(page('index.html'));
  });
  return router;
}

function wantsPage(req: Request): boolean {
  return (
    !API_PREFIXES.some((prefix) => req.path.startsWith(prefix)) && req.accepts(['json', 'html']) === 'html'
  );
}
