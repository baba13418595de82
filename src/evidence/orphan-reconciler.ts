import { Counter, type Registry } from 'prom-client';
import type { EvidenceRepository } from '../db/evidence.repository';
import type { Queryable } from '../db/log.repository';
import type { Logger } from '../logger';
import type { BlobStore, StoredBlob } from '../storage/blob-store';

/** Blobs looked up in the database at once. */
const PAGE = 500;

export interface OrphanReconcilerOptions {
  /**
   * How old (by modification time) a blob must be before it may be removed:
   * longer than any intake takes from linking its bytes to committing its row.
   */
  readonly graceMs: number;
  /** The clock (tests move it). */
  readonly now?: () => number;
  /** Where to count removals (`custody_orphan_blobs_removed_total`), if anywhere. */
  readonly registry?: Registry;
}

/** One pass: `removed` orphans deleted; `kept` blobs referenced by an item or still within the grace period. */
export interface ReconcileResult {
  readonly removed: number;
  readonly kept: number;
}

/**
 * Removes stored bytes that no evidence item references. Intake links the
 * bytes into the store before the log batch commits the item's row, so that
 * the batch never waits on the disk; a crash or a database outage in between
 * leaves the bytes with no row, and nothing else would ever remove them.
 * (Staging files of dead processes are a separate matter: the store sweeps
 * those at start.)
 *
 * A blob is removed only when its file is older than the grace period and,
 * under the content address's lock (the one the log batch takes to insert a
 * row, EvidenceRepository.insertAll), no row references it. An intake in
 * flight has young bytes: it links them at the end of its upload, and one that
 * reuses stored bytes makes them young again (FsBlobStore.commit). The window
 * left is a reuse of long-orphaned bytes in the instant between the check
 * under the lock and the removal: that intake's batch, which checks under the
 * same lock that its bytes are there, then refuses it with a 503 to retry (no
 * item is ever left without its bytes).
 */
export class OrphanReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;
  private readonly removedTotal: Counter | undefined;

  constructor(
    private readonly blobs: BlobStore,
    private readonly evidence: Pick<EvidenceRepository, 'withBlobLock' | 'referencesBlob'>,
    /** Where to look references up in bulk, before taking any lock. */
    private readonly db: Queryable,
    private readonly logger: Logger,
    private readonly options: OrphanReconcilerOptions,
  ) {
    this.removedTotal =
      options.registry &&
      new Counter({
        name: 'custody_orphan_blobs_removed_total',
        help: 'Stored evidence bytes that no item referenced, removed by the orphan reconciler',
        registers: [options.registry],
      });
  }

  /** Reconciles now, then every `intervalMs` (0: only now); errors are logged, never thrown. */
  start(intervalMs: number): void {
    const round = () => {
      this.running ??= this.reconcile()
        .catch((error: unknown) => this.logger.error({ err: error }, 'orphan reconciliation failed'))
        .finally(() => {
          this.running = undefined;
        });
    };
    round();
    if (intervalMs <= 0) return;
    this.timer = setInterval(round, intervalMs);
    this.timer.unref();
  }

  /** Stops scheduling and lets a pass in progress end after its current page. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the whole store. */
  async reconcile(): Promise<ReconcileResult> {
    let removed = 0;
    let kept = 0;
    let page: StoredBlob[] = [];
    const settle = async () => {
      const outcome = await this.reconcilePage(page);
      removed += outcome.removed;
      kept += outcome.kept;
      page = [];
    };
    for await (const blob of this.blobs.stored()) {
      if (this.stopping) break;
      page.push(blob);
      if (page.length >= PAGE) await settle();
    }
    if (page.length > 0 && !this.stopping) await settle();
    if (removed > 0) this.logger.warn({ removed, kept }, 'removed stored bytes that no item referenced');
    else this.logger.debug({ kept }, 'no orphaned stored bytes');
    return { removed, kept };
  }

  private async reconcilePage(page: readonly StoredBlob[]): Promise<ReconcileResult> {
    const old = page.filter((blob) => this.isOld(blob.modifiedAt)).map((blob) => blob.sha256);
    const rows: Array<{ sha256: string }> =
      old.length === 0
        ? []
        : await this.db.query('SELECT DISTINCT sha256 FROM evidence WHERE sha256 = ANY($1::text[])', [old]);
    const referenced = new Set(rows.map((row) => row.sha256));
    let removed = 0;
    for (const sha256 of old) {
      if (!referenced.has(sha256) && (await this.removeIfOrphan(sha256))) removed++;
    }
    return { removed, kept: page.length - removed };
  }

  /** The authoritative check, under the content address's lock: still unreferenced and still old. */
  private async removeIfOrphan(sha256: string): Promise<boolean> {
    const removed = await this.evidence.withBlobLock(sha256, async (tx) => {
      if (await this.evidence.referencesBlob(tx, sha256)) return false;
      const modifiedAt = await this.blobs.modifiedAt(sha256);
      if (!modifiedAt || !this.isOld(modifiedAt)) return false;
      await this.blobs.remove(sha256);
      return true;
    });
    if (removed) this.removedTotal?.inc();
    return removed;
  }

  private isOld(modifiedAt: Date): boolean {
    return (this.options.now?.() ?? Date.now()) - modifiedAt.getTime() > this.options.graceMs;
  }
}
