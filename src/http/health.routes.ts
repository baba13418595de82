import { Router } from 'express';
import { LedgerError } from '../errors';
import { problemFor, sendProblem } from './problem';

/** Resolves when the service can do its work; rejects when it cannot. */
export interface Readiness {
  check(): Promise<void>;
  /** True once shutdown began: load balancers should stop sending traffic. */
  readonly draining: boolean;
  /** Why the log refuses to sign, if it does: a stable reason code (no path, no SQL). */
  halted?(): string | undefined;
  /** Why a write could not succeed now (a read-only database or volume, a full volume), if it could not. */
  unwritable?(): Promise<string | undefined>;
  /** What an operator should know about a ready service: whether the database checksums its pages. */
  details?(): { readonly dataChecksums: boolean };
}

/**
 * `/healthz`: the process answers. `/readyz`: writes can succeed: the log
 * signs, the database answers and accepts writes, the evidence volume is
 * writable with room, and we are not shutting down. A halted log answers 503
 * with the problem code `LOG_INCONSISTENT`, a volume or database that cannot
 * take writes with `SERVICE_UNAVAILABLE`; both give their reason in `reason`.
 */
export function healthRouter(readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    if (readiness.draining) throw new LedgerError('SERVICE_UNAVAILABLE', 'The service is shutting down');
    const reason = readiness.halted?.();
    if (reason) {
      const problem = problemFor(new LedgerError('LOG_INCONSISTENT', 'The log refuses to sign'), req.id);
      const body = { ...problem, status: 503, reason };
      sendProblem(res, body);
      return;
    }
    let unwritable: string | undefined;
    try {
      await readiness.check();
      unwritable = await readiness.unwritable?.();
    } catch (cause) {
      req.log.warn({ err: cause }, 'readiness check failed');
      throw new LedgerError('SERVICE_UNAVAILABLE', 'The database is not reachable', { cause });
    }
    if (unwritable) {
      const problem = problemFor(new LedgerError('SERVICE_UNAVAILABLE', 'Writes cannot succeed now'), req.id);
      const body = { ...problem, reason: unwritable };
      sendProblem(res, body);
      return;
    }
    res.set('Cache-Control', 'no-store').json({ status: 'ready', ...readiness.details?.() });
  });
  return router;
}
