import { Router } from 'express';
import { LedgerError } from '../errors';

/** Resolves when the service can do its work; rejects when it cannot. */
export interface Readiness {
  check(): Promise<void>;
  /** True once shutdown began: load balancers should stop sending traffic. */
  readonly draining: boolean;
}

/** `/healthz`: the process answers. `/readyz`: the database answers and we are not shutting down. */
export function healthRouter(readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    if (readiness.draining) throw new LedgerError('SERVICE_UNAVAILABLE', 'The service is shutting down');
    try {
      await readiness.check();
    } catch (cause) {
      req.log.warn({ err: cause }, 'readiness check failed');
      throw new LedgerError('SERVICE_UNAVAILABLE', 'The database is not reachable', { cause });
    }
    res.set('Cache-Control', 'no-store').json({ status: 'ready' });
  });
  return router;
}
