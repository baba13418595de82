import type { DataSource, EntityManager } from 'typeorm';

/** States in which a request is no longer in play: nobody waits for its formal confirmation. */
const ENDED = ['refused', 'withdrawn', 'closed', 'mla_refused', 'expired', 'lifted'];

/** Counts of orders by one dimension (kind, direction, state, partner state): value -> count. */
export type Counts = Record<string, number>;

/** How long the first decision took, over the orders decided: seconds, median and 90th percentile. */
export interface ResponseTimes {
  readonly decided: number;
  readonly medianSeconds: number | null;
  readonly p90Seconds: number | null;
}

/** The figures of one agency's orders for implementation review (UN Art. 57; T-CY practice). */
export interface OrderStatistics {
  readonly total: number;
  readonly byKind: Counts;
  readonly byDirection: Counts;
  readonly byStatus: Counts;
  /** Incoming requests by requesting state, outgoing by requested state ("unknown" where none is recorded). */
  readonly incomingByRequestingState: Counts;
  readonly outgoingByRequestedState: Counts;
  readonly responseTimes: ResponseTimes & {
    readonly byKind: Record<string, ResponseTimes>;
    readonly byDirection: Record<string, ResponseTimes>;
  };
}

/** The orders of an agency as handler (owner, or the agency it was forwarded to), received in [from, to). */
const SCOPED = `SELECT id, kind, direction, status, requesting_state, requested_state, received_at FROM orders
  WHERE (owner_agency = $1 OR executing_agency = $1)
    AND ($2::timestamptz IS NULL OR received_at >= $2) AND ($3::timestamptz IS NULL OR received_at < $3)`;

/**
 * Queries of the central authority's tools: forwarding an order, its
 * statistics, and the early warnings of the deadline sweep.
 */
export class CentralAuthorityRepository {
  constructor(private readonly db: DataSource) {}

  /** Gives the order's execution to `agency`, in the transaction of its `order.forwarded` entry. */
  async forward(tx: EntityManager, forwarding: { id: string; executingAgency: string }): Promise<void> {
    await tx.query('UPDATE orders SET executing_agency = $2 WHERE id = $1', [
      forwarding.id,
      forwarding.executingAgency,
    ]);
  }

  /**
   * Counts and response times of the orders `agency` handles, received in
   * [from, to). A response time runs from receipt to the first move into a
   * state in `decisions` (an order, a refusal, an execution ...), read from
   * the public `to` of the order's `order.transitioned` entries.
   */
  async statistics(
    agency: string,
    range: { from?: Date | undefined; to?: Date | undefined },
    decisions: readonly string[],
  ): Promise<OrderStatistics> {
    const params = [agency, range.from ?? null, range.to ?? null];
    const counts: Array<{ dimension: string; value: string; n: number }> = await this.db.query(
      `WITH scoped AS (${SCOPED})
       SELECT 'kind' AS dimension, kind AS value, count(*)::int AS n FROM scoped GROUP BY kind
       UNION ALL SELECT 'direction', direction, count(*)::int FROM scoped GROUP BY direction
       UNION ALL SELECT 'status', status, count(*)::int FROM scoped GROUP BY status
       UNION ALL SELECT 'requesting_state', coalesce(requesting_state, 'unknown'), count(*)::int FROM scoped
                  WHERE direction = 'incoming' GROUP BY 2
       UNION ALL SELECT 'requested_state', coalesce(requested_state, 'unknown'), count(*)::int FROM scoped
                  WHERE direction = 'outgoing' GROUP BY 2`,
      params,
    );
    const times: Array<{
      kind: string | null;
      direction: string | null;
      by_kind: boolean;
      by_direction: boolean;
      decided: number;
      median: number | null;
      p90: number | null;
    }> = await this.db.query(
      `WITH scoped AS (${SCOPED}),
       decided AS (
         SELECT s.id, s.kind, s.direction, extract(epoch FROM min(e.at) - s.received_at)::float8 AS seconds
           FROM scoped s
           JOIN log_entries e ON e.subject_type = 'order' AND e.subject_id = s.id::text
                             AND e.entry_type = 'order.transitioned'
          WHERE convert_from(e.leaf_data, 'UTF8')::jsonb #>> '{data,to}' = ANY($4::text[])
          GROUP BY s.id, s.kind, s.direction, s.received_at)
       SELECT kind, direction, GROUPING(kind) = 0 AS by_kind, GROUPING(direction) = 0 AS by_direction,
              count(*)::int AS decided,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) AS p90
         FROM decided GROUP BY GROUPING SETS ((), (kind), (direction))`,
      [...params, [...decisions]],
    );
    const by = (dimension: string) =>
      Object.fromEntries(
        counts.filter((row) => row.dimension === dimension).map((row) => [row.value, row.n]),
      );
    const timing = (row: (typeof times)[number] | undefined): ResponseTimes => ({
      decided: row?.decided ?? 0,
      medianSeconds: row?.median ?? null,
      p90Seconds: row?.p90 ?? null,
    });
    const byKind = by('kind');
    return {
      total: Object.values(byKind).reduce((sum, n) => sum + n, 0),
      byKind,
      byDirection: by('direction'),
      byStatus: by('status'),
      incomingByRequestingState: by('requesting_state'),
      outgoingByRequestedState: by('requested_state'),
      responseTimes: {
        ...timing(times.find((row) => !row.by_kind && !row.by_direction)),
        byKind: Object.fromEntries(
          times.filter((row) => row.by_kind).map((row) => [row.kind as string, timing(row)]),
        ),
        byDirection: Object.fromEntries(
          times.filter((row) => row.by_direction).map((row) => [row.direction as string, timing(row)]),
        ),
      },
    };
  }

