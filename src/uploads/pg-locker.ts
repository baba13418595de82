import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/server';
import type { Pool, PoolClient } from 'pg';
import { ChannelListener } from '../db/channel-listener';
import type { Logger } from '../logger';

/** Seed of the session advisory locks on uploads (other locks of the service use other seeds). */
const UPLOAD_LOCK_SEED = 7737;
/** Where a process asks the holder of an upload's lock, in any process, to let go (payload: the upload id). */
export const UPLOAD_RELEASE_CHANNEL = 'evidence_upload_release';
/** How often a waiting request asks the holder again. */
const ASK_AGAIN_MS = 2000;

export interface PgLockerOptions {
  /** How long a request waits for an upload's lock before it is refused. */
  readonly acquireTimeoutMs: number;
  /** How often a waiting request tries the lock again. */
  readonly pollMs?: number;
}

/**
 * A tus Locker whose locks are PostgreSQL session advisory locks: every process
 * sharing the database sees them, so two processes never write the same upload
 * at once. Each held lock keeps one connection of `pool` (so the pool bounds
 * the uploads written at once); a process that dies loses its connections and
 * with them its locks, at once. A request that waits asks the holder to let go
 * (tus ends the holder's request after its drain time): in this process
 * directly, in others through a NOTIFY that each locker listens for.
 */
export class PgLocker implements Locker {
  /** Locks held by this process, by upload id, with how to ask their request to end. */
  readonly held = new Map<string, RequestRelease>();
  private listener: ChannelListener | undefined;

  private constructor(
    readonly pool: Pool,
    readonly options: Required<PgLockerOptions>,
  ) {}

  static async start(pool: Pool, url: string, options: PgLockerOptions, logger: Logger): Promise<PgLocker> {
    const locker = new PgLocker(pool, { pollMs: 100, ...options });
    locker.listener = await ChannelListener.start(
      url,
      UPLOAD_RELEASE_CHANNEL,
      (id) => {
        const release = locker.held.get(id);
        if (release) void Promise.resolve(release());
      },
      logger,
    );
    return locker;
  }

  newLock(id: string): Lock {
    return new PgLock(id, this);
  }

  /** Asks whoever holds `id` to let go: this process's request directly, any other's by NOTIFY. */
  async requestRelease(id: string): Promise<void> {
    const local = this.held.get(id);
    if (local) {
      await local();
      return;
    }
    await this.pool.query('SELECT pg_notify($1, $2)', [UPLOAD_RELEASE_CHANNEL, id]);
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
  }
}

class PgLock implements Lock {
  private connection: PoolClient | undefined;

  constructor(
    private readonly id: string,
    private readonly locker: PgLocker,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const connection = await this.locker.pool.connect();
    const deadline = Date.now() + this.locker.options.acquireTimeoutMs;
    // Asked again now and then: a holder that took the lock a moment before may not have heard the first ask.
    let askAgainAt = 0;
    try {
      for (;;) {
        const { rows } = await connection.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock(hashtextextended($1, $2)) AS locked',
          [this.id, UPLOAD_LOCK_SEED],
        );
        if (rows[0]?.locked) {
          this.connection = connection;
          this.locker.held.set(this.id, requestRelease);
          return;
        }
        if (Date.now() >= askAgainAt) {
          askAgainAt = Date.now() + ASK_AGAIN_MS;
          await this.locker.requestRelease(this.id);
        }
        if (signal.aborted || Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
        await sleep(this.locker.options.pollMs, undefined, { signal }).catch(() => undefined);
      }
    } catch (error) {
      connection.release();
      throw error;
    }
  }

  async unlock(): Promise<void> {
    const connection = this.connection;
    if (!connection) throw new Error('Releasing an unlocked lock!');
    this.connection = undefined;
    this.locker.held.delete(this.id);
    try {
      await connection.query('SELECT pg_advisory_unlock(hashtextextended($1, $2))', [
        this.id,
        UPLOAD_LOCK_SEED,
      ]);
      connection.release();
    } catch (error) {
      // A connection that could not unlock is closed: closing it releases the lock.
      connection.release(error as Error);
    }
  }
}
