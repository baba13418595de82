import { pipeline } from 'node:stream/promises';
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { Authenticator } from '../access/identity';
import { LedgerError } from '../errors';
import type { EvidenceService } from '../evidence/evidence-service';
import { evidenceView } from '../evidence/evidence-view';
import type { LogEntry } from '../ledger';
import type { Logger } from '../logger';
import type { CourtReports } from '../reports/court-report';
import type { CustodyReports } from '../reports/custody-report';
import { REPORT_LANGUAGES, type ReportLanguage } from '../reports/messages';
import type { BlobStore, ByteRange } from '../storage/blob-store';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { decodeCursor, encodeCursor } from './cursor';
import { evidenceUpload, type UploadLimits, uploadedEvidence } from './evidence-upload';
import { type IdempotencyKeys, idempotencyKeyOf, requestFingerprint } from './idempotency';
import { chainQuery, custodyEventBody, listQuery, trailingSha256, transferListQuery } from './schemas';
import { idFromPath, parseBody, parseQuery } from './validation';

const reportQuery = z.strictObject({ lang: z.enum(REPORT_LANGUAGES).optional() });

/** A report's language: `?lang=`, else the best of `Accept-Language`, else the deployment's. */
function reportLanguageOf(req: Request, fallback: ReportLanguage): ReportLanguage {
  const { lang } = parseQuery(reportQuery, req.query);
  if (lang) return lang;
  if (!req.get('accept-language')) return fallback;
  const accepted = req.acceptsLanguages(...REPORT_LANGUAGES);
  return accepted === false ? fallback : (accepted as ReportLanguage);
}

export interface EvidenceRouteDependencies {
  readonly authenticate: Authenticator;
  readonly evidence: EvidenceService;
  readonly reports: CustodyReports;
  /** The court's PDF of a report, and its language when the request names none. */
  readonly courtReports: CourtReports;
  readonly reportLanguage: ReportLanguage;
  readonly blobs: BlobStore;
  readonly limits: UploadLimits;
  readonly logger: Logger;
  /** Receipts of stored entries against the latest checkpoint (the log reader's). */
  readonly receipts: (views: readonly { index: number; entry: LogEntry }[]) => Promise<string[]>;
}

/**
 * The upload route. It is mounted before the JSON body parser: its body is
 * multipart, read by the evidence storage engine only after the token, the
 * case and the caller's role have been checked.
 */
export function evidenceUploadRouter(deps: EvidenceRouteDependencies): Router {
  const router = Router();
  keepObjectParams(router);
  router.post(
    '/v1/cases/:caseId/evidence',
    requireToken(deps.authenticate),
    async (req, res, next) => {
      idempotencyKeyOf(req);
      res.locals.case = await deps.evidence.authorizeIntake(
        principalOf(res),
        idFromPath(req.params.caseId, 'case'),
      );
      next();
    },
    evidenceUpload(deps.blobs, deps.limits, deps.logger),
    async (req, res) => {
      const uploaded = uploadedEvidence(req);
      if (!uploaded) throw new LedgerError('UPLOAD_INVALID', 'The upload has no "file" part');
      let declared: string | undefined;
      try {
        const trailing = (req.body as Record<string, unknown>).sha256;
        declared = trailing === undefined ? undefined : parseBody(trailingSha256, trailing).toLowerCase();
      } catch (error) {
        await deps.blobs.discard(uploaded.received.staging);
        throw error;
      }
      const intake = async () => {
        const { value, receipt } = await deps.evidence.intake(
          principalOf(res),
          res.locals.case,
          uploaded.metadata,
          uploaded.received,
          declared,
        );
        res
          .status(201)
          .location(`/v1/evidence/${value.id}`)
          .json({ evidence: evidenceView(value), receipt });
      };
      const keys = res.app.locals.idempotencyKeys as IdempotencyKeys | undefined;
      if (!keys) return intake();
      // The same upload is the same metadata and the same bytes (by their digest), not the same multipart framing.
      const { received } = uploaded;
      const fingerprint = () =>
        requestFingerprint(req, {
          metadata: (req.body as Record<string, unknown>).metadata,
          file: {
            sha256: received.digests.sha256,
            size: received.size,
            filename: received.originalFilename,
            mediaType: received.mediaType,
          },
          sha256: declared ?? null,
        });
      try {
        if ((await keys.run(req, res, principalOf(res).sub, fingerprint, intake)) === 'replayed')
          await deps.blobs.discard(received.staging);
      } catch (error) {
        await deps.blobs.discard(received.staging);
        throw error;
      }
    },
  );
  return router;
}

