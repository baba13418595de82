import type { DataSource, EntityManager } from 'typeorm';
import type { Direction, OrderKind } from '../orders/lifecycle';
import type { Relation } from '../orders/matter';

/** A legal order or request as stored; `status` and the deadline follow its chain in the log. */
export interface OrderRecord {
  readonly id: string;
  /** The registry number both sides quote: `<owner agency>/<year>/<IN|OUT|DOM>/<number>`. */
  readonly registryNumber: string;
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly status: string;
  readonly legalBasis: {
    readonly instrument: string;
    readonly article?: string;
    readonly reference?: string;
  };
  readonly caseId: string | null;
  readonly requestingState: string | null;
  readonly requestedState: string | null;
  readonly requestingAuthority: string;
  readonly channel: string;
  readonly urgency: 'normal' | 'urgent' | 'emergency';
  /** Kind-specific contents (offence, facts, data to preserve, ...), as submitted. */
  readonly details: Readonly<Record<string, unknown>>;
  readonly safeguards: Readonly<Record<string, unknown>>;
  /** The agency that handles the order (for incoming requests: the central authority). */
  readonly ownerAgency: string;
  /**
   * The competent authority the owner forwarded the order to for execution
   * (UN Art. 40(13)): it handles the order beside the owner, which stays
   * answerable to the requester. Absent until forwarded.
   */
  readonly executingAgency?: string | null;
  readonly submittedByAgency: string;
  readonly receivedAt: Date;
  /** Where a stated receipt time comes from, and why it was stated (null: the moment of submission). */
  readonly receivedAtSource: string | null;
  readonly receivedAtReason: string | null;
  readonly preservedAt: Date | null;
  /** The same for the preservation's time (null: the moment the move was recorded). */
  readonly preservedAtSource: string | null;
  readonly preservedAtReason: string | null;
  /** The source's IANA time zone: its periods in days are calendar days there (legal row 59). */
  readonly timeZone: string;
  readonly extensions: number;
  readonly heldUntilDecided: boolean;
  /** The MLA request that holds an international preservation until it is decided. */
  readonly linkedMlaId: string | null;
  /** The order this one follows from in the same matter, and how (orders/matter.ts); set once, at registration. */
  readonly relatedOrderId: string | null;
  readonly relation: Relation | null;
  /** EPOC: when the enforcing authority was recorded as notified (Reg. 2023/1543 Art. 8). */
  readonly enforcingNotifiedAt: Date | null;
  /** EPOC: the enforcing authority's agency, which reads the order's status and records its own decisions. */
  readonly enforcingAgency: string | null;
  readonly requestedBy: Date | null;
  readonly deadlineRule: string | null;
  readonly deadlineAt: Date | null;
  /** The lapse of the current deadline is on the order's chain (see `markLapse`). */
  readonly lapseRecorded: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  /** The elements the request still lacks (UN Arts 40(15), 42(3), 27; `translation`: 40(14)); empty when complete. */
  readonly missing: readonly string[];
  /** When the formal confirmation of an urgent request sent ahead is due, if one is to follow (Bud 25(3)). */
  readonly formalConfirmationDue: Date | null;
}

/**
 * Who may see which orders: handlers and auditors of the owning agency (and
 * of the agency an order was forwarded to, for that order), court
 * members of the order's case, and, in a status view, the submitting agency.
 */
export interface OrderScope {
  readonly agency: string;
  readonly sub: string;
  readonly roles: readonly string[];
  /** Handles orders for its agency. */
  readonly handles: boolean;
  /** Oversees its agency's orders, read-only. */
  readonly audits: boolean;
  /** Reads the status of requests its agency submitted. */
  readonly readsStatus: boolean;
}

/** What a listing of orders asks for (see `listVisible`). */
export interface OrderListFilter {
  readonly status?: string | undefined;
  readonly dueBefore?: Date | undefined;
  readonly caseId?: string | undefined;
  readonly sort: 'deadline' | 'newest';
  /** The previous page's last order: its creation, id and (in deadline order) deadline. */
  readonly after?: { readonly createdAt: Date; readonly id: string; readonly key?: Date | null } | undefined;
  readonly limit: number;
}

/** An order as one caller may see it: whole, or (for the submitting side only) its status. */
export type VisibleOrder = OrderRecord & { readonly statusOnly: boolean };

