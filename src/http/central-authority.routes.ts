import { Router } from 'express';
import { z } from 'zod';
import type { Authenticator } from '../access/identity';
import { AGENCY_CODE } from '../access/roles';
import type { StoredNotification } from '../db/notification.repository';
import type { CentralAuthority } from '../orders/central-authority';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { decodeCursor, encodeCursor } from './cursor';
import { notificationListQuery } from './schemas';
import { idFromPath, parseBody, parseQuery } from './validation';

const reasonText = z
  .string()
  .max(4000)
  .refine((value) => value.trim().length > 0, { message: 'must not be blank' });

/** `POST /v1/orders/:id/forward`: the competent authority that executes the request (UN Art. 40(13)). */
export const forwardBody = z.strictObject({
  executingAgency: z.string().regex(AGENCY_CODE),
  reason: reasonText.optional(),
});

/** `POST /v1/orders/:id/referrals`: the extradition authority (default: the first configured) and why. */
export const referralBody = z.strictObject({
  authority: z.string().regex(AGENCY_CODE).optional(),
  reason: reasonText,
});

/** `GET /v1/orders/stats`: orders received in [from, to). */
export const statisticsQuery = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((range) => !range.from || !range.to || new Date(range.from) < new Date(range.to), {
    message: 'from comes before to',
    path: ['to'],
  });

/**
 * The central authority's routes beside the order's own (UN Arts 40(13), 41,
 * 57; Budapest Arts 27, 35): forwarding, referral, statistics, and the
 * notifications of the caller's agency. Mounted before the orders router, so
 * that `/v1/orders/stats` is not read as an order's id.
 */
export function centralAuthorityRouter(authenticate: Authenticator, authority: CentralAuthority): Router {
  const router = Router();
  keepObjectParams(router);
  const token = requireToken(authenticate);

  router.get('/v1/orders/stats', token, async (req, res) => {
    const query = parseQuery(statisticsQuery, req.query);
    const range = {
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
    };
    const statistics = await authority.statistics(principalOf(res), range);
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({
      from: range.from?.toISOString() ?? null,
      to: range.to?.toISOString() ?? null,
      ...statistics,
    });
  });

  router.post('/v1/orders/:id/forward', token, async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const body = parseBody(forwardBody, req.body);
    const { value, receipt } = await authority.forward(principalOf(res), id, body);
    res.json({
      order: { id: value.id, status: value.status, executingAgency: value.executingAgency },
      receipt,
    });
  });

  router.post('/v1/orders/:id/referrals', token, async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const body = parseBody(referralBody, req.body);
    const { value, receipt, authority: to } = await authority.refer(principalOf(res), id, body);
    res.status(201).json({ referral: { order: value.id, authority: to }, receipt });
  });

  router.get('/v1/notifications', token, async (req, res) => {
    const query = parseQuery(notificationListQuery, req.query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    // One more than asked tells whether another page follows (as every listing does).
    const rows = await authority.notificationsOf(principalOf(res), query.limit + 1, after, query.orderId);
    const items = rows.slice(0, query.limit);
    const last = rows.length > query.limit ? items.at(-1) : undefined;
    res.set('Cache-Control', 'no-store').json({
      items: items.map(notificationJson),
      nextCursor: last ? encodeCursor(last) : null,
    });
  });

  router.post('/v1/notifications/:id/ack', token, async (req, res) => {
    const id = idFromPath(req.params.id, 'notification');
    res.json({ notification: notificationJson(await authority.acknowledge(principalOf(res), id)) });
  });

  return router;
}

function notificationJson(notification: StoredNotification) {
  return {
    id: notification.id,
    kind: notification.kind,
    recipientAgency: notification.recipientAgency,
    recipientSub: notification.recipientSub,
    orderId: notification.orderId ?? null,
    caseId: notification.caseId,
    payload: notification.payload,
    createdAt: notification.createdAt.toISOString(),
    acknowledgedAt: notification.acknowledgedAt?.toISOString() ?? null,
    acknowledgedBy: notification.acknowledgedBy,
  };
}
