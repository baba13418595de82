import { Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { PrincipalService } from '../access/principal-service';
import type { PrincipalRecord } from '../db/principal.repository';
import { NotFoundError } from '../errors';
import { principalOf, requireToken } from './auth';
import { principalStatusBody, subParam } from './schemas';
import { parseBody } from './validation';

/** `/v1/principals/:sub/disable` and `/enable`: operators revoke and restore a principal's access. */
export function principalsRouter(authenticate: Authenticator, principals: PrincipalService): Router {
  const router = Router();
  router.use('/v1/principals', requireToken(authenticate));

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    router.post(`/v1/principals/:sub/${action}`, async (req, res) => {
      const sub = subParam.safeParse(req.params.sub);
      if (!sub.success) throw new NotFoundError('principal');
      const { reason } = parseBody(principalStatusBody, req.body);
      const { value, receipt } = await principals.setDisabled(principalOf(res), sub.data, disabled, reason);
      res.json({ principal: principalJson(value), receipt });
    });
  }
  return router;
}

function principalJson(record: PrincipalRecord) {
  return {
    sub: record.sub,
    agency: record.agency,
    issuer: record.issuer,
    disabledAt: record.disabledAt?.toISOString() ?? null,
  };
}
