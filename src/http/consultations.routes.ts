import { Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { ConsultationService } from '../orders/consultations';
import { keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { consultationBody } from './schemas';
import { idFromPath, parseBody } from './validation';

/**
 * `/v1/orders/:id/consultations`: the requested side consults the requesting
 * side before refusing or postponing (Bud 27(6); UN 40(26) [U]), and the
 * requesting side answers on the same route.
 */
export function consultationsRouter(authenticate: Authenticator, consultations: ConsultationService): Router {
  const router = Router();
  keepObjectParams(router);
  // Mounted before the orders router, so the token (and an Idempotency-Key) is handled once, here.
  router.post('/v1/orders/:id/consultations', requireToken(authenticate), async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const body = parseBody(consultationBody, req.body);
    const { value, receipt } = await consultations.consult(principalOf(res), id, body);
    res.status(201).json({ consultation: { order: value.order.id, side: value.side }, receipt });
  });

  return router;
}