export class OrderRepository {
  constructor(private readonly db: DataSource) {}

  async insertAll(tx: EntityManager, orders: readonly OrderRecord[]): Promise<void> {
    for (const order of orders) {
      await tx.query(
        `INSERT INTO orders (id, kind, direction, status, legal_basis, case_id, requesting_state, requested_state,
                             requesting_authority, channel, urgency, details, safeguards, owner_agency,
                             submitted_by_agency, received_at, preserved_at, extensions, held_until_decided,
                             requested_by, deadline_rule, deadline_at, created_by, created_at, registry_number,
                             related_order_id, relation, missing, formal_confirmation_due,
                             time_zone, received_at_source, received_at_reason, enforcing_agency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
                 $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)`,
        [
          order.id,
          order.kind,
          order.direction,
          order.status,
          JSON.stringify(order.legalBasis),
          order.caseId,
          order.requestingState,
          order.requestedState,
          order.requestingAuthority,
          order.channel,
          order.urgency,
          JSON.stringify(order.details),
          JSON.stringify(order.safeguards),
          order.ownerAgency,
          order.submittedByAgency,
          order.receivedAt,
          order.preservedAt,
          order.extensions,
          order.heldUntilDecided,
          order.requestedBy,
          order.deadlineRule,
          order.deadlineAt,
          order.createdBy,
          order.createdAt,
          order.registryNumber,
          order.relatedOrderId,
          order.relation,
          [...order.missing],
          order.formalConfirmationDue,
          order.timeZone,
          order.receivedAtSource,
          order.receivedAtReason,
          order.enforcingAgency,
        ],
      );
    }
  }

  /**
   * The next registry number for an order of `ownerAgency` in `direction`
   * received at `at`: taken before the order's entry is written, so that the
   * entry records it (a submission that then fails leaves its number unused).
   */
  async nextRegistryNumber(ownerAgency: string, direction: Direction, at: Date): Promise<string> {
    const [row] = await this.db.query(`SELECT nextval('order_registry_seq')::text AS n`);
    const code = direction === 'incoming' ? 'IN' : direction === 'outgoing' ? 'OUT' : 'DOM';
    return `${ownerAgency}/${at.getUTCFullYear()}/${code}/${String(row.n).padStart(6, '0')}`;
  }

  /** Links items to orders; a link that exists already is a conflict the caller reports. */
  async linkAll(
    tx: EntityManager,
    links: ReadonlyArray<{ orderId: string; evidenceId: string; at: Date; by: string }>,
  ) {
    await tx.query(
      `INSERT INTO order_evidence (order_id, evidence_id, linked_at, linked_by)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[])`,
      [
        links.map((l) => l.orderId),
        links.map((l) => l.evidenceId),
        links.map((l) => l.at),
        links.map((l) => l.by),
      ],
    );
  }

  /** Orders an item was linked to (the authority under which it was preserved or produced). */
  /** The orders an item is linked to that the scope may see (a confidential one only to those who know of it). */
  async ordersOfEvidence(evidenceId: string, scope: OrderScope): Promise<VisibleOrder[]> {
    const rows = await this.db.query(
      `${SELECT_VISIBLE} WHERE id IN (SELECT order_id FROM order_evidence WHERE evidence_id = $7) AND ${VISIBLE}
        ORDER BY created_at`,
      [...scopeParams(scope), evidenceId],
    );
    return rows.map(toVisible);
  }

