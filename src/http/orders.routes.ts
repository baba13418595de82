import { Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { OrderRecord } from '../db/order.repository';
import type { EntryValue } from '../ledger';
import { statedEventTime } from '../orders/event-time';
import { localTimes } from '../orders/local-time';
import type { OrderService } from '../orders/order-service';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { decodeCursor, decodeKeyedCursor, encodeCursor } from './cursor';
import { orderMatterRouter } from './order-matter.routes';
import { orderBody, orderEvidenceBody, orderListQuery, orderTransitionBody } from './schemas';
import { idFromPath, parseBody, parseQuery } from './validation';

export const SAFEGUARDS = [
  'confidential',
  'noUserNotification',
  'specialityConditions',
  'dataProtectionConditions',
  'onwardTransferAllowed',
  'authorisingBody',
  'authorisingReference',
  'custodianAgency',
  'confidentialUntil',
] as const;

/** `/v1/orders`: legal orders and requests under the Convention, with their deadlines. */
export function ordersRouter(
  authenticate: Authenticator,
  orders: OrderService,
  orderJson: OrderViewer = (order) => orderView(order, null, orders.timeZone),
): Router {
  const router = Router();
  keepObjectParams(router);
  router.use('/v1/orders', requireToken(authenticate));
  router.use(orderMatterRouter(orders, orderJson));

  router.post('/v1/orders', async (req, res) => {
    const {
      kind,
      direction,
      legalBasis,
      caseId,
      requestingState,
      requestedState,
      requestingAuthority,
      channel,
      urgency,
      requestedBy,
      relatedOrderId,
      relation,
      timeZone,
      receivedAt,
      receivedAtSource,
      receivedAtReason,
      enforcingAgency,
      ...contents
    } = parseBody(orderBody, req.body);
    // What the request states: its safeguards, and the kind-specific details (offence, facts, data, ...).
    const safeguards: Record<string, EntryValue> = {};
    const details: Record<string, EntryValue> = {};
    for (const [key, value] of Object.entries(contents)) {
      if (value !== undefined)
        ((SAFEGUARDS as readonly string[]).includes(key) ? safeguards : details)[key] = value;
    }
    const { value, receipt } = await orders.submit(principalOf(res), {
      kind,
      direction,
      legalBasis,
      caseId,
      requestingState,
      requestedState,
      requestingAuthority,
      channel,
      urgency,
      requestedBy: requestedBy === undefined ? undefined : new Date(requestedBy),
      enforcingAgency,
      details,
      safeguards,
      related: relatedOrderId && relation ? { orderId: relatedOrderId, relation } : undefined,
      timeZone,
      receivedAt: statedEventTime('receivedAt', {
        at: receivedAt,
        source: receivedAtSource,
        reason: receivedAtReason,
      }),
    });
    res
      .status(201)
      .location(`/v1/orders/${value.id}`)
      .json({ order: orderJson(value), receipt });
  });

  router.get('/v1/orders', async (req, res) => {
    const query = parseQuery(orderListQuery, req.query);
    const byDeadline = query.sort === 'deadline';
    const cursor = query.cursor;
    const page = await orders.list(principalOf(res), {
      status: query.status,
      dueBefore: query.dueBefore === undefined ? undefined : new Date(query.dueBefore),
      caseId: query.caseId,
      sort: query.sort,
      after: cursor === undefined ? undefined : byDeadline ? decodeKeyedCursor(cursor) : decodeCursor(cursor),
      limit: query.limit,
    });
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({
      items: page.items.map((order) => orderJson(order)),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    });
  });

  router.get('/v1/orders/:id', async (req, res) => {
    const principal = principalOf(res);
    const order = await orders.get(principal, idFromPath(req.params.id, 'order'));
    const allowedMoves = await orders.allowedMoves(principal, order);
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({ order: { ...orderJson(order), allowedMoves } });
  });

  router.get('/v1/orders/:id/chain', async (req, res) => {
    const entries = await orders.chain(principalOf(res), idFromPath(req.params.id, 'order'));
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({ entries });
  });

  router.post('/v1/orders/:id/transitions', async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const { preservedAt, preservedAtSource, preservedAtReason, ...body } = parseBody(
      orderTransitionBody,
      req.body,
    );
    const { value, receipt } = await orders.transition(principalOf(res), id, {
      ...body,
      preservedAt: statedEventTime('preservedAt', {
        at: preservedAt,
        source: preservedAtSource,
        reason: preservedAtReason,
      }),
    });
    res.json({ order: orderJson(value), receipt });
  });

  router.post('/v1/orders/:id/evidence', async (req, res) => {
    const id = idFromPath(req.params.id, 'order');
    const body = parseBody(orderEvidenceBody, req.body);
    const { value, receipt } = await orders.linkEvidence(principalOf(res), id, body.evidenceId);
    res.status(201).json({ order: orderJson(value), receipt });
  });

  return router;
}

