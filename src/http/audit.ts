import type { Request, Response, Router } from 'express';
import type { Principal } from '../access/roles';
import { ForbiddenRoleError, type LedgerError, NotFoundError } from '../errors';
import type { AuditEvent, AuditTrail } from '../log/audit-trail';

/** Path parameters that name the object of a request, and the object type each names. */
const OBJECT_PARAMS: ReadonlyArray<readonly [string, string]> = [
  ['grantId', 'grant'],
  ['caseId', 'case'],
  ['index', 'log-entry'],
  ['uploadId', 'upload'],
];

/** The route families whose `:id` names an object of that type. */
const ID_TYPES: ReadonlyArray<readonly [string, string]> = [
  ['/v1/cases', 'case'],
  ['/v1/evidence', 'evidence'],
  ['/v1/orders', 'order'],
  ['/v1/disclosures', 'disclosure'],
];

/**
 * Keeps the path parameters of a router's routes on the response, so that a
 * refusal raised inside a route is recorded against the object it named (the
 * final error handler no longer sees the route's parameters).
 */
export function keepObjectParams(router: Router): void {
  for (const name of ['id', ...OBJECT_PARAMS.map(([param]) => param)]) {
    router.param(name, (_req, res, next, value: string) => {
      res.locals.objectParams = { ...res.locals.objectParams, [name]: value };
      next();
    });
  }
}

function trailOf(res: Response): AuditTrail {
  return res.app.locals.audit as AuditTrail;
}

/** What a request asked about: the object its path names, or (for a listing) the caller's agency. */
function objectOf(req: Request, res: Response, principal: Principal): { type: string; id: string } {
  const params: Record<string, string | undefined> = { ...req.params, ...res.locals.objectParams };
  for (const [param, type] of OBJECT_PARAMS) {
    const value = params[param];
    if (typeof value === 'string') return { type, id: value };
  }
  const id = params.id;
  const type = ID_TYPES.find(([prefix]) => req.path.startsWith(prefix))?.[1] ?? 'object';
  return typeof id === 'string' ? { type, id } : { type: `${type}-list`, id: principal.agency };
}

function actionOf(req: Request): string {
  return `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? req.path}`;
}

/**
 * Records a read of case-bound data before its answer is sent (api.md: every
 * read is on the record). The object is the one the path names, unless given.
 */
export function auditRead(
  req: Request,
  res: Response,
  object?: { readonly type: string; readonly id: string },
): Promise<void> {
  return record(req, res, res.locals.principal as Principal, 'read', object);
}

/**
 * Records a refusal of an authenticated caller (not found, or a role not
 * permitted), whether or not the object exists; the caller learns nothing more.
 */
export async function auditDenial(req: Request, res: Response, error: LedgerError): Promise<void> {
  const principal = res.locals.principal as Principal | undefined;
  const outcome =
    error instanceof NotFoundError
      ? 'not_found'
      : error instanceof ForbiddenRoleError
        ? 'forbidden'
        : undefined;
  if (!principal || !outcome || !res.app.locals.audit) return;
  await record(req, res, principal, outcome);
}

function record(
  req: Request,
  res: Response,
  principal: Principal,
  outcome: AuditEvent['outcome'],
  object = objectOf(req, res, principal),
): Promise<void> {
  return trailOf(res).record({
    principal,
    action: actionOf(req),
    object,
    outcome,
    requestId: req.id,
    source: req.ip,
  });
}
