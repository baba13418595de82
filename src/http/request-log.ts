import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Principal } from '../access/roles';
import type { Logger } from '../logger';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id: echoed in `X-Request-Id`, in problem bodies and in every log line. */
    id: string;
    /** A logger bound to this request's id. */
    log: Logger;
  }
}

/** Caller-supplied request ids are kept only if short and plain, so they are safe to log and echo. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Request ids and one access-log line per request, naming the caller (subject,
 * agency, source address) once its token is verified. Written here rather than
 * with pino-http, which builds two child loggers (serialising the request) for
 * every request: measurable at thousands of appends a second. Here the child
 * logger is built only when a handler logs through `req.log`.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const offered = req.headers['x-request-id'];
    const id = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { get: () => (child ??= logger.child({ requestId: id })) });
    const started = performance.now();
    const done = () => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      const level = res.statusCode >= 500 || !res.writableFinished ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const principal = res.locals.principal as Principal | undefined;
      logger[level](
        {
          requestId: id,
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ip: req.ip,
          sub: principal?.sub,
          agency: principal?.agency,
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
