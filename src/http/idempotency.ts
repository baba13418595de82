import { createHash, timingSafeEqual } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { NextFunction, Request, Response } from 'express';
import type { IdempotencyRepository, StoredIdempotencyKey } from '../db/idempotency.repository';
import { LedgerError } from '../errors';
import { type IdempotencyClaim, withIdempotencyClaim } from '../log/idempotency-claim';
import type { LogReader } from '../log/log-reader';
import type { Logger } from '../logger';

/**
 * The header's value: an RFC 8941 String ("...") as the IETF draft specifies, or
 * the same characters bare, as many clients send them. Printable ASCII only,
 * 1–255 characters (a UUID fits many times over).
 */
const QUOTED_KEY = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\]){1,255})"$/;
const BARE_KEY = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{1,255}$/;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** How a replayed answer is marked: `true` for the answer given first, `recovered` for one rebuilt from the log. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** The key a write request carries, if any; a malformed one is refused before anything is read. */
export function idempotencyKeyOf(req: Request): string | undefined {
  if (!WRITE_METHODS.has(req.method)) return undefined;
  const header = req.get('idempotency-key');
  if (header === undefined) return undefined;
  const quoted = QUOTED_KEY.exec(header);
  if (quoted?.[1]) return quoted[1].replace(/\\(["\\])/g, '$1');
  if (BARE_KEY.test(header)) return header;
  throw new LedgerError(
    'IDEMPOTENCY_KEY_INVALID',
    'The Idempotency-Key header must be 1 to 255 printable ASCII characters',
  );
}

/** The SHA-256 of what makes a request the same request: method, target and body. */
export function requestFingerprint(req: Request, body: unknown): Uint8Array {
  return createHash('sha256')
    .update(`${req.method}\n${req.originalUrl}\n`)
    .update(canonicalize(body ?? null) ?? 'null')
    .digest();
}

/**
 * Idempotency-Key for every write: the first request with a key runs, and its
 * key commits with its first log entry (see IdempotencyClaim); its answer is
 * kept for the retention period. A retry with the same key and request gets
 * that answer again, without a second write; the same key with another request
 * is 422; a retry while the first is still running is 409.
 */
export class IdempotencyKeys {
  /** Keys of requests running in this process, so a concurrent retry is refused rather than run twice. */
  private readonly running = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: IdempotencyRepository,
    private readonly reader: Pick<LogReader, 'entry' | 'receipt'>,
    private readonly retentionMs: number,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * After authentication: replays the answer to an earlier request with the same
   * key, or runs `proceed` with the key claimable by the request's first append.
   * `fingerprint` is taken, only when the request carries a key, once it is
   * fully read (an upload's digest is part of it).
   */
  async run(
    req: Request,
    res: Response,
    principal: string,
    fingerprintOf: () => Uint8Array,
    proceed: () => unknown,
  ): Promise<'replayed' | 'ran'> {
    const key = idempotencyKeyOf(req);
    if (key === undefined) {
      await proceed();
      return 'ran';
    }
    const slot = `${principal}\n${key}`;
    if (this.running.has(slot)) throw inProgress();
    // Taken before the stored keys are looked up: a copy arriving meanwhile is refused, never run beside it
    // (both would pass the lookup, and the second's write would fail on the first's row instead).
    this.running.add(slot);
    const release = () => this.running.delete(slot);
    res.once('close', release);
    try {
      const fingerprint = fingerprintOf();
      const found = await this.store.find(principal, key, this.oldestKept());
      if (found) {
        if (!sameFingerprint(found.fingerprint, fingerprint)) {
          throw new LedgerError(
            'IDEMPOTENCY_KEY_REUSED',
            'This idempotency key was used for another request',
          );
        }
        await this.replay(res, found);
        return 'replayed';
      }
      const claim: IdempotencyClaim = { principal, key, fingerprint };
      this.keepAnswer(res, claim);
      await withIdempotencyClaim(claim, proceed);
      return 'ran';
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Express middleware for JSON writes, after `requireToken` put the principal on `res.locals`. */
  async handle(req: Request, res: Response, principal: string, next: NextFunction): Promise<void> {
    await this.run(req, res, principal, () => requestFingerprint(req, req.body), next);
  }

  /** Purges keys past retention every `intervalMs`. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.store
        .purge(this.oldestKept())
        .then((purged) => {
          if (purged > 0) this.logger.info({ purged }, 'idempotency keys past retention purged');
        })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not purge idempotency keys'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private oldestKept(): Date {
    return new Date(this.now().getTime() - this.retentionMs);
  }

  /**
   * Once the request's write committed (the claim has its entry), its successful
   * answer is stored before it is sent, so a retry gets the same bytes.
   */
  private keepAnswer(res: Response, claim: IdempotencyClaim): void {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (claim.entryIndex === undefined || res.statusCode >= 300) return send(body);
      const answer = {
        status: res.statusCode,
        location: res.get('Location') ?? null,
        body: JSON.stringify(body),
      };
      this.store
        .answer(claim.principal, claim.key, answer)
        .catch((error: unknown) =>
          // The key stays claimed; a retry rebuilds the answer from the log instead.
          this.logger.warn({ err: error }, 'could not keep the answer of an idempotent request'),
        )
        .finally(() => send(body));
      return res;
    };
  }

  /**
   * The answer given first, as it was; or, when the write committed but its
   * answer was never kept (the service stopped in between), the entry's index
   * and its receipt, fetched again from the log.
   */
  private async replay(res: Response, found: StoredIdempotencyKey): Promise<void> {
    if (found.answer) {
      if (found.answer.location) res.location(found.answer.location);
      res
        .status(found.answer.status)
        .set(REPLAYED_HEADER, 'true')
        .type('application/json')
        .send(found.answer.body);
      return;
    }
    const view = await this.reader.entry(found.entryIndex);
    const receipt = await this.reader.receipt(view);
    res
      .status(200)
      .set(REPLAYED_HEADER, 'recovered')
      .set('Content-Location', `/v1/log/entries/${view.index}`)
      .set('Cache-Control', 'no-store')
      .json({ index: view.index, receipt });
  }
}

function sameFingerprint(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function inProgress(): LedgerError {
  return new LedgerError('IDEMPOTENCY_KEY_IN_USE', 'A request with this idempotency key is still running');
}
