import { Router } from 'express';
import type { Authenticator } from '../access/identity';
import type { DisclosureUse } from '../db/disclosure-use.repository';
import type { DisclosureUses } from '../reports/disclosure-uses';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { useInquiryBody, useReportBody } from './schemas';
import { idFromPath, parseBody } from './validation';

/** A disclosure's use ledger (Budapest Art. 28(2)(b), 28(4)): inquiries by the supplier, reports by the recipient. */
export function disclosureUsesRouter(authenticate: Authenticator, uses: DisclosureUses): Router {
  const router = Router();
  keepObjectParams(router);
  const auth = requireToken(authenticate);

  router.post('/v1/disclosures/:id/use-inquiries', auth, async (req, res) => {
    const id = idFromPath(req.params.id, 'disclosure');
    const { question } = parseBody(useInquiryBody, req.body);
    const { value, receipt } = await uses.inquire(principalOf(res), id, question);
    res.status(201).json({ use: useJson(value), receipt });
  });

  router.post('/v1/disclosures/:id/use-reports', auth, async (req, res) => {
    const id = idFromPath(req.params.id, 'disclosure');
    const body = parseBody(useReportBody, req.body);
    const { value, receipt } = await uses.report(principalOf(res), id, body);
    res.status(201).json({ use: useJson(value), receipt });
  });

  router.get('/v1/disclosures/:id/uses', auth, async (req, res) => {
    const found = await uses.list(principalOf(res), idFromPath(req.params.id, 'disclosure'));
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({ items: found.map(useJson) });
  });

  return router;
}

/** A line of the ledger as both sides see it: which agency said what, when; not the person. */
function useJson(use: DisclosureUse) {
  return {
    id: use.id,
    disclosureId: use.disclosureId,
    kind: use.kind,
    inquiryId: use.inquiryId,
    text: use.text,
    agency: use.agency,
    recordedAt: use.recordedAt.toISOString(),
  };
}
