import { Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { OrderConditionsService } from '../orders/order-conditions';
import { keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { custodianAcknowledgementBody, onwardAuthorisationBody, orderAssigneeBody } from './schemas';
import { idFromPath, parseBody } from './validation';

/** Conditions that travel with the data of an order, and what is done under them (legal rows 23, 38, 39, 43). */
export function orderConditionsRouter(
  authenticate: Authenticator,
  conditions: OrderConditionsService,
): Router {
  const router = Router();
  keepObjectParams(router);
  router.use(
    ['/v1/orders/:id/onward-authorisations', '/v1/orders/:id/assignees', '/v1/orders/:id/acknowledgements'],
    requireToken(authenticate),
  );

  router.post('/v1/orders/:id/acknowledgements', async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const body = parseBody(custodianAcknowledgementBody, req.body);
    const { value, receipt } = await conditions.acknowledgeDuty(
      principalOf(res),
      id,
      new Date(body.confidentialUntil),
    );
    res.status(201).json({
      acknowledgement: {
        orderId: value.orderId,
        custodianAgency: value.custodianAgency,
        confidentialUntil: value.confidentialUntil.toISOString(),
        acknowledgedAt: value.acknowledgedAt.toISOString(),
      },
      receipt,
    });
  });

  router.post('/v1/orders/:id/assignees', async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const { sub } = parseBody(orderAssigneeBody, req.body);
    const { value, receipt } = await conditions.assign(principalOf(res), id, sub);
    res.status(201).json({
      assignee: { orderId: value.orderId, sub: value.sub, assignedAt: value.assignedAt.toISOString() },
      receipt,
    });
  });

  router.post('/v1/orders/:id/onward-authorisations', async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const body = parseBody(onwardAuthorisationBody, req.body);
    const { value, receipt } = await conditions.authoriseOnward(principalOf(res), id, body);
    res.status(201).json({
      onwardAuthorisation: {
        id: value.id,
        orderId: value.orderId,
        recipientAgency: value.recipientAgency,
        recipientState: value.recipientState,
        reference: value.reference,
        recordedAt: value.recordedAt.toISOString(),
      },
      receipt,
    });
  });

  return router;
}
