import { Router } from 'express';
import { z } from 'zod';
import type { Authenticator } from '../access/identity';
import type { EntryValue } from '../ledger';
import { requestForms } from '../orders/forms';
import { ORDER_KINDS } from '../orders/lifecycle';
import type { OrderSupplements } from '../orders/supplements';
import { principalOf, requireToken } from './auth';
import { type OrderViewer, SAFEGUARDS } from './orders.routes';
import { orderSupplementBody } from './schemas';
import { idFromPath, parseBody, parseQuery } from './validation';

const formParams = z.strictObject({ kind: z.enum(ORDER_KINDS) });

/**
 * What a request must contain, and what is supplied later: the request forms
 * of each kind (legal row 67) and supplements to a request (rows 3, 33, 34).
 */
export function orderContentsRouter(
  authenticate: Authenticator,
  supplements: OrderSupplements,
  orderJson: OrderViewer,
): Router {
  const router = Router();
  // Per route, so that the other order routes are not authenticated twice.
  const signedIn = requireToken(authenticate);

  // Any signed-in caller: the forms say what the law asks for, nothing about any order.
  router.get('/v1/orders/templates/:kind', signedIn, (req, res) => {
    const { kind } = parseQuery(formParams, { kind: req.params.kind });
    res.set('Cache-Control', 'no-store').json({ kind, forms: requestForms(kind) });
  });

  router.post('/v1/orders/:id/supplement', signedIn, async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const { formalConfirmation, ...contents } = parseBody(orderSupplementBody, req.body);
    const details: Record<string, EntryValue> = {};
    const safeguards: Record<string, EntryValue> = {};
    for (const [key, value] of Object.entries(contents)) {
      if (value !== undefined)
        ((SAFEGUARDS as readonly string[]).includes(key) ? safeguards : details)[key] = value as EntryValue;
    }
    const { value, receipt } = await supplements.supplement(principalOf(res), id, {
      details,
      safeguards,
      formalConfirmation,
    });
    res.json({ order: orderJson(value), receipt });
  });

  return router;
}
