import { Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { UserNoticeRecord } from '../db/user-notice.repository';
import type { UserNotices } from '../orders/user-notices';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { userNoticeBody } from './schemas';
import { idFromPath, parseBody } from './validation';

/** `/v1/orders/:id/user-notice`: whether the person an order concerns was told, and if not, why and until when. */
export function userNoticesRouter(authenticate: Authenticator, notices: UserNotices): Router {
  const router = Router();
  keepObjectParams(router);
  router.use('/v1/orders/:id/user-notice', requireToken(authenticate));

  router.post('/v1/orders/:id/user-notice', async (req, res) => {
    const body = parseBody(userNoticeBody, req.body);
    const { value, receipt } = await notices.record(principalOf(res), idFromPath(req.params.id, 'order'), {
      ...body,
      until: body.until === undefined ? undefined : new Date(body.until),
    });
    res.status(201).json({ userNotice: noticeJson(value), receipt });
  });

  router.get('/v1/orders/:id/user-notice', async (req, res) => {
    const current = await notices.current(principalOf(res), idFromPath(req.params.id, 'order'));
    await auditRead(req, res);
    res
      .set('Cache-Control', 'no-store')
      .json({ userNotice: current && { ...noticeJson(current), reviewDue: current.reviewDue } });
  });

  return router;
}

function noticeJson(notice: UserNoticeRecord) {
  return {
    id: notice.id,
    orderId: notice.orderId,
    decision: notice.decision,
    ground: notice.ground,
    until: notice.until?.toISOString() ?? null,
    decidedAt: notice.decidedAt.toISOString(),
  };
}
