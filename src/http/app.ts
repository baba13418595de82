import { randomUUID } from 'node:crypto';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Registry } from 'prom-client';
import { claimedSubject } from '../access/access-token';
import type { Authenticator } from '../access/identity';
import type { PrincipalService } from '../access/principal-service';
import type { Principal } from '../access/roles';
import type { CaseService } from '../cases/case-service';
import { isTransientDependencyFailure } from '../db/pg-errors';
import {
  DependencyUnavailableError,
  InvalidTokenError,
  LedgerError,
  NotFoundError,
  PushbackError,
  RateLimitedError,
} from '../errors';
import type { AuditTrail } from '../log/audit-trail';
import type { Logger } from '../logger';
import type { CentralAuthority } from '../orders/central-authority';
import type { ConsultationService } from '../orders/consultations';
import type { DeadlineWarnings } from '../orders/deadline-warnings';
import type { OrderConditionsService } from '../orders/order-conditions';
import type { OrderService } from '../orders/order-service';
import type { OrderSupplements } from '../orders/supplements';
import type { UserNotices } from '../orders/user-notices';
import type { DisclosureUses } from '../reports/disclosure-uses';
import type { DisclosureService } from '../reports/disclosures';
import { auditDenial } from './audit';
import { casesRouter } from './cases.routes';
import { centralAuthorityRouter } from './central-authority.routes';
import { type ConsoleRouteDependencies, consoleRouter } from './console.routes';
import { consultationsRouter } from './consultations.routes';
import { disclosureUsesRouter } from './disclosure-uses.routes';
import { disclosuresRouter } from './disclosures.routes';
import { type EvidenceRouteDependencies, evidenceRouter, evidenceUploadRouter } from './evidence.routes';
import { healthRouter, type Readiness } from './health.routes';
import type { IdempotencyKeys } from './idempotency';
import { logRouter } from './log.routes';
import { openApiDocument } from './openapi';
import { orderConditionsRouter } from './order-conditions.routes';
import { orderContentsRouter } from './order-contents.routes';
import { type OrderViewer, ordersRouter, orderView } from './orders.routes';
import { principalsRouter } from './principals.routes';
import { problemFor, sendProblem } from './problem';
import type { RateLimits } from './rate-limits';
import { requestLog } from './request-log';
import { type UploadRouteDependencies, uploadsRouter } from './uploads.routes';
import { userNoticesRouter } from './user-notices.routes';
import { type WebDependencies, webRouter } from './web.routes';

export interface AppDependencies {
  readonly logger: Logger;
  readonly authenticate: Authenticator;
  readonly cases: CaseService;
  readonly orders: OrderService;
  readonly userNotices: UserNotices;
  /** Supplements to requests (missing contents, translations, formal confirmations). */
  readonly orderSupplements: OrderSupplements;
  readonly consultations: ConsultationService;
  /** Forwarding, referral, statistics and notifications; the order view's early-warning time. */
  readonly centralAuthority: CentralAuthority;
  readonly deadlineWarnings: DeadlineWarnings;
  readonly orderConditions: OrderConditionsService;
  readonly disclosures: DisclosureService;
  readonly disclosureUses: DisclosureUses;
  readonly principals: PrincipalService;
  /** Where reads of case-bound data and refusals are recorded. */
  readonly audit: AuditTrail;
  readonly rateLimits: RateLimits;
  readonly evidence: Omit<EvidenceRouteDependencies, 'authenticate' | 'logger'>;
  /** Resumable (tus) uploads. */
  readonly uploads: Omit<UploadRouteDependencies, 'authenticate' | 'logger'>;
  readonly log: Parameters<typeof logRouter>[0];
  readonly readiness: Readiness;
  readonly metrics: Registry;
  /** Idempotency-Key handling for every write (absent: the header is ignored, as in tools and some tests). */
  readonly idempotencyKeys?: IdempotencyKeys;
  readonly bodyLimitBytes: number;
  /** Express `trust proxy` (see Config.trustProxy); absent: the socket's peer is the source address. */
  readonly trustProxy?: string | undefined;
  /** The console's sign-in settings and its development sign-in. */
  readonly console: ConsoleRouteDependencies;
  /** The console and the verifier page (absent: the service answers the API only). */
  readonly web?: WebDependencies;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** What a client is told to wait after a dependency failed: long enough for a restart or a failover to begin. */
const DEPENDENCY_RETRY_SECONDS = 5;

/** One route the application serves: a method and an Express path such as `/v1/cases/:id`. */
export interface ServedRoute {
  readonly method: string;
  readonly path: string;
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** Every route an application serves, read from its routers (so the OpenAPI document can be checked against it). */
export function routesOf(app: Express): ServedRoute[] {
  const walk = (stack: readonly RouterLayer[]): ServedRoute[] =>
    stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((method) => ({
            method: method.toUpperCase(),
            path: (layer.route as { path: string }).path,
          }))
        : walk(layer.handle?.stack ?? []),
    );
  return walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack);
}