  async lock(tx: EntityManager, id: string): Promise<OrderRecord | undefined> {
    const rows = await tx.query(`${SELECT} WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Saves what a supplement changed: the merged contents and what is still
   * missing (row locked by the caller). The status and deadline go through
   * `saveProgress`.
   */
  async saveContents(
    tx: EntityManager,
    order: Pick<OrderRecord, 'id' | 'details' | 'safeguards' | 'missing'>,
  ): Promise<void> {
    await tx.query('UPDATE orders SET details = $2, safeguards = $3, missing = $4 WHERE id = $1', [
      order.id,
      JSON.stringify(order.details),
      JSON.stringify(order.safeguards),
      [...order.missing],
    ]);
  }

  /** Saves a move; a lapse recorded in the state left is not one of the new state (see `markLapse`). */
  async saveProgress(tx: EntityManager, order: OrderRecord): Promise<void> {
    await tx.query(
      `UPDATE orders SET status = $2, preserved_at = $3, extensions = $4, held_until_decided = $5,
              deadline_rule = $6, deadline_at = $7, linked_mla_id = $8, enforcing_notified_at = $9,
              lapse_recorded_for = CASE WHEN status = $2 THEN lapse_recorded_for END,
              preserved_at_source = $10, preserved_at_reason = $11
        WHERE id = $1`,
      [
        order.id,
        order.status,
        order.preservedAt,
        order.extensions,
        order.heldUntilDecided,
        order.deadlineRule,
        order.deadlineAt,
        order.linkedMlaId,
        order.enforcingNotifiedAt,
        order.preservedAtSource,
        order.preservedAtReason,
      ],
    );
  }

  /**
   * A page of the orders whose deadline is at or before `before` and running (the
   * given kinds, directions and states), after `after` if given, soonest
   * first. An order whose lapse is recorded for its current deadline and
   * state is not read again.
   */
  async dueBefore(
    before: Date,
    limit: number,
    running: ReadonlyArray<{ readonly kind: string; readonly direction: string; readonly state: string }>,
    after?: { readonly id: string; readonly deadlineAt: Date },
  ): Promise<Array<{ id: string; deadlineAt: Date }>> {
    const rows: Array<{ id: string; deadline_at: Date }> = await this.db.query(
      `SELECT id, deadline_at FROM orders
        WHERE deadline_at <= $1 AND ($3::timestamptz IS NULL OR (deadline_at, id) > ($3, $4::uuid))
          AND (kind, direction, status) IN (SELECT * FROM unnest($5::text[], $6::text[], $7::text[]))
          AND lapse_recorded_for IS DISTINCT FROM deadline_at
        ORDER BY deadline_at, id LIMIT $2`,
      [
        before,
        limit,
        after?.deadlineAt ?? null,
        after?.id ?? null,
        running.map((r) => r.kind),
        running.map((r) => r.direction),
        running.map((r) => r.state),
      ],
    );
    return rows.map((row) => ({ id: row.id, deadlineAt: row.deadline_at }));
  }

  /**
   * Marks the lapse of the order's deadline `deadlineAt` in `status` as
   * recorded, in the batch of its entry: once per deadline and state (a move
   * clears the mark). False when the order moved on, its deadline changed, or
   * that lapse is recorded already (by another pass).
   */
  async markLapse(
    tx: EntityManager,
    lapse: { id: string; status: string; deadlineAt: Date },
  ): Promise<boolean> {
    // As a SELECT, so that the rows come back as rows (TypeORM answers an UPDATE with [rows, count]).
    const rows = await tx.query(
      `WITH marked AS (
         UPDATE orders SET lapse_recorded_for = deadline_at
          WHERE id = $1 AND status = $2 AND deadline_at = $3 AND lapse_recorded_for IS DISTINCT FROM deadline_at
          RETURNING id)
       SELECT id FROM marked`,
      [lapse.id, lapse.status, lapse.deadlineAt],
    );
    return rows.length > 0;
  }

  async find(id: string): Promise<OrderRecord | undefined> {
    const rows = await this.db.query(`${SELECT} WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async findVisible(id: string, scope: OrderScope): Promise<VisibleOrder | undefined> {
    const rows = await this.db.query(`${SELECT_VISIBLE} WHERE id = $7 AND ${VISIBLE}`, [
      ...scopeParams(scope),
      id,
    ]);
    return rows[0] ? toVisible(rows[0]) : undefined;
  }

  /** Those of the orders `ids` the scope may see (the rule `findVisible` applies), in one statement. */
  async findAllVisible(ids: readonly string[], scope: OrderScope): Promise<VisibleOrder[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query(`${SELECT_VISIBLE} WHERE id = ANY($7::uuid[]) AND ${VISIBLE}`, [
      ...scopeParams(scope),
      ids,
    ]);
    return rows.map(toVisible);
  }

  /**
   * The orders of the matter `id` belongs to that the scope may see, oldest
   * first: every order reachable from it through the orders they follow from
   * (`related_order_id`) and the MLA requests that hold preserved data
   * (`linked_mla_id`), in either direction. At most `limit`.
   */
  async matterVisible(id: string, scope: OrderScope, limit: number): Promise<VisibleOrder[]> {
    const rows = await this.db.query(
      `WITH RECURSIVE links AS (
         SELECT id AS a, related_order_id AS b FROM orders WHERE related_order_id IS NOT NULL
         UNION ALL
         SELECT id, linked_mla_id FROM orders WHERE linked_mla_id IS NOT NULL
       ), matter (id) AS (
         SELECT $7::uuid
         UNION
         SELECT CASE WHEN l.a = m.id THEN l.b ELSE l.a END FROM links l JOIN matter m ON m.id IN (l.a, l.b)
       )
       ${SELECT_VISIBLE} WHERE id IN (SELECT id FROM matter) AND ${VISIBLE}
        ORDER BY received_at, created_at, id LIMIT $8`,
      [...scopeParams(scope), id, limit],
    );
    return rows.map(toVisible);
  }

  /** The orders registered as executing `id` (relation `executes`), oldest first. */
  async executing(id: string): Promise<OrderRecord[]> {
    const rows = await this.db.query(
      `${SELECT} WHERE related_order_id = $1 AND relation = 'executes' ORDER BY received_at, id`,
      [id],
    );
    return rows.map(toRecord);
  }

  /**
   * A page of the visible orders, optionally by status, case and a deadline
   * before `dueBefore`: soonest deadline first (a lapsed one before any still
   * running, orders without a deadline last), or newest first; each order
   * after `after`, the position of the previous page's last (keyset).
   */
  async listVisible(scope: OrderScope, filter: OrderListFilter): Promise<VisibleOrder[]> {
    const byDeadline = filter.sort === 'deadline';
    const after = filter.after;
    const rows = await this.db.query(
      `${SELECT_VISIBLE} WHERE ${VISIBLE}
         AND ($7::text IS NULL OR status = $7)
         AND ($8::timestamptz IS NULL OR deadline_at < $8)
         AND ($9::uuid IS NULL OR case_id = $9)
         AND ($10::timestamptz IS NULL OR ${byDeadline ? AFTER_BY_DEADLINE : AFTER_BY_CREATION})
       ORDER BY ${byDeadline ? 'deadline_at ASC NULLS LAST, ' : ''}created_at DESC, id DESC LIMIT $13`,
      [
        ...scopeParams(scope),
        filter.status ?? null,
        filter.dueBefore ?? null,
        filter.caseId ?? null,
        after?.createdAt ?? null,
        after?.id ?? null,
        after?.key ?? null,
        filter.limit,
      ],
    );
    return rows.map(toVisible);
  }
}

/**
 * Need-to-know inside the owning agency (Budapest Art. 27(8); UN Art.
 * 42(3)(g)): a confidential request is known to the handler who recorded it
 * and those assigned to it; one received from another agency and not yet
 * assigned, to the handlers of the desk that must assign it. Auditors oversee
 * every order of their agency.
 */
const HANDLER_KNOWS = `(NOT COALESCE((safeguards ->> 'confidential')::boolean, false) OR created_by = $2
    OR EXISTS (SELECT 1 FROM order_assignees a WHERE a.order_id = orders.id AND a.sub = $2)
    OR (submitted_by_agency <> owner_agency AND NOT EXISTS (SELECT 1 FROM order_assignees a WHERE a.order_id = orders.id)))`;

/**
 * The scope rule as SQL over parameters $1-$6 (see `scopeParams`); queries
 * number theirs from $7. `FULL` is what a whole view needs; the agency that
 * submitted an incoming request, and the enforcing authority an EPOC names,
 * see only its status view.
 */
const FULL = `(((($4 AND ${HANDLER_KNOWS}) OR $5) AND (owner_agency = $1 OR executing_agency = $1)) OR (case_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM case_grants g
     WHERE g.case_id = orders.case_id AND g.revoked_at IS NULL AND (g.until IS NULL OR g.until > now())
       AND g.grantee_agency = $1 AND (g.grantee_sub IS NULL OR g.grantee_sub = $2)
       AND g.role = 'court' AND 'court' = ANY($3))))`;
const VISIBLE = `(${FULL} OR ($6 AND ((direction = 'incoming' AND submitted_by_agency = $1) OR enforcing_agency = $1)))`;

/** Orders after position ($10 created, $11 id) newest first; such a position names no deadline ($12). */
const AFTER_BY_CREATION = '($12::timestamptz IS NULL AND (created_at, id) < ($10, $11::uuid))';

/** Orders after position ($10 created, $11 id, $12 deadline or null) in deadline order. */
const AFTER_BY_DEADLINE = `(CASE WHEN $12::timestamptz IS NULL
    THEN deadline_at IS NULL AND (created_at, id) < ($10, $11::uuid)
    ELSE deadline_at > $12 OR deadline_at IS NULL OR (deadline_at = $12 AND (created_at, id) < ($10, $11::uuid))
  END)`;

function scopeParams(scope: OrderScope): [string, string, string[], boolean, boolean, boolean] {
  return [scope.agency, scope.sub, [...scope.roles], scope.handles, scope.audits, scope.readsStatus];
}

function toVisible(row: Row & { status_only: boolean }): VisibleOrder {
  return { ...toRecord(row), statusOnly: row.status_only };
}

const SELECT = `SELECT id, registry_number, kind, direction, status, legal_basis, case_id, requesting_state, requested_state,
  requesting_authority, channel, urgency, details, safeguards, owner_agency, executing_agency, submitted_by_agency, received_at,
  preserved_at, extensions, held_until_decided, linked_mla_id, enforcing_notified_at, requested_by, deadline_rule,
  deadline_at, lapse_recorded_for IS NOT NULL AND lapse_recorded_for = deadline_at AS lapse_recorded, created_by,
  created_at, related_order_id, relation, missing, formal_confirmation_due, time_zone, received_at_source,
  received_at_reason, preserved_at_source, preserved_at_reason, enforcing_agency
  FROM orders`;
const SELECT_VISIBLE = SELECT.replace(' FROM orders', `, NOT ${FULL} AS status_only FROM orders`);

interface Row {
  id: string;
  registry_number: string;
  kind: OrderKind;
  direction: Direction;
  status: string;
  legal_basis: OrderRecord['legalBasis'];
  case_id: string | null;
  requesting_state: string | null;
  requested_state: string | null;
  requesting_authority: string;
  channel: string;
  urgency: OrderRecord['urgency'];
  details: Record<string, unknown>;
  safeguards: Record<string, unknown>;
  owner_agency: string;
  executing_agency: string | null;
  submitted_by_agency: string;
  received_at: Date;
  preserved_at: Date | null;
  extensions: number;
  held_until_decided: boolean;
  linked_mla_id: string | null;
  enforcing_notified_at: Date | null;
  requested_by: Date | null;
  deadline_rule: string | null;
  deadline_at: Date | null;
  lapse_recorded: boolean;
  created_by: string;
  created_at: Date;
  related_order_id: string | null;
  relation: Relation | null;
  missing: string[];
  formal_confirmation_due: Date | null;
  time_zone: string;
  received_at_source: string | null;
  received_at_reason: string | null;
  preserved_at_source: string | null;
  preserved_at_reason: string | null;
  enforcing_agency: string | null;
}

function toRecord(row: Row): OrderRecord {
  return {
    id: row.id,
    registryNumber: row.registry_number,
    kind: row.kind,
    direction: row.direction,
    status: row.status,
    legalBasis: row.legal_basis,
    caseId: row.case_id,
    requestingState: row.requesting_state,
    requestedState: row.requested_state,
    requestingAuthority: row.requesting_authority,
    channel: row.channel,
    urgency: row.urgency,
    details: row.details,
    safeguards: row.safeguards,
    ownerAgency: row.owner_agency,
    executingAgency: row.executing_agency,
    submittedByAgency: row.submitted_by_agency,
    receivedAt: row.received_at,
    receivedAtSource: row.received_at_source,
    receivedAtReason: row.received_at_reason,
    preservedAt: row.preserved_at,
    preservedAtSource: row.preserved_at_source,
    preservedAtReason: row.preserved_at_reason,
    enforcingAgency: row.enforcing_agency,
    timeZone: row.time_zone,
    extensions: row.extensions,
    heldUntilDecided: row.held_until_decided,
    linkedMlaId: row.linked_mla_id,
    enforcingNotifiedAt: row.enforcing_notified_at,
    requestedBy: row.requested_by,
    deadlineRule: row.deadline_rule,
    deadlineAt: row.deadline_at,
    lapseRecorded: row.lapse_recorded,
    createdBy: row.created_by,
    createdAt: row.created_at,
    relatedOrderId: row.related_order_id,
    relation: row.relation,
    missing: row.missing,
    formalConfirmationDue: row.formal_confirmation_due,
  };
}
