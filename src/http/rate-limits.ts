import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { RateLimitSettings } from '../config';
import { RateLimitedError } from '../errors';
import type { Logger } from '../logger';

/** How often each process adds its counts to the shared totals and reads them back. */
export const RATE_LIMIT_FLUSH_MS = 250;

const WINDOW_MS = 60_000;

type Bucket = 'principal' | 'address' | 'failed-tokens' | 'not-found';

/**
 * The deployment's rate limits (api.md): every request counts against its
 * source address and, once authenticated, its principal; refused tokens count
 * against the address and "not found" answers against the principal in
 * stricter buckets, which lock the caller out for the rest of the minute when
 * spent.
 *
 * Counts are kept per minute window. Each process counts in memory; it reads
 * a key's shared total the first time it meets the key in a window, and every
 * RATE_LIMIT_FLUSH_MS adds its increments to the shared totals in PostgreSQL
 * in one statement and reads back the totals of every key it has met: the
 * limits hold across all processes within a fraction of a second, and a
 * request costs a database round trip only for a caller new in the window. (rate-limiter-flexible, tried first,
 * costs one statement per bucket per request: a third of the append
 * throughput; see docs/performance.md.)
 */
export class RateLimits {
  /** Increments not yet added to the shared totals. */
  private pending = new Map<string, number>();
  /** The shared totals as last read, for every key seen in this window. */
  private totals = new Map<string, number>();
  private window = currentWindow();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), RATE_LIMIT_FLUSH_MS);
    this.timer.unref();
  }

  /** Before anything else is done for a request from `address`. */
  async admitAddress(address: string): Promise<void> {
    const failed = this.keyOf('failed-tokens', address);
    const any = this.keyOf('address', address);
    await this.learn([failed, any]);
    this.refuseIfSpent(failed, this.settings.failedTokensPerMinute);
    this.take(any, this.settings.addressPerMinute);
  }

  /** Once the request's principal is known. */
  async admitPrincipal(sub: string): Promise<void> {
    const notFound = this.keyOf('not-found', subjectKey(sub));
    const any = this.keyOf('principal', subjectKey(sub));
    await this.learn([notFound, any]);
    this.refuseIfSpent(notFound, this.settings.notFoundPerMinute);
    this.take(any, this.settings.principalPerMinute);
  }

  tokenRefused(address: string): void {
    this.add(this.keyOf('failed-tokens', address));
  }

  notFoundAnswered(sub: string): void {
    this.add(this.keyOf('not-found', subjectKey(sub)));
  }

  /** Adds this process's counts to the shared totals and reads every seen key's total back. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  /** Flushes what is left and stops flushing. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async flushOnce(): Promise<void> {
    this.roll();
    if (this.totals.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const window = this.window;
    try {
      if (batch.size > 0) {
        await this.pool.query(
          `INSERT INTO rate_limits (key, points, expire)
           SELECT key, points, $3 FROM unnest($1::text[], $2::int[]) AS counted(key, points)
           ON CONFLICT (key) DO UPDATE SET points = rate_limits.points + EXCLUDED.points`,
          [[...batch.keys()], [...batch.values()], (window + 1) * WINDOW_MS],
        );
      }
      await this.read([...this.totals.keys()], window);
      if (Math.random() < RATE_LIMIT_FLUSH_MS / WINDOW_MS) {
        await this.pool.query('DELETE FROM rate_limits WHERE expire < $1', [Date.now() - WINDOW_MS]);
      }
    } catch (error) {
      // Counted again at the next flush; meanwhile this process's own counts still apply.
      for (const [key, count] of batch) this.pending.set(key, (this.pending.get(key) ?? 0) + count);
      this.logger.warn({ err: error }, 'rate-limit counters not shared this time');
    }
  }

  /** Reads the shared totals of keys this process has not seen in this window (once per key and window). */
  private async learn(keys: string[]): Promise<void> {
    const unseen = keys.filter((key) => !this.totals.has(key));
    if (unseen.length > 0) await this.read(unseen, this.window);
  }

  private async read(keys: string[], window: number): Promise<void> {
    const { rows } = await this.pool.query<{ key: string; points: number }>(
      'SELECT key, points FROM rate_limits WHERE key = ANY($1)',
      [keys],
    );
    if (window !== this.window) return;
    for (const key of keys) if (!this.totals.has(key)) this.totals.set(key, 0);
    for (const row of rows) this.totals.set(row.key, row.points);
  }

  private take(key: string, limit: number): void {
    this.refuseIfSpent(key, limit);
    this.add(key);
  }

  private refuseIfSpent(key: string, limit: number): void {
    const used = (this.totals.get(key) ?? 0) + (this.pending.get(key) ?? 0);
    if (used >= limit) {
      throw new RateLimitedError(Math.max(1, Math.ceil(((this.window + 1) * WINDOW_MS - Date.now()) / 1000)));
    }
  }

  private add(key: string): void {
    if (!this.totals.has(key)) this.totals.set(key, 0);
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
  }

  private keyOf(bucket: Bucket, key: string): string {
    this.roll();
    return `${bucket}:${this.window}:${key}`;
  }

  /** A new minute starts every count afresh. */
  private roll(): void {
    const now = currentWindow();
    if (now === this.window) return;
    this.window = now;
    this.pending = new Map();
    this.totals = new Map();
  }
}

function currentWindow(): number {
  return Math.floor(Date.now() / WINDOW_MS);
}

/** Subjects are up to 255 characters of anything: counted under their hash. */
function subjectKey(sub: string): string {
  return createHash('sha256').update(sub).digest('hex');
}