  /**
   * Orders whose deadline runs (the given kinds, directions and states), has
   * not passed at `now`, and whose warning time has come: the deadline less
   * the kind's lead time, but never earlier than halfway from receipt (an
   * 8-hour act-by is not warned of at receipt). Those warned of for their
   * current deadline already are left out.
   */
  async dueForWarning(
    now: Date,
    leads: ReadonlyArray<{ readonly kind: string; readonly leadMs: number }>,
    running: ReadonlyArray<{ readonly kind: string; readonly direction: string; readonly state: string }>,
    limit: number,
  ): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT o.id FROM orders o
         JOIN unnest($2::text[], $3::float8[]) AS l(kind, lead_ms) ON l.kind = o.kind
        WHERE o.deadline_at > $1
          AND o.deadline_at - LEAST(l.lead_ms * interval '1 millisecond', (o.deadline_at - o.received_at) / 2) <= $1
          AND o.deadline_warned_for IS DISTINCT FROM o.deadline_at
          AND (o.kind, o.direction, o.status) IN (SELECT * FROM unnest($4::text[], $5::text[], $6::text[]))
        ORDER BY o.deadline_at, o.id LIMIT $7`,
      [
        now,
        leads.map((l) => l.kind),
        leads.map((l) => l.leadMs),
        running.map((r) => r.kind),
        running.map((r) => r.direction),
        running.map((r) => r.state),
        limit,
      ],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Marks the warning of the order's deadline `deadlineAt` sent, in the
   * transaction of its notices: once per deadline. False when the deadline
   * changed meanwhile or another pass sent it.
   */
  /**
   * Orders whose formal confirmation is overdue and not yet reminded of: the
   * urgent request sent ahead is still in play and its confirmation has not
   * been recorded (`details.formalConfirmation`).
   */
  async overdueConfirmations(now: Date, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM orders
        WHERE formal_confirmation_due <= $1 AND formal_confirmation_reminded_at IS NULL
          AND NOT (details ? 'formalConfirmation') AND status <> ALL($2::text[])
        ORDER BY formal_confirmation_due, id LIMIT $3`,
      [now, ENDED, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Marks the reminder of an overdue formal confirmation as sent; false when another pass sent it. */
  async markConfirmationReminded(tx: EntityManager, id: string, at: Date): Promise<boolean> {
    const rows = await tx.query(
      `WITH marked AS (
         UPDATE orders SET formal_confirmation_reminded_at = $2
          WHERE id = $1 AND formal_confirmation_reminded_at IS NULL
          RETURNING id)
       SELECT id FROM marked`,
      [id, at],
    );
    return rows.length > 0;
  }

  async markWarned(tx: EntityManager, warning: { id: string; deadlineAt: Date }): Promise<boolean> {
    const rows = await tx.query(
      `WITH marked AS (
         UPDATE orders SET deadline_warned_for = deadline_at
          WHERE id = $1 AND deadline_at = $2 AND deadline_warned_for IS DISTINCT FROM deadline_at
          RETURNING id)
       SELECT id FROM marked`,
      [warning.id, warning.deadlineAt],
    );
    return rows.length > 0;
  }
}
