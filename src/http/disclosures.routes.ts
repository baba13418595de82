import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { DisclosureRecord } from '../db/disclosure.repository';
import type { VisibleOrder } from '../db/order.repository';
import type { DisclosureService } from '../reports/disclosures';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { decodeCursor, encodeCursor } from './cursor';
import { disclosureBody, disclosureListQuery } from './schemas';
import { idFromPath, parseBody, parseQuery } from './validation';

/** Disclosures to another agency and their BagIt packages (api.md, Disclosures). */
export function disclosuresRouter(authenticate: Authenticator, disclosures: DisclosureService): Router {
  const router = Router();
  keepObjectParams(router);
  const auth = requireToken(authenticate);

  router.post('/v1/cases/:id/disclosures', auth, async (req, res) => {
    const caseId = idFromPath(req.params.id, 'case');
    const body = parseBody(disclosureBody, req.body);
    const { value, receipt } = await disclosures.create(principalOf(res), caseId, body);
    res
      .status(201)
      .location(`/v1/disclosures/${value.id}`)
      .json({ disclosure: disclosureJson(value, true), receipt });
  });

  // What the caller's agency received and what its cases disclosed, newest first, a page at a time.
  router.get('/v1/disclosures', auth, async (req, res) => {
    const { cursor, ...query } = parseQuery(disclosureListQuery, req.query);
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    // A listing of one case is a read of that case, on the record against it (and so is its refusal).
    if (query.caseId !== undefined) res.locals.objectParams = { caseId: query.caseId };
    const page = await disclosures.list(principalOf(res), { ...query, after });
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({
      items: page.items.map(({ record, member, order }) => disclosureJson(record, member, order)),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    });
  });

  router.get('/v1/disclosures/:id', auth, async (req, res) => {
    const { record, member, order } = await disclosures.get(
      principalOf(res),
      idFromPath(req.params.id, 'disclosure'),
    );
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({ disclosure: disclosureJson(record, member, order) });
  });

  router.delete('/v1/disclosures/:id', auth, async (req, res) => {
    const { value, receipt } = await disclosures.revoke(
      principalOf(res),
      idFromPath(req.params.id, 'disclosure'),
    );
    res.json({ disclosure: disclosureJson(value, true), receipt });
  });

  router.get('/v1/disclosures/:id/package', auth, async (req, res) => {
    const { name, stream } = await disclosures.openPackage(
      principalOf(res),
      idFromPath(req.params.id, 'disclosure'),
    );
    res.status(200).set({
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${name}.zip"`,
      'Cache-Control': 'no-store',
    });
    await pipeline(stream, res);
  });

  return router;
}

/**
 * A disclosure as its reader may see it: the recipient learns what it was
 * given and on which terms, not the disclosing case or who disclosed it; the
 * authorising order is summarised to whoever may know that order.
 */
function disclosureJson(record: DisclosureRecord, member: boolean, order?: VisibleOrder) {
  return {
    id: record.id,
    ...(member ? { caseId: record.caseId } : {}),
    recipientAgency: record.recipientAgency,
    orderId: record.orderId,
    ...(order
      ? {
          order: {
            id: order.id,
            registryNumber: order.registryNumber,
            kind: order.kind,
            legalBasis: order.legalBasis,
            status: order.status,
          },
        }
      : {}),
    conditions: record.conditions,
    facts: record.facts,
    evidenceIds: record.evidenceIds,
    ...(member ? { createdBy: record.createdBy } : {}),
    createdAt: record.createdAt.toISOString(),
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}
