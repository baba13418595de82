import { randomUUID } from 'node:crypto';
import { caseRole, SERVICE_PERMISSIONS, serviceAllows, serviceRole } from '../access/permissions';
import type { Principal, Role } from '../access/roles';
import type { CaseRepository } from '../db/case.repository';
import type { OrderRecord, OrderRepository, OrderScope, VisibleOrder } from '../db/order.repository';
import { ConflictError, ForbiddenRoleError, NotFoundError, ValidationError } from '../errors';
import type { Actor, EntryValue } from '../ledger';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { type DomainWriter, domainWrite, inLockOrder } from '../log/domain-write';
import type { AppendRequest } from '../log/sequencer';
import { missingArt42Contents } from './contents';
import { type DeadlinePeriods, deadlineOf } from './deadlines';
import {
  type Direction,
  initialState,
  lapseOf,
  nextStates,
  type OrderKind,
  OrderTransitionError,
  RUNNING_DEADLINES,
  transition,
} from './lifecycle';

export interface OrderInput {
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly legalBasis: OrderRecord['legalBasis'];
  readonly caseId?: string | undefined;
  readonly requestingState?: string | undefined;
  readonly requestedState?: string | undefined;
  readonly requestingAuthority: string;
  readonly channel: string;
  readonly urgency: OrderRecord['urgency'];
  readonly requestedBy?: Date | undefined;
  readonly details: Readonly<Record<string, EntryValue>>;
  readonly safeguards: Readonly<Record<string, EntryValue>>;
}

/**
 * What a partial disclosure of traffic data (Arts 26/43) released: enough to
 * identify the next provider and the path, and never content or subscriber data.
 */
export interface TrafficDisclosure {
  readonly fields: readonly string[];
  readonly nextHopProvider: string;
  readonly nextHopCountry: string;
  readonly contentDisclosed: false;
  readonly subscriberDisclosed: false;
}

export interface TransitionInput {
  readonly to: string;
  readonly reasonCode?: string | undefined;
  readonly reason?: string | undefined;
  readonly disclosure?: TrafficDisclosure | undefined;
}

/** Who the deadline sweep is in the log: the service itself. */
const DEADLINE_SWEEPER = { sub: 'service:deadline-sweep', agency: 'SYSTEM', role: 'prosecutor' } as const;

/** Moves a foreign requester may make on its own request; everything else is the requested side's. */
const REQUESTER_MOVES = ['withdrawn', 'extension_requested'];
const REFUSALS = ['refused', 'mla_refused', 'refused_by_enforcing', 'impossible'];

/** States in which data were handed over: items linked to the order get a disclosure entry. */
export const HANDOVER: readonly string[] = ['produced', 'executed', 'partially_executed', 'disclosed'];

export interface OrderServiceOptions {
  /** Finds an evidence item the principal may see (404 otherwise): the evidence service's `get`. */
  readonly evidence: (
    principal: Principal,
    id: string,
  ) => Promise<{ id: string; exhibitNumber: string; sha256: string }>;
  /** The central authority and 24/7 point of contact that owns incoming requests from partners. */
  readonly centralAuthority: string;
  readonly periods: DeadlinePeriods;
  readonly now?: () => Date;
}

/**
 * Legal orders and requests under the Convention: each submission and each
 * transition is an entry on the order's chain, committed with the order's row,
 * and the deadline is recomputed from the facts at every step.
 */
export class OrderService {
  private readonly submissions: DomainWriter<OrderRecord>;
  private readonly moves: DomainWriter<{ id: string; from: string; to: string; at: Date }>;
  private readonly links: DomainWriter<{ orderId: string; evidenceId: string; at: Date; by: string }>;
  private readonly lapses: DomainWriter<{ id: string; status: string; deadlineAt: Date }>;
  private readonly now: () => Date;

