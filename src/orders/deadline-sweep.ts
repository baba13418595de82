import type { Logger } from '../logger';
import type { DeadlineWarnings } from './deadline-warnings';
import type { OrderService } from './order-service';

/**
 * Watches order deadlines: warns (in the log stream) about every order due
 * within `warnAheadMs`, and records every lapse on the order's chain (see
 * `lapseStepOf`): an order whose period ended becomes `expired`; a production
 * order whose date passed becomes `overdue`; any other missed due date
 * (non-compliance: EPOC, MLA, an urgent 24/7 request not answered ...) gets
 * an `order.overdue` entry, and a reached floor (the 60 days of an
 * international preservation) an `order.minimum_reached` entry, once per
 * deadline, and the order keeps its state. Losing track of a deadline loses
 * evidence for good, so this runs every minute.
 */
export class DeadlineSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly orders: OrderService,
    private readonly logger: Logger,
    private readonly warnAheadMs: number,
    private readonly now: () => Date = () => new Date(),
    /** Due orders read per query; the pass reads on until none are left. */
    private readonly pageSize = 200,
    /** The early warnings of deadlines drawing near, notified once per deadline (legal-requirements row 62). */
    private readonly warnings?: DeadlineWarnings,
  ) {}

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error: unknown) => this.logger.error({ err: error }, 'deadline sweep failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns the orders expired, those recorded overdue, those whose floor was reached, and the ones warned about. */
  async sweep(): Promise<{
    expired: string[];
    overdue: string[];
    minimumReached: string[];
    warned: string[];
  }> {
    const now = this.now();
    const lapsed = { expired: [] as string[], overdue: [] as string[], minimum_reached: [] as string[] };
    const warned: string[] = [];
    for await (const due of this.due(new Date(now.getTime() + this.warnAheadMs))) {
      if (due.deadlineAt.getTime() <= now.getTime()) {
        // Another process, or a move, may record the same lapse first; this one is then refused, and the pass goes on.
        const done = await this.orders.recordLapse(due.id).catch((error: unknown) => {
          this.logger.info({ order: due.id, err: error }, 'lapse not recorded by this pass');
          return undefined;
        });
        if (done) {
          lapsed[done.lapse].push(due.id);
          this.logger.warn(
            { order: due.id, deadline: due.deadlineAt.toISOString(), status: done.order.status },
            `order deadline passed: ${done.lapse}`,
          );
        }
      } else {
        warned.push(due.id);
        this.logger.warn(
          { order: due.id, deadline: due.deadlineAt.toISOString() },
          'order deadline approaching',
        );
      }
    }
    // A warning is a notice, not a lapse: one that fails is sent by the next pass.
    await this.warnings
      ?.send(now)
      .catch((error: unknown) => this.logger.error({ err: error }, 'deadline warnings not sent'));
    return {
      expired: lapsed.expired,
      overdue: lapsed.overdue,
      minimumReached: lapsed.minimum_reached,
      warned,
    };
  }

  /**
   * Every order due before `before` whose deadline runs, page by page (keyset):
   * orders that stay due (an overdue one not yet recorded, a lapse another
   * process holds) never hide the ones behind them.
   */
  private async *due(before: Date): AsyncGenerator<{ id: string; deadlineAt: Date }> {
    let after: { id: string; deadlineAt: Date } | undefined;
    for (;;) {
      const page = await this.orders.dueBefore(before, this.pageSize, after);
      yield* page;
      if (page.length < this.pageSize) return;
      after = page[page.length - 1];
    }
  }
}