/**
 * An order as the caller may see it: whole for its handlers, and for the side
 * that submitted a request only where it stands (`statusOnly`), not how it is
 * handled.
 */
/** How an order is shown to its caller, early-warning time included: one viewer for every order route. */
export type OrderViewer = (order: OrderRecord & { statusOnly?: boolean }) => ReturnType<typeof orderView>;

export function orderView(
  order: OrderRecord & { statusOnly?: boolean },
  warningAt: Date | null,
  deploymentZone: string,
) {
  const status = {
    id: order.id,
    registryNumber: order.registryNumber,
    kind: order.kind,
    direction: order.direction,
    status: order.status,
    legalBasis: order.legalBasis,
    submittedByAgency: order.submittedByAgency,
    receivedAt: order.receivedAt.toISOString(),
    timeZone: order.timeZone,
    deadlines: { ...deadlinesJson(order, deploymentZone), warningAt: warningAt?.toISOString() ?? null },
    // What the request still lacks, and its formal confirmation: the requester must learn both (UN 40(14), 40(15)).
    missing: order.missing,
    formalConfirmation: formalConfirmationJson(order),
  };
  if (order.statusOnly) return { ...status, statusOnly: true };
  return {
    ...status,
    caseId: order.caseId,
    requestingState: order.requestingState,
    requestedState: order.requestedState,
    requestingAuthority: order.requestingAuthority,
    channel: order.channel,
    urgency: order.urgency,
    details: order.details,
    safeguards: order.safeguards,
    ...eventTimeSources(order),
    linkedMlaId: order.linkedMlaId,
    relatedOrderId: order.relatedOrderId,
    relation: order.relation,
    ownerAgency: order.ownerAgency,
    executingAgency: order.executingAgency ?? null,
    enforcingAgency: order.enforcingAgency,
    createdBy: order.createdBy,
    createdAt: order.createdAt.toISOString(),
    statusOnly: false,
  };
}

/**
 * The formal confirmation an urgent request sent ahead awaits (Bud 25(3),
 * 27(9); UN 40(14)): when it is due, whether it is still outstanding, and
 * once received its reference and date. Null when none is to follow.
 */
function formalConfirmationJson(order: OrderRecord) {
  if (!order.formalConfirmationDue) return null;
  const received = order.details.formalConfirmation as { reference: string; receivedAt: string } | undefined;
  return {
    due: order.formalConfirmationDue.toISOString(),
    outstanding: received === undefined,
    ...(received ? { reference: received.reference, receivedAt: received.receivedAt } : {}),
  };
}

/**
 * The deadline and the facts it follows from. `lapseRecorded`: the deadline
 * has passed and the order's chain says so (overdue, or a preservation's
 * minimum period reached: the data may be released). `local`: the deadline
 * on the wall clocks of the deployment and of the source (legal row 59).
 */
function deadlinesJson(order: OrderRecord, deploymentZone: string) {
  return {
    rule: order.deadlineRule,
    at: order.deadlineAt?.toISOString() ?? null,
    local: localTimes(order.deadlineAt, [deploymentZone, order.timeZone]),
    lapseRecorded: order.lapseRecorded,
    preservedAt: order.preservedAt?.toISOString() ?? null,
    extensions: order.extensions,
    untilDecided: order.heldUntilDecided,
    enforcingNotifiedAt: order.enforcingNotifiedAt?.toISOString() ?? null,
  };
}

/** Where stated receipt and preservation times come from, and why they were stated (legal row 14). */
function eventTimeSources(order: OrderRecord) {
  return {
    receivedAtSource: order.receivedAtSource,
    receivedAtReason: order.receivedAtReason,
    preservedAtSource: order.preservedAtSource,
    preservedAtReason: order.preservedAtReason,
  };
}
