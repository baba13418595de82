import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { Authenticator } from '../access/identity';
import type { LogEntryAccess } from '../access/log-entry-access';
import { InvalidParameterError } from '../errors';
import { givenDisclosures, type LogReader } from '../log/log-reader';
import { parseTilePath, TILE_CACHE_CONTROL, type TileReader } from '../log/tiles';
import type { ReceiptVerifier } from '../receipts/receipt-verifier';
import { auditRead, keepObjectParams } from './audit';
import { principalOf, requireToken } from './auth';
import { parseBody, parseQuery } from './validation';

/** Log positions: decimal, no sign, no leading zeros, at most 2^53 - 1. */
const position = z
  .string()
  .regex(/^(?:0|[1-9][0-9]{0,15})$/)
  .transform(Number)
  .refine(Number.isSafeInteger);

const inclusionQuery = z.strictObject({ index: position, size: position.optional() });
const consistencyQuery = z.strictObject({ from: position, to: position });
const verifyBody = z.strictObject({ receipt: z.string().min(1).max(1_000_000) });

const TEXT = 'text/plain; charset=utf-8';

/** C2SP tlog-tiles: the prefix is /v1/log, as for the checkpoint; tiles live below it. */
const TILE_PREFIX = '/v1/log/tile/';

/**
 * The log's public routes (no token: they reveal hashes only), the JWKS, receipt
 * verification, and the one scoped route that shows an entry's content.
 */
export function logRouter(deps: {
  readonly reader: LogReader;
  readonly tiles: TileReader;
  readonly jwks: () => Promise<unknown>;
  readonly verifier: ReceiptVerifier;
  readonly authenticate: Authenticator;
  readonly entryAccess: LogEntryAccess;
}): Router {
  const router = Router();
  keepObjectParams(router);
  const { reader } = deps;

  router.get('/v1/log/checkpoint', async (_req, res) => {
    res
      .type(TEXT)
      .set('Cache-Control', 'no-cache')
      .send(await reader.checkpoint());
  });
  router.get('/v1/log/info', async (_req, res) => {
    res
      .set('Cache-Control', 'no-cache')
      .json({ ...(await reader.info()), jwksUri: '/.well-known/jwks.json' });
  });
  router.get('/v1/log/proof/inclusion', async (req, res) => {
    const query = parseQuery(inclusionQuery, req.query);
    res.json(await reader.inclusion(query.index, query.size));
  });
  router.get('/v1/log/proof/consistency', async (req, res) => {
    const query = parseQuery(consistencyQuery, req.query);
    res.json(await reader.consistency(query.from, query.to));
  });
  // Hash tiles only; `tile/entries/...` is refused (entries hold confidential case data).
  const serveTile: RequestHandler = async (req, res) => {
    // The path as sent, not percent-decoded: only the one canonical spelling names a tile.
    const tile = await deps.tiles.read(parseTilePath(req.path.slice(TILE_PREFIX.length)));
    res.type('application/octet-stream').set('Cache-Control', TILE_CACHE_CONTROL).send(tile);
  };
  // The partial form first: the wildcard of the full form would swallow `.p/<W>`.
  router.get('/v1/log/tile/:L/*N.p/:W', serveTile);
  router.get('/v1/log/tile/:L/*N', serveTile);
  router.get('/v1/log/entries/:index/tlog-proof', async (req, res) => {
    res
      .type(TEXT)
      .set('Cache-Control', 'no-cache')
      .send(await reader.tlogProof(indexParam(req.params.index)));
  });
  router.get('/v1/log/entries/:index/receipt', requireToken(deps.authenticate), async (req, res) => {
    const view = await reader.entry(indexParam(req.params.index));
    await deps.entryAccess.audience(principalOf(res), view.entry);
    await auditRead(req, res, view.entry.subject);
    res.set('Cache-Control', 'no-store').json({ index: view.index, receipt: await reader.receipt(view) });
  });
  router.get('/v1/log/entries/:index', requireToken(deps.authenticate), async (req, res) => {
    const { view, kept } = await reader.stored(indexParam(req.params.index));
    const audience = await deps.entryAccess.audience(principalOf(res), view.entry);
    await auditRead(req, res, view.entry.subject);
    res
      .set('Cache-Control', 'no-store')
      .json({ ...view, disclosures: givenDisclosures(audience, view.entry, kept) });
  });
  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(await deps.jwks());
  });
  router.post('/v1/receipts/verify', async (req, res) => {
    const { receipt } = parseBody(verifyBody, req.body);
    const result = await deps.verifier.verify(receipt);
    res.json({
      valid: result.valid,
      checks: result.checks,
      ...(result.reason ? { reason: result.reason } : {}),
    });
  });
  return router;
}

function indexParam(raw: string | string[] | undefined): number {
  const parsed = position.safeParse(raw);
  if (!parsed.success) throw new InvalidParameterError([{ pointer: '/index', reason: 'not_a_log_position' }]);
  return parsed.data;
}
