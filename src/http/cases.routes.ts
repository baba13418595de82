import { Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { CaseService } from '../cases/case-service';
import type { CaseRecord, GrantRecord } from '../db/case.repository';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { decodeCursor, encodeCursor } from './cursor';
import { breakGlassBody, caseListQuery, grantBody, openCaseBody } from './schemas';
import { idFromPath, parseBody, parseQuery } from './validation';

/** `/v1/cases`: open, read, list and share cases (api.md "Cases"). */
export function casesRouter(authenticate: Authenticator, cases: CaseService): Router {
  const router = Router();
  keepObjectParams(router);
  router.use('/v1/cases', requireToken(authenticate));

  router.post('/v1/cases', async (req, res) => {
    const body = parseBody(openCaseBody, req.body);
    const { value: opened, receipt } = await cases.open(principalOf(res), body);
    res
      .status(201)
      .location(`/v1/cases/${opened.id}`)
      .json({ case: caseJson(opened), receipt });
  });

  router.get('/v1/cases', async (req, res) => {
    const query = parseQuery(caseListQuery, req.query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await cases.list(principalOf(res), query.limit, after, query.q);
    await auditRead(req, res);
    res.json({ items: page.items.map(caseJson), nextCursor: page.next ? encodeCursor(page.next) : null });
  });

  router.get('/v1/cases/:id', async (req, res) => {
    const found = await cases.get(principalOf(res), idFromPath(req.params.id, 'case'));
    await auditRead(req, res);
    res.json({ case: caseJson(found) });
  });

  router.post('/v1/cases/:id/grants', async (req, res) => {
    const id = idFromPath(req.params.id, 'case');
    const body = parseBody(grantBody, req.body);
    const { value: grant, receipt } = await cases.grant(principalOf(res), id, {
      ...body,
      until: body.until === undefined ? undefined : new Date(body.until),
    });
    res.status(201).json({ grant: grantJson(grant), receipt });
  });

  router.post('/v1/cases/:id/break-glass', async (req, res) => {
    const id = idFromPath(req.params.id, 'case');
    const { reason } = parseBody(breakGlassBody, req.body);
    const { value: grant, receipt } = await cases.breakGlass(principalOf(res), id, reason);
    res.status(201).json({ grant: grantJson(grant), receipt });
  });

  router.delete('/v1/cases/:id/grants/:grantId', async (req, res) => {
    const id = idFromPath(req.params.id, 'case');
    const grantId = idFromPath(req.params.grantId, 'grant');
    const { value: grant, receipt } = await cases.revoke(principalOf(res), id, grantId);
    res.json({ grant: grantJson(grant), receipt });
  });

  return router;
}

function caseJson(record: CaseRecord) {
  return {
    id: record.id,
    reference: record.reference,
    title: record.title,
    legalBasis: record.legalBasis,
    agency: record.agency,
    createdBy: record.createdBy,
    createdAt: record.createdAt.toISOString(),
  };
}

function grantJson(grant: GrantRecord) {
  return {
    id: grant.id,
    caseId: grant.caseId,
    grantee: grant.sub === null ? { agency: grant.agency } : { agency: grant.agency, sub: grant.sub },
    role: grant.role,
    lead: grant.lead,
    content: grant.content,
    until: grant.until?.toISOString() ?? null,
    grantedBy: grant.grantedBy,
    createdAt: grant.createdAt.toISOString(),
    revokedAt: grant.revokedAt?.toISOString() ?? null,
    breakGlassReason: grant.breakGlassReason,
  };
}
