import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { EvidenceService } from './evidence-service';

/** Arbitrary but fixed: one sweeping process per database at a time. */
const SWEEP_LOCK = 6_962_002;
const PAGE = 100;

/**
 * Checks every item's record against its intake entry and re-hashes its stored
 * bytes on a schedule, and logs `integrity.verified` or `integrity.failed` for
 * each, like `POST /v1/evidence/:id/fixity`. Progress
 * goes to the logs and to /metrics. Among several processes on one database,
 * the one holding an advisory lock sweeps; the others skip that round.
 */
export class FixitySweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly db: DataSource,
    private readonly evidence: EvidenceService,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Sweeps every `intervalMs` (0: never). The first round starts one interval after start-up. */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => {
        this.running = undefined;
      });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops scheduling and lets a round in progress end after its current item. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One round over every item; returns how many were checked and how many failed. */
  async sweep(): Promise<{ checked: number; failed: number } | undefined> {
    const lock = this.db.createQueryRunner();
    try {
      const [{ locked }] = await lock.query('SELECT pg_try_advisory_lock($1) AS locked', [SWEEP_LOCK]);
      if (!locked) return undefined;
      try {
        return await this.walk();
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1)', [SWEEP_LOCK]);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'fixity sweep failed');
      return undefined;
    } finally {
      await lock.release();
    }
  }

  private async walk(): Promise<{ checked: number; failed: number }> {
    const started = Date.now();
    let checked = 0;
    let failed = 0;
    this.metrics.fixitySweepChecked.set(0);
    this.logger.info('fixity sweep started');
    for (let after: string | null = null; !this.stopping; ) {
      const ids = await this.evidence.idsAfter(after, PAGE);
      if (ids.length === 0) break;
      for (const id of ids) {
        if (this.stopping) break;
        const result = await this.evidence.sweepFixity(id);
        if (!result) continue;
        checked++;
        this.metrics.fixityChecks.inc({ result: result.intact ? 'verified' : 'failed' });
        this.metrics.fixitySweepChecked.set(checked);
        if (!result.intact) {
          failed++;
          this.logger.error({ evidence: id, reason: result.reason }, 'fixity check failed');
        }
      }
      after = ids[ids.length - 1] as string;
      this.logger.info({ checked, failed }, 'fixity sweep progress');
    }
    this.metrics.fixitySweepLastCompleted.set(Date.now() / 1000);
    this.logger.info({ checked, failed, seconds: (Date.now() - started) / 1000 }, 'fixity sweep finished');
    return { checked, failed };
  }
}