/** Builds the Express application; the caller owns the server and its lifecycle. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.locals.audit = deps.audit;
  const evidenceDeps = { ...deps.evidence, authenticate: deps.authenticate, logger: deps.logger };
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // The source address feeds the audit trail and the rate limits: forwarded headers only from trusted proxies.
  const hops = Number(deps.trustProxy);
  app.set(
    'trust proxy',
    deps.trustProxy === undefined ? false : Number.isInteger(hops) ? hops : deps.trustProxy,
  );

  app.use(requestLog(deps.logger));
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  // Probes stay outside the limits; everything else counts against its source address first.
  app.use(healthRouter(deps.readiness));
  app.locals.rateLimits = deps.rateLimits;
  app.locals.idempotencyKeys = deps.idempotencyKeys;
  app.use(async (req, _res, next) => {
    await deps.rateLimits.admitAddress(req.ip ?? 'unknown');
    next();
  });
  app.use(evidenceUploadRouter(evidenceDeps));
  app.use(uploadsRouter({ ...deps.uploads, authenticate: deps.authenticate, logger: deps.logger }));
  app.use(requireJsonForWrites);
  app.use(express.json({ limit: deps.bodyLimitBytes, strict: true, type: isJson }));

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.get('/metrics', async (_req, res) => {
    res
      .type(deps.metrics.contentType)
      .set('Cache-Control', 'no-store')
      .send(await deps.metrics.metrics());
  });
  app.use(casesRouter(deps.authenticate, deps.cases));
  app.use(logRouter(deps.log));
  const viewOrder: OrderViewer = (order) =>
    orderView(order, deps.deadlineWarnings.warningAt(order), deps.orders.timeZone);
  // Before the orders router: `/v1/orders/stats` and `/v1/orders/templates/...` are not orders' ids.
  app.use(centralAuthorityRouter(deps.authenticate, deps.centralAuthority));
  app.use(orderContentsRouter(deps.authenticate, deps.orderSupplements, viewOrder));
  app.use(consultationsRouter(deps.authenticate, deps.consultations));
  app.use(ordersRouter(deps.authenticate, deps.orders, viewOrder));
  app.use(userNoticesRouter(deps.authenticate, deps.userNotices));
  app.use(orderConditionsRouter(deps.authenticate, deps.orderConditions));
  app.use(disclosuresRouter(deps.authenticate, deps.disclosures));
  app.use(disclosureUsesRouter(deps.authenticate, deps.disclosureUses));
  app.use(principalsRouter(deps.authenticate, deps.principals));
  app.use(evidenceRouter(evidenceDeps));
  // Before the web router, which answers a browser's navigation anywhere else with the console's page.
  app.use(consoleRouter(deps.console));
  if (deps.web) app.use(webRouter(deps.web));

  app.use((_req, _res, next) =>
    next(new LedgerError('ROUTE_NOT_FOUND', 'No route matches this method and path')),
  );
  app.use(errorHandler(deps.logger, deps.rateLimits));
  return app;
}

/** Refused tokens count against the source address, "not found" against the principal (guessing). */
function countGuess(req: Request, res: Response, error: LedgerError, limits: RateLimits): void {
  const principal = res.locals.principal as Principal | undefined;
  if (error instanceof InvalidTokenError) limits.tokenRefused(req.ip ?? 'unknown');
  else if (error instanceof NotFoundError && principal) limits.notFoundAnswered(principal.sub);
}