/** Reading an item, its chain and its bytes; custody events; fixity checks. */
export function evidenceRouter(deps: EvidenceRouteDependencies): Router {
  const router = Router();
  keepObjectParams(router);
  router.use('/v1/evidence', requireToken(deps.authenticate));

  // A case's items, newest first, a page at a time: what finds an item again after its upload.
  router.get('/v1/cases/:caseId/evidence', requireToken(deps.authenticate), async (req, res) => {
    const query = parseQuery(listQuery, req.query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await deps.evidence.listOfCase(
      principalOf(res),
      idFromPath(req.params.caseId, 'case'),
      query.limit,
      after,
    );
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({
      items: page.items.map(evidenceView),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    });
  });

  // The custodian's inbox: items sent to the caller's side and not yet acknowledged (or, `side=sending`, sent by it).
  router.get('/v1/transfers', requireToken(deps.authenticate), async (req, res) => {
    const query = parseQuery(transferListQuery, req.query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const principal = principalOf(res);
    const page = await deps.evidence.inTransit(principal, query.side, query.limit, after);
    await auditRead(req, res, { type: 'transfer-list', id: principal.agency });
    res.set('Cache-Control', 'no-store').json({
      items: page.items.map(({ item, transferredAt, purpose }) => ({
        evidence: evidenceView(item),
        transferredAt: transferredAt.toISOString(),
        ...(purpose === undefined ? {} : { purpose }),
      })),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    });
  });

  router.get('/v1/evidence/:id', async (req, res) => {
    const { item } = await deps.evidence.get(principalOf(res), idFromPath(req.params.id, 'evidence'));
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({
      evidence: { ...evidenceView(item), chainHead: await deps.evidence.chainHead(item.id) },
    });
  });

  // With `receipts=true` every entry comes with its receipt: one read (and one audit record) lets a
  // reader check a whole chain, where a receipt per entry would be a request each.
  router.get('/v1/evidence/:id/chain', async (req, res) => {
    const query = parseQuery(chainQuery, req.query);
    const entries = await deps.evidence.chain(principalOf(res), idFromPath(req.params.id, 'evidence'));
    const receipts = query.receipts === 'true' ? await deps.receipts(entries) : undefined;
    await auditRead(req, res);
    res.set('Cache-Control', 'no-store').json({
      entries: receipts ? entries.map((entry, i) => ({ ...entry, receipt: receipts[i] })) : entries,
    });
  });

  router.get('/v1/evidence/:id/content', async (req, res) => {
    const principal = principalOf(res);
    const accessible = await deps.evidence.get(
      principal,
      idFromPath(req.params.id, 'evidence'),
      'evidence.content',
    );
    const { item } = accessible;
    const opened = await deps.evidence.openContent(principal, accessible, (size) =>
      requestedRange(req, size),
    );
    const { range, size } = opened;
    res.status(range ? 206 : 200).set({
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="exhibit-${item.id}.bin"`,
      'Content-Length': String(range ? range.end - range.start + 1 : size),
      'Accept-Ranges': 'bytes',
      // RFC 9530: the digest of the whole representation (from the intake entry), whatever range is sent.
      'Repr-Digest': `sha-256=:${Buffer.from(opened.sha256, 'hex').toString('base64')}:`,
      'Custody-Receipt': opened.receipt,
      'Cache-Control': 'no-store',
    });
    if (range) res.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    try {
      await pipeline(opened.stream, res);
    } catch (error) {
      // The response is already promised: the failure is on the item's chain and, for operators, here.
      if (error instanceof LedgerError && error.code === 'EVIDENCE_CONTENT_CORRUPT')
        deps.logger.error(
          { evidence: item.id },
          'download ended: the stored bytes do not match the intake entry',
        );
      throw error;
    }
  });

  router.get('/v1/evidence/:id/report', async (req, res) => {
    const { report, jws } = await deps.reports.issue(principalOf(res), idFromPath(req.params.id, 'evidence'));
    res.set('Cache-Control', 'no-store').json({ report, jws });
  });

  router.get('/v1/evidence/:id/report.pdf', async (req, res) => {
    // Decided before the report is issued: a refused language leaves no `report.issued` entry.
    const language = reportLanguageOf(req, deps.reportLanguage);
    const { report, pdf } = await deps.courtReports.issuePdf(
      principalOf(res),
      idFromPath(req.params.id, 'evidence'),
      language,
    );
    res.status(200).set({
      'Content-Type': 'application/pdf',
      'Content-Disposition': `inline; filename="custody-report-${report.item.id}.pdf"`,
      'Content-Language': language,
      'Cache-Control': 'no-store',
      Vary: 'Accept-Language',
    });
    await pipeline(pdf, res);
  });

  router.post('/v1/evidence/:id/events', async (req, res) => {
    const id = idFromPath(req.params.id, 'evidence');
    const body = parseBody(custodyEventBody, req.body);
    const {
      value: entry,
      disclosures,
      receipt,
    } = await deps.evidence.recordEvent(principalOf(res), id, body);
    res.status(201).json({ entry, disclosures, receipt });
  });

  router.post('/v1/evidence/:id/fixity', async (req, res) => {
    const result = await deps.evidence.checkFixity(principalOf(res), idFromPath(req.params.id, 'evidence'));
    res.status(201).json({
      intact: result.intact,
      entry: result.value,
      disclosures: result.disclosures,
      receipt: result.receipt,
    });
  });

  return router;
}

/**
 * One byte range from the Range header (RFC 9110 §14) within an item of `size`
 * bytes, or undefined for the whole item. Several ranges are answered with the
 * whole item, as the RFC allows.
 */
function requestedRange(req: Request, size: number): ByteRange | undefined {
  if (req.headers.range === undefined) return undefined;
  const ranges = req.range(size);
  if (ranges === -1 || size === 0) {
    throw new LedgerError('RANGE_NOT_SATISFIABLE', 'The range is outside the item');
  }
  if (ranges === -2 || ranges === undefined || ranges.type !== 'bytes' || ranges.length !== 1)
    return undefined;
  const [first] = ranges;
  return first ? { start: first.start, end: first.end } : undefined;
}