  constructor(
    private readonly orders: OrderRepository,
    private readonly cases: CaseRepository,
    private readonly log: CustodyLog,
    private readonly options: OrderServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.submissions = { writeAll: (tx, records) => this.orders.insertAll(tx, records) };
    this.links = { writeAll: (tx, links) => this.orders.linkAll(tx, links) };
    this.lapses = {
      writeAll: async (tx, lapses) => {
        for (const lapse of inLockOrder(lapses, (l) => l.id)) {
          // Recorded by another pass, or the order moved on: this entry must not commit.
          if (!(await this.orders.markLapse(tx, lapse)))
            throw new ConflictError('CONFLICT', 'the lapse is recorded already, or the order moved on');
        }
      },
    };
    this.moves = {
      writeAll: async (tx, changes) => {
        // Orders locked in id order, whatever order the requests came in (see `inLockOrder`).
        for (const change of inLockOrder(changes, (c) => c.id)) {
          const locked = await this.orders.lock(tx, change.id);
          if (!locked) throw new NotFoundError('order');
          // The entry says "from"; if another move got in first, this one is refused, not rewritten.
          if (locked.status !== change.from)
            throw new OrderTransitionError(locked.kind, locked.status, change.to);
          transition(locked.kind, locked.status, change.to);
          await this.orders.saveProgress(tx, this.advance(locked, change.to, change.at));
        }
      },
    };
  }