function isJson(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  const type = req.headers['content-type'];
  return typeof type === 'string' && /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i.test(type);
}

/** A write with a body must say it is JSON; anything else is 415 before a byte is parsed. */
const requireJsonForWrites: RequestHandler = (req, _res, next) => {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (WRITE_METHODS.has(req.method) && hasBody && !isJson(req)) {
    next(new LedgerError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json'));
    return;
  }
  next();
};

/** body-parser's error types, mapped onto our codes. */
const BODY_ERRORS: Record<string, LedgerError['code']> = {
  'entity.parse.failed': 'MALFORMED_JSON',
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'BAD_REQUEST',
  'request.size.invalid': 'BAD_REQUEST',
};

const BODY_DETAILS: Partial<Record<LedgerError['code'], string>> = {
  MALFORMED_JSON: 'The request body is not valid JSON',
  PAYLOAD_TOO_LARGE: 'The request body exceeds the size limit',
  UNSUPPORTED_MEDIA_TYPE: 'The body encoding or charset is not supported',
  BAD_REQUEST: 'The request body could not be read',
};

/**
 * The last middleware: every error becomes problem+json. Known errors show their
 * own message; anything else is a generic 500 whose cause goes to the log only.
 */
function errorHandler(logger: Logger, rateLimits: RateLimits): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const requestId = req.id ?? randomUUID();
    let known: LedgerError;
    const bodyError =
      typeof (error as { type?: unknown })?.type === 'string' ? (error as { type: string }).type : '';
    if (error instanceof LedgerError) {
      known = error;
      // Raised where the fault was met (the S3 store, an upload): the operator needs its cause.
      if (error instanceof DependencyUnavailableError)
        logger.warn({ err: error.cause ?? error, requestId }, 'a dependency failed');
    } else if (BODY_ERRORS[bodyError]) {
      const code = BODY_ERRORS[bodyError];
      known = new LedgerError(code, BODY_DETAILS[code] ?? 'Bad request');
    } else if (isTransientDependencyFailure(error)) {
      logger.warn({ err: error, requestId }, 'a dependency failed');
      known = new DependencyUnavailableError(DEPENDENCY_RETRY_SECONDS, { cause: error });
    } else {
      logger.error({ err: error, requestId }, 'unhandled error');
      known = new LedgerError(
        'INTERNAL',
        'The request could not be completed; quote the request id when reporting it',
      );
    }
    if (known instanceof InvalidTokenError) {
      const token = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
      req.log.info(
        { reason: known.reason, claimedSub: token && claimedSubject(token), ip: req.ip },
        'token refused',
      );
      res.set(
        'WWW-Authenticate',
        known.reason === 'no token'
          ? 'Bearer realm="custody-ledger"'
          : 'Bearer realm="custody-ledger", error="invalid_token"',
      );
    }
    if (
      known instanceof PushbackError ||
      known instanceof RateLimitedError ||
      known instanceof DependencyUnavailableError
    ) {
      res.set('Retry-After', String(known.retryAfterSeconds));
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A refusal is counted against guessing, and on the record before it is answered;
    // a failure to record it is logged, never shown.
    countGuess(req, res, known, rateLimits);
    // A refused request whose body was not read to its end is not read any further: the
    // connection closes after the answer (an unauthenticated gigabyte is not drained).
    if (!req.complete) res.set('Connection', 'close');
    auditDenial(req, res, known)
      .catch((cause: unknown) => logger.error({ err: cause, requestId }, 'could not record a refusal'))
      .finally(() => sendProblem(res, problemFor(known, requestId)));
  };
}
