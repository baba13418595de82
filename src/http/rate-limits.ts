import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitSettings } from '../config';
import { RateLimitedError } from '../errors';

/**
 * The deployment's rate limits (api.md): every request counts against its
 * source address and, once authenticated, its principal; refused tokens count
 * against the address and "not found" answers against the principal in
 * stricter buckets, which lock the caller out for the rest of the minute when
 * spent. Counters live in PostgreSQL (rate-limiter-flexible's store), so every
 * process of a deployment shares them.
 */
export class RateLimits {
  private readonly principal: RateLimiterPostgres;
  private readonly address: RateLimiterPostgres;
  private readonly failedTokens: RateLimiterPostgres;
  private readonly notFound: RateLimiterPostgres;

  constructor(pool: Pool, settings: RateLimitSettings) {
    const bucket = (keyPrefix: string, points: number) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix,
        points,
        duration: 60,
      });
    this.principal = bucket('principal', settings.principalPerMinute);
    this.address = bucket('address', settings.addressPerMinute);
    this.failedTokens = bucket('failed-tokens', settings.failedTokensPerMinute);
    this.notFound = bucket('not-found', settings.notFoundPerMinute);
  }

  /** Before anything else is done for a request from `address`. */
  async admitAddress(address: string): Promise<void> {
    await refuseIfSpent(this.failedTokens, address);
    await take(this.address, address);
  }

  /** Once the request's principal is known. */
  async admitPrincipal(sub: string): Promise<void> {
    const key = subjectKey(sub);
    await refuseIfSpent(this.notFound, key);
    await take(this.principal, key);
  }

  async tokenRefused(address: string): Promise<void> {
    await this.failedTokens.penalty(address, 1);
  }

  async notFoundAnswered(sub: string): Promise<void> {
    await this.notFound.penalty(subjectKey(sub), 1);
  }
}

/** Subjects are up to 255 characters of anything: counted under their hash. */
function subjectKey(sub: string): string {
  return createHash('sha256').update(sub).digest('hex');
}

async function take(bucket: RateLimiterPostgres, key: string): Promise<void> {
  try {
    await bucket.consume(key, 1);
  } catch (outcome) {
    if (outcome instanceof RateLimiterRes) throw new RateLimitedError(secondsOf(outcome));
    throw outcome;
  }
}

async function refuseIfSpent(bucket: RateLimiterPostgres, key: string): Promise<void> {
  const state = await bucket.get(key);
  if (state && state.consumedPoints >= bucket.points) throw new RateLimitedError(secondsOf(state));
}

function secondsOf(state: RateLimiterRes): number {
  return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
}