  /**
   * Records a request or order. A `partner` (a foreign authority) may submit
   * incoming requests only; they belong to the central authority, and the 201
   * receipt is the signed acknowledgement that starts the clock. An incoming
   * international preservation request lacking an Art. 42 element starts in
   * `info_requested`, naming what is missing.
   */
  async submit(principal: Principal, input: OrderInput): Promise<Receipted<VisibleOrder>> {
    const partner = !serviceAllows(principal, 'order.handle');
    const role = serviceRole(principal, partner ? 'order.submit_incoming' : 'order.handle');
    if (partner && input.direction !== 'incoming') {
      throw new ValidationError([{ pointer: '/direction', reason: 'partners_submit_incoming_requests' }]);
    }
    if (input.caseId !== undefined) {
      const target = partner ? undefined : await this.cases.findAccessible(input.caseId, principal);
      if (!target) throw new NotFoundError('case');
      caseRole(target.standing, 'order.request');
    }
    const missing =
      input.kind === 'preservation' && input.direction === 'incoming'
        ? missingArt42Contents({
            ...input.details,
            ...input.safeguards,
            requestingAuthority: input.requestingAuthority,
          })
        : [];
    const now = this.now();
    const draft: OrderRecord = {
      id: randomUUID(),
      kind: input.kind,
      direction: input.direction,
      status: missing.length > 0 ? 'info_requested' : initialState(input.kind),
      legalBasis: input.legalBasis,
      caseId: input.caseId ?? null,
      requestingState: input.requestingState ?? null,
      requestedState: input.requestedState ?? null,
      requestingAuthority: input.requestingAuthority,
      channel: input.channel,
      urgency: input.urgency,
      details: input.details,
      safeguards: input.safeguards,
      ownerAgency: partner ? this.options.centralAuthority : principal.agency,
      submittedByAgency: principal.agency,
      receivedAt: now,
      preservedAt: null,
      extensions: 0,
      heldUntilDecided: false,
      requestedBy: input.requestedBy ?? null,
      deadlineRule: null,
      deadlineAt: null,
      createdBy: principal.sub,
      createdAt: now,
    };
    const order = this.withDeadline(draft);
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.received',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: {
        kind: order.kind,
        direction: order.direction,
        status: order.status,
        legalBasis: { ...order.legalBasis },
        requestingAuthority: order.requestingAuthority,
        channel: order.channel,
        urgency: order.urgency,
        ...(order.caseId ? { case: order.caseId } : {}),
        ...(order.requestingState ? { requestingState: order.requestingState } : {}),
        ...(order.requestedState ? { requestedState: order.requestedState } : {}),
        details: { ...input.details },
        safeguards: { ...input.safeguards },
        ...(missing.length > 0 ? { missing } : {}),
        deadline: deadlineJson(order),
      },
      write: domainWrite(this.submissions, order),
    });
    // A partner's own submission: it sees its request through the status view from the start.
    return { value: { ...order, statusOnly: partner }, receipt };
  }

  /**
   * The order, if the caller may know it: handlers and auditors of the owning
   * agency, court members of its case, and (through `statusOnly`, a status
   * view) the agency that submitted it. Everything else is 404.
   */
  async get(principal: Principal, id: string): Promise<VisibleOrder> {
    const found = await this.orders.findVisible(id, orderScopeOf(principal));
    if (!found) throw new NotFoundError('order');
    return found;
  }

  list(
    principal: Principal,
    filter: { status?: string | undefined; dueBefore?: Date | undefined; limit: number },
  ) {
    return this.orders.listVisible(orderScopeOf(principal), filter);
  }

  /** Moves an order along its kind's table; refusals need a reason code and text. */
  async transition(
    principal: Principal,
    id: string,
    input: TransitionInput,
  ): Promise<Receipted<VisibleOrder>> {
    const order = await this.get(principal, id);
    const owner = order.ownerAgency === principal.agency && serviceAllows(principal, 'order.handle');
    const role = owner
      ? serviceRole(principal, 'order.handle')
      : order.submittedByAgency === principal.agency && REQUESTER_MOVES.includes(input.to)
        ? serviceRole(principal, 'order.request_move')
        : forbidden(SERVICE_PERMISSIONS['order.handle']);
    transition(order.kind, order.status, input.to);
    if (REFUSALS.includes(input.to) && (!input.reasonCode || !input.reason)) {
      throw new ValidationError([{ pointer: '/reasonCode', reason: 'a_refusal_is_reasoned' }]);
    }
    const tracing = order.kind === 'traffic_disclosure' && input.to === 'disclosed';
    if (tracing !== (input.disclosure !== undefined)) {
      throw new ValidationError([
        {
          pointer: '/disclosure',
          reason: tracing ? 'required_for_disclosed' : 'only_for_traffic_disclosure',
        },
      ]);
    }
    const at = this.now();
    const next = this.advance(order, input.to, at);
    const actor = { sub: principal.sub, agency: principal.agency, role };
    // A handover is recorded on every linked item's chain in the same commit as the move itself.
    const handedOver = HANDOVER.includes(input.to) ? await this.orders.linkedEvidence(order.id) : [];
    const [moved] = await this.log.recordAll([
      {
        subject: { type: 'order', id: order.id },
        type: 'order.transitioned',
        actor,
        data: {
          from: order.status,
          to: input.to,
          ...(input.reasonCode ? { reasonCode: input.reasonCode } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
          ...(input.disclosure
            ? { disclosure: { ...input.disclosure, fields: [...input.disclosure.fields] } }
            : {}),
          deadline: deadlineJson(next),
        },
        write: domainWrite(this.moves, { id: order.id, from: order.status, to: input.to, at }),
      },
      ...handedOver.map((evidenceId) => this.disclosedEntry(actor, next, evidenceId)),
    ]);
    return { value: { ...next, statusOnly: order.statusOnly }, receipt: moved.receipt };
  }

  /**
   * Links an item preserved or produced under the order (an entry on the
   * order's chain). If the order already handed data over, the item's own
   * chain records the disclosure too.
   */
  async linkEvidence(
    principal: Principal,
    orderId: string,
    evidenceId: string,
  ): Promise<Receipted<OrderRecord>> {
    const order = await this.get(principal, orderId);
    const role =
      order.ownerAgency === principal.agency
        ? serviceRole(principal, 'order.handle')
        : forbidden(SERVICE_PERMISSIONS['order.handle']);
    const item = await this.options.evidence(principal, evidenceId);
    const actor = { sub: principal.sub, agency: principal.agency, role };
    const [linked] = await this.log.recordAll([
      {
        subject: { type: 'order', id: order.id },
        type: 'order.evidence_linked',
        actor,
        data: { evidence: item.id, exhibitNumber: item.exhibitNumber, sha256: item.sha256 },
        write: domainWrite(this.links, {
          orderId: order.id,
          evidenceId: item.id,
          at: this.now(),
          by: principal.sub,
        }),
      },
      ...(HANDOVER.includes(order.status) ? [this.disclosedEntry(actor, order, item.id)] : []),
    ]);
    return { value: order, receipt: linked.receipt };
  }

  /** The entry that records, on an item's own chain, that it was handed over under the order. */
  private disclosedEntry(actor: Actor, order: OrderRecord, evidenceId: string): AppendRequest {
    return {
      subject: { type: 'evidence', id: evidenceId },
      type: 'evidence.disclosed',
      actor,
      data: {
        order: order.id,
        kind: order.kind,
        legalBasis: { ...order.legalBasis },
        recipient: {
          authority: order.requestingAuthority,
          ...(order.requestingState ? { state: order.requestingState } : {}),
        },
        ...(Object.keys(order.safeguards).length > 0
          ? { conditions: { ...order.safeguards } as { [key: string]: EntryValue } }
          : {}),
      },
    };
  }

  /**
   * The deadline sweep's step for an order whose deadline has passed, as an
   * entry by the service itself. Where the lapse is an expiry (see `lapseOf`)
   * the order becomes `expired`; where it is non-compliance, an `order.overdue`
   * entry records the deadline and the state it lapsed in, once per deadline,
   * and the order stays as it is. Returns what was recorded, or undefined when
   * nothing was due.
   */
  async recordLapse(id: string): Promise<{ lapse: 'expired' | 'overdue'; order: OrderRecord } | undefined> {
    const order = await this.orders.find(id);
    const at = this.now();
    if (!order?.deadlineAt || order.deadlineAt.getTime() > at.getTime()) return undefined;
    const lapse = lapseOf(order.kind, order.status);
    if (lapse === 'expires' && nextStates(order.kind, order.status).includes('expired')) {
      const next = this.advance(order, 'expired', at);
      await this.log.record({
        subject: { type: 'order', id: order.id },
        type: 'order.transitioned',
        actor: DEADLINE_SWEEPER,
        data: {
          from: order.status,
          to: 'expired',
          reasonCode: 'DEADLINE_PASSED',
          reason: `${order.deadlineRule} ${order.deadlineAt.toISOString()}`,
          deadline: null,
        },
        write: domainWrite(this.moves, { id: order.id, from: order.status, to: 'expired', at }),
      });
      return { lapse: 'expired', order: next };
    }
    if (lapse !== 'overdue') return undefined;
    await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.overdue',
      actor: DEADLINE_SWEEPER,
      data: { status: order.status, deadline: deadlineJson(order) },
      write: domainWrite(this.lapses, { id: order.id, status: order.status, deadlineAt: order.deadlineAt }),
    });
    return { lapse: 'overdue', order };
  }

  /** A page of the orders due before `before` whose deadline runs, after `after` if given, for the sweep. */
  dueBefore(before: Date, limit: number, after?: { readonly id: string; readonly deadlineAt: Date }) {
    return this.orders.dueBefore(before, limit, RUNNING_DEADLINES, after);
  }

  /** The facts a move changes (preserved when, extensions, held until decided), and the new deadline. */
  private advance(order: OrderRecord, to: string, at: Date): OrderRecord {
    return this.withDeadline({
      ...order,
      status: to,
      preservedAt: to === 'preserved' && !order.preservedAt ? at : order.preservedAt,
      extensions: to === 'extended' ? order.extensions + 1 : order.extensions,
      heldUntilDecided:
        to === 'pending_mla_decision' || to === 'production_confirmed'
          ? true
          : to === 'mla_refused'
            ? false
            : order.heldUntilDecided,
    });
  }

  /** Only orders still in play have a deadline; one whose only way on is `closed` has none. */
  private withDeadline(order: OrderRecord): OrderRecord {
    const live = nextStates(order.kind, order.status).some((state) => state !== 'closed');
    const deadline = live
      ? deadlineOf(
          {
            kind: order.kind,
            direction: order.direction,
            emergency: order.urgency === 'emergency',
            receivedAt: order.receivedAt,
            preservedAt: order.preservedAt,
            extensions: order.extensions,
            heldUntilDecided: order.heldUntilDecided,
            requestedBy: order.requestedBy,
          },
          this.options.periods,
        )
      : null;
    return { ...order, deadlineRule: deadline?.rule ?? null, deadlineAt: deadline?.at ?? null };
  }
}

function orderScopeOf(principal: Principal): OrderScope {
  return {
    agency: principal.agency,
    sub: principal.sub,
    roles: principal.roles,
    handles: serviceAllows(principal, 'order.handle'),
    audits: principal.roles.includes('auditor'),
    readsStatus: serviceAllows(principal, 'order.read_status'),
  };
}

function forbidden(needed: readonly Role[]): never {
  throw new ForbiddenRoleError(needed);
}

function deadlineJson(order: OrderRecord): { [key: string]: EntryValue } | null {
  return order.deadlineRule
    ? { rule: order.deadlineRule, at: order.deadlineAt?.toISOString() ?? null }
    : null;
}
