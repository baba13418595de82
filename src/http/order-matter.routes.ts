import { Router } from 'express';
import type { OrderService } from '../orders/order-service';
import { auditRead, keepObjectParams } from './audit';
import { principalOf } from './auth';
import type { OrderViewer } from './orders.routes';
import { trafficDisclosureBody } from './schemas';
import { idFromPath, parseBody } from './validation';

/**
 * `/v1/orders/:id/matter` and `/v1/orders/:id/traffic-disclosures`: the
 * orders of one matter (UN 42(1), 43, 44(1); Bud 29-31), and partial
 * disclosures of traffic data from a preservation order (UN 43(1), 26; Bud 30(1), 17).
 * Mounted by the orders router, behind its token check.
 */
export function orderMatterRouter(orders: OrderService, orderJson: OrderViewer): Router {
  const router = Router();
  keepObjectParams(router);

  router.get('/v1/orders/:id/matter', async (req, res) => {
    const matter = await orders.matters.matter(principalOf(res), idFromPath(req.params.id, 'order'));
    const listed = new Set(matter.map(({ order }) => order.id));
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({
      orders: matter.map(({ order, execution }) => ({
        ...orderJson(order),
        // A status view names the order it follows only when the caller sees that one too.
        ...(order.statusOnly && order.relatedOrderId && listed.has(order.relatedOrderId)
          ? { relatedOrderId: order.relatedOrderId, relation: order.relation }
          : {}),
        ...(execution
          ? {
              execution: {
                standing: execution.standing,
                renewBy: 'renewBy' in execution ? (execution.renewBy?.toISOString() ?? null) : null,
                executedBy: execution.executedBy,
              },
            }
          : {}),
      })),
    });
  });

  router.post('/v1/orders/:id/traffic-disclosures', async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const body = parseBody(trafficDisclosureBody, req.body);
    const { value, receipt } = await orders.matters.discloseTraffic(principalOf(res), id, body);
    res.status(201).json({ order: orderJson(value), receipt });
  });

  return router;
}
