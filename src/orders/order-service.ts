import { randomUUID } from 'node:crypto';
import { MEMBER_AUDIENCE, REQUESTER_AUDIENCE } from '../access/disclosure-scope';
import { caseRole, SERVICE_PERMISSIONS, serviceAllows, serviceRole } from '../access/permissions';
import type { Principal, Role } from '../access/roles';
import type { CaseRepository } from '../db/case.repository';
import type { LogRepository } from '../db/log.repository';
import type {
  OrderListFilter,
  OrderRecord,
  OrderRepository,
  OrderScope,
  VisibleOrder,
} from '../db/order.repository';
import { ConflictError, ForbiddenRoleError, LedgerError, NotFoundError, ValidationError } from '../errors';
import type { EntryValue } from '../ledger';
import type { CustodyLog, Receipted, Recorded } from '../log/custody-log';
import { type DomainWriter, domainWrite, inLockOrder } from '../log/domain-write';
import { type EntryView, entryViews } from '../log/log-reader';
import type { AppendRequest } from '../log/sequencer';
import { checkConsulted, hasConsulted, needsConsultation } from './consultations';
import { canAskForInformation, checkContentRules, lackingContents } from './content-check';
import { DEFAULT_ACCEPTED_LANGUAGES } from './contents';
import { checkCustodianDuty } from './custodian-duty';
import { DEFAULT_PERIODS, type DeadlinePeriods, deadlineOf, type OrderTimeline } from './deadlines';
import { canonicalTimeZone, checkEventTime, type StatedEventTime } from './event-time';
import { checkGround, groundsFor, isReasonedMove } from './grounds';
import { legalBasisErrors } from './legal-basis';
import type { LegalSettings } from './legal-settings';
import {
  type Direction,
  initialState,
  type LapseStep,
  lapseStepOf,
  nextStates,
  type OrderKind,
  OrderTransitionError,
  RUNNING_DEADLINES,
  transition,
} from './lifecycle';
import type { Relation } from './matter';
import { OrderMatters, type TrafficHop, trafficDisclosureJson } from './matter-service';
import { admitMove, moveCandidates, type TimedOrder } from './move-timing';

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
  /** EPOC: the agency of the enforcing authority notified under Reg. 2023/1543 Art. 8. */
  readonly enforcingAgency?: string | undefined;
  readonly details: Readonly<Record<string, EntryValue>>;
  readonly safeguards: Readonly<Record<string, EntryValue>>;
  /** The order this one follows from in the same matter, and how (matter.ts). */
  readonly related?: { readonly orderId: string; readonly relation: Relation } | undefined;
  /** The source's IANA time zone (the deployment's when not given). */
  readonly timeZone?: string | undefined;
  /** When the request was really received, if before it is entered here (legal row 14). */
  readonly receivedAt?: StatedEventTime | undefined;
}

/**
 * What a partial disclosure of traffic data (Arts 26/43) released: enough to
 * identify the next provider and the path, and never content or subscriber data.
 */
export interface TrafficDisclosure {
  readonly fields: readonly string[];
  readonly nextHopProvider?: string | undefined;
  readonly nextHopCountry?: string | undefined;
  /** The path through one provider or several (UN 26(a)-(b); Bud 17(1)), instead of the next hop alone. */
  readonly hops?: readonly TrafficHop[] | undefined;
  readonly contentDisclosed: false;
  readonly subscriberDisclosed: false;
}

/** A move the caller may make now (`GET /v1/orders/:id`), and what its request must state. */
export interface AllowedMove {
  readonly to: string;
  /** It states `reason`. */
  readonly reasonRequired: boolean;
  /** A refusal or postponement: its `reasonCode` is one of these grounds. */
  readonly groundsRequired?: ReadonlyArray<{ readonly code: string; readonly article: string }>;
  /** It names the MLA request that holds the preserved data (`mlaOrderId`). */
  readonly mlaOrderRequired?: true;
  /** It carries the traffic disclosure (`disclosure`). */
  readonly disclosureRequired?: true;
  /** It waits for a consultation with the requester (`POST /v1/orders/:id/consultations`). */
  readonly consultationRequired?: true;
}

export interface TransitionInput {
  readonly to: string;
  readonly reasonCode?: string | undefined;
  readonly reason?: string | undefined;
  readonly disclosure?: TrafficDisclosure | undefined;
  /** For `pending_mla_decision`: the MLA request that now holds the preserved data. */
  readonly mlaOrderId?: string | undefined;
  /** For `preserved`: when the custodian really preserved the data, if earlier than now (legal row 14). */
  readonly preservedAt?: StatedEventTime | undefined;
}

/** One move as its domain write sees it; `lapse` is the deadline whose lapse the same change records. */
interface Move {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly at: Date;
  readonly mlaOrderId?: string | undefined;
  readonly lapse?: Date | undefined;
  readonly preservedAt?: StatedEventTime | undefined;
}

/** Who the deadline sweep is in the log: the service itself. */
const DEADLINE_SWEEPER = { sub: 'service:deadline-sweep', agency: 'SYSTEM', role: 'prosecutor' } as const;

/**
 * Moves a foreign requester may make on its own request; everything else is
 * the requested side's. The issuing authority of an EPOC-PR confirms the
 * production request (Annex V), extends (Annex VI) and says when the data are
 * no longer needed (Art. 11(3)).
 */
const REQUESTER_MOVES = ['withdrawn', 'extension_requested'];
const ISSUER_MOVES: Readonly<Partial<Record<OrderKind, readonly string[]>>> = {
  epoc_pr: ['extended', 'production_confirmed', 'lifted'],
  // Told that preservation will not ensure availability, the requester decides to go ahead (Bud 29(6)).
  preservation: ['proceed_confirmed'],
  // Told that its request cannot be kept confidential, the requester decides to go ahead (Bud 27(8)).
  mla: ['proceed_confirmed'],
};

/**
 * The enforcing authority's own decisions on an EPOC notified to it (Reg.
 * 2023/1543 Arts 10(2)-(4), 12): confirming early, raising a ground for
 * refusal, and objecting after an emergency production.
 */
const ENFORCING_MOVES = ['enforcing_confirmed', 'refused_by_enforcing', 'deletion_or_restriction_required'];

function requesterMay(kind: OrderKind, to: string): boolean {
  return REQUESTER_MOVES.includes(to) || (ISSUER_MOVES[kind] ?? []).includes(to);
}

/** MLA requests that can no longer hold preserved data. */
const ENDED_MLA = ['refused', 'withdrawn', 'closed'];

/**
 * States in which data are handed over under the order. The hand-over itself
 * is recorded once, by the disclosure that carries the data and names the
 * order (reports/disclosures.ts); the move records only the order's state.
 */
export const HANDOVER: readonly string[] = [
  'produced',
  'executed',
  'partially_executed',
  'disclosed',
  // A 24/7 answer may carry data to avert an emergency (UN Art. 41; Budapest Art. 35(1)(c)).
  'answered',
];

export interface OrderServiceOptions {
  /** Finds an evidence item the principal may see (404 otherwise): the evidence service's `get`. */
  readonly evidence: (
    principal: Principal,
    id: string,
  ) => Promise<{ id: string; exhibitNumber: string; sha256: string }>;
  /** The central authority and 24/7 point of contact that owns incoming requests from partners. */
  readonly centralAuthority: string;
  readonly periods: DeadlinePeriods;
  /** This state, its EU roles, reservations and authorisation rules: what the legal checks apply. */
  readonly legal: LegalSettings;
  /** The deployment's IANA time zone: an order's zone when its source names none (UTC if not given). */
  readonly timeZone?: string;
  /** Where an order's chain is read from (its history). */
  readonly entries: LogRepository;
  /** The languages the requested state accepts requests in (UN Art. 40(14)); default `DEFAULT_ACCEPTED_LANGUAGES`. */
  readonly acceptedLanguages?: readonly string[];
  readonly now?: () => Date;
}

/**
 * Legal orders and requests under the Convention: each submission and each
 * transition is an entry on the order's chain, committed with the order's row,
 * and the deadline is recomputed from the facts at every step.
 */
export class OrderService {
  private readonly submissions: DomainWriter<OrderRecord>;
  private readonly moves: DomainWriter<Move>;
  private readonly links: DomainWriter<{ orderId: string; evidenceId: string; at: Date; by: string }>;
  private readonly lapses: DomainWriter<{ id: string; status: string; deadlineAt: Date }>;
  private readonly now: () => Date;
  /** The order's matter, the domestic orders executing it, and traffic disclosures from it (matter-service.ts). */
  readonly matters: OrderMatters;

  constructor(
    private readonly orders: OrderRepository,
    private readonly cases: CaseRepository,
    private readonly log: CustodyLog,
    private readonly options: OrderServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.matters = new OrderMatters(orders, log, {
      scopeOf: orderScopeOf,
      get: (principal, id) => this.get(principal, id),
      now: this.now,
    });
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
            throw new OrderTransitionError(locked.kind, locked.direction, locked.status, change.to);
          transition(locked.kind, locked.direction, locked.status, change.to);
          // The lapse this change records first: if a sweep recorded it meanwhile, this change must not.
          const lapse = change.lapse && { id: change.id, status: change.from, deadlineAt: change.lapse };
          if (lapse && !(await this.orders.markLapse(tx, lapse)))
            throw new ConflictError('CONFLICT', 'the lapse is recorded already');
          await this.orders.saveProgress(tx, this.advance(locked, change));
        }
      },
    };
  }

  /**
   * Records a request or order. A `partner` (a foreign authority) may submit
   * incoming requests only; they belong to the central authority, and the 201
   * receipt is the signed acknowledgement that starts the clock. An incoming
   * request lacking contents (UN Art. 42(3), Art. 40(15), or a translation
   * under Art. 40(14)) starts in `info_requested`, naming what is missing; an
   * outgoing request or a production order lacking contents (UN Art. 27) is
   * refused (422, each missing element named), since the other side could
   * not act on it.
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
    checkContentRules(input);
    const lacking = lackingContents(
      input.kind,
      input.direction,
      { ...input.details, ...input.safeguards, requestingAuthority: input.requestingAuthority },
      this.options.acceptedLanguages ?? DEFAULT_ACCEPTED_LANGUAGES,
    );
    // Our own request must carry what the requested state needs to act on it (Bud 29(2); UN 40(15),
    // 42(3)), and an order what its addressee must produce (UN 27): only a foreign request is asked for more.
    const asks = input.direction === 'incoming' && canAskForInformation(input.kind, input.direction);
    // Everything wrong with the submission is named at once: its legal basis and the contents it lacks.
    const errors = [
      ...legalBasisErrors(input, this.options.legal),
      ...(asks ? [] : lacking.map(({ element, reason }) => ({ pointer: `/${element}`, reason }))),
    ];
    if (errors.length > 0) throw new ValidationError(errors);
    const missing = lacking.map(({ element }) => element);
    const now = this.now();
    const confirmationDays =
      this.options.periods.formalConfirmationDays ?? DEFAULT_PERIODS.formalConfirmationDays;
    const timeZone = this.timeZoneOf(input);
    const stated = input.receivedAt;
    // The receiving side states when it received a request; the sender cannot move that clock.
    if (stated && partner)
      throw new ValidationError([{ pointer: '/receivedAt', reason: 'stated_by_the_receiving_side' }]);
    if (stated) checkEventTime(stated.at, now, '/receivedAt');
    checkCustodianDuty(input.kind, input.safeguards, now);
    const ownerAgency = partner ? this.options.centralAuthority : principal.agency;
    const related =
      input.related &&
      (await this.matters.related(principal, partner, input.related, {
        kind: input.kind,
        direction: input.direction,
        requestingState: input.requestingState ?? null,
        requestedState: input.requestedState ?? null,
        ownerAgency,
      }));
    const draft: OrderRecord = {
      id: randomUUID(),
      registryNumber: await this.orders.nextRegistryNumber(ownerAgency, input.direction, now),
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
      ownerAgency,
      submittedByAgency: principal.agency,
      receivedAt: stated?.at ?? now,
      receivedAtSource: stated?.source ?? null,
      receivedAtReason: stated?.reason ?? null,
      preservedAt: null,
      preservedAtSource: null,
      preservedAtReason: null,
      timeZone,
      extensions: 0,
      heldUntilDecided: false,
      linkedMlaId: null,
      relatedOrderId: related ? related.id : null,
      relation: input.related?.relation ?? null,
      enforcingNotifiedAt: null,
      enforcingAgency: input.enforcingAgency ?? null,
      requestedBy: input.requestedBy ?? null,
      deadlineRule: null,
      deadlineAt: null,
      lapseRecorded: false,
      createdBy: principal.sub,
      createdAt: now,
      missing,
      formalConfirmationDue:
        input.details.formalConfirmationToFollow === true
          ? new Date(now.getTime() + confirmationDays * 86_400_000)
          : null,
    };
    const order = this.withDeadline(draft);
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.received',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: {
        registryNumber: order.registryNumber,
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
        ...(order.relatedOrderId && order.relation
          ? { related: { order: order.relatedOrderId, relation: order.relation } }
          : {}),
        ...(order.formalConfirmationDue
          ? { formalConfirmationDue: order.formalConfirmationDue.toISOString() }
          : {}),
        timeZone,
        ...(stated
          ? {
              receivedAt: stated.at.toISOString(),
              receivedAtSource: stated.source,
              receivedAtReason: stated.reason,
            }
          : {}),
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

  /** Those of the orders `ids` the caller may know, by id, each as `get` would give it. */
  async visibleAmong(principal: Principal, ids: readonly string[]): Promise<Map<string, VisibleOrder>> {
    const found = await this.orders.findAllVisible([...new Set(ids)], orderScopeOf(principal));
    return new Map(found.map((order) => [order.id, order]));
  }

  /**
   * The order's history: every entry of its chain, each with the disclosures
   * the caller receives. The handling side receives them all; the requesting
   * side, which sees the order through its status view, what it submitted and
   * the reasons it is owed (access/disclosure-scope.ts).
   */
  async chain(principal: Principal, id: string): Promise<EntryView[]> {
    const order = await this.get(principal, id);
    const audience = order.statusOnly ? REQUESTER_AUDIENCE : MEMBER_AUDIENCE;
    return entryViews(await this.options.entries.chain('order', order.id), audience);
  }

  /** The orders an item is linked to, as far as the caller may know them (Budapest Art. 27(8)). */
  ofEvidence(principal: Principal, evidenceId: string): Promise<VisibleOrder[]> {
    return this.orders.ordersOfEvidence(evidenceId, orderScopeOf(principal));
  }

  /**
   * One page of the orders the caller may see (by the order scope, whatever
   * its case membership), and the position the next page starts after.
   */
  async list(
    principal: Principal,
    filter: OrderListFilter,
  ): Promise<{
    items: VisibleOrder[];
    next: { createdAt: Date; id: string; key?: Date | null } | undefined;
  }> {
    const rows = await this.orders.listVisible(orderScopeOf(principal), {
      ...filter,
      limit: filter.limit + 1,
    });
    const last = rows.length > filter.limit ? rows[filter.limit - 1] : undefined;
    const next = last && {
      createdAt: last.createdAt,
      id: last.id,
      ...(filter.sort === 'deadline' ? { key: last.deadlineAt } : {}),
    };
    return { items: rows.slice(0, filter.limit), next };
  }

  /**
   * Moves an order along the table of its kind and direction, checked against
   * the clock (see `admitMove`): where the order's deadline has lapsed and the
   * sweep has not recorded it yet, the same change records that lapse first,
   * as the sweep would. Refusals need a reason code and text; holding
   * preserved data for an MLA request names that request.
   */
  async transition(
    principal: Principal,
    id: string,
    input: TransitionInput,
  ): Promise<Receipted<VisibleOrder>> {
    const order = await this.get(principal, id);
    const role = moverRole(principal, order, input.to);
    const at = this.now();
    const lapse = admitMove(timedOrder(order), input.to, at, this.options.periods);
    checkRequesterNotice(order, input);
    if (isReasonedMove(input.to) && (!input.reasonCode || !input.reason)) {
      throw new ValidationError([{ pointer: '/reasonCode', reason: 'a_refusal_is_reasoned' }]);
    }
    checkGround(order, input.to, input.reasonCode, this.options.legal);
    await checkConsulted(order, input.to, this.options.entries);
    const tracing = isTracing(order, input.to);
    if (tracing !== (input.disclosure !== undefined)) {
      throw new ValidationError([
        {
          pointer: '/disclosure',
          reason: tracing ? 'required_for_disclosed' : 'only_for_traffic_disclosure',
        },
      ]);
    }
    checkPreservedAt(order, input, at);
    await this.checkMlaHold(principal, order, input);
    await this.checkMlaDecided(order, input.to);
    const lapsed = lapse && this.lapseRecord(order, lapse, at, 'with_move');
    const current = lapsed ? lapsed.order : order;
    const move: Move = {
      id: order.id,
      from: current.status,
      to: input.to,
      at,
      mlaOrderId: input.mlaOrderId,
      lapse: lapse && 'entry' in lapse ? (order.deadlineAt ?? undefined) : undefined,
      preservedAt: input.preservedAt,
    };
    const next = this.advance(current, move);
    const actor = { sub: principal.sub, agency: principal.agency, role };
    const moveRequest: AppendRequest = {
      subject: { type: 'order', id: order.id },
      type: 'order.transitioned',
      actor,
      data: {
        from: current.status,
        to: input.to,
        ...(input.reasonCode ? { reasonCode: input.reasonCode } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.disclosure ? { disclosure: trafficDisclosureJson(input.disclosure) } : {}),
        ...(input.mlaOrderId ? { mla: input.mlaOrderId } : {}),
        ...(input.preservedAt
          ? {
              preservedAt: input.preservedAt.at.toISOString(),
              preservedAtSource: input.preservedAt.source,
              preservedAtReason: input.preservedAt.reason,
            }
          : {}),
        deadline: deadlineJson(next),
      },
      write: domainWrite(this.moves, move),
    };
    // A domestic order executing an international preservation that leaves force with data still held (row 13).
    const unexecuted = await this.matters.executionLapses(next, order.status, actor, at);
    const recorded = lapsed
      ? (await this.log.recordAll([lapsed.request, moveRequest, ...unexecuted])).slice(1)
      : await this.log.recordAll([moveRequest, ...unexecuted]);
    return { value: { ...next, statusOnly: order.statusOnly }, receipt: (recorded[0] as Recorded).receipt };
  }

  /**
   * The moves the caller may make on the order now, each with what its
   * request must state: the checks `transition` makes that do not depend on
   * the request (who may move, the table and the clock, a notice of
   * confidentiality only for a confidential request, a held preservation
   * only once its MLA request is decided), run by the same functions, and
   * the grounds `checkGround` would accept. A move that needs a consultation
   * first is listed, saying so, until one is on the chain.
   */
  async allowedMoves(principal: Principal, order: VisibleOrder): Promise<AllowedMove[]> {
    const timed = timedOrder(order);
    const now = this.now();
    const moves: string[] = [];
    for (const to of moveCandidates(timed, now, this.options.periods)) {
      const admitted = await admits(async () => {
        moverRole(principal, order, to);
        admitMove(timed, to, now, this.options.periods);
        checkConfidentialNotice(order, to);
        await this.checkMlaDecided(order, to);
      });
      if (admitted) moves.push(to);
    }
    const unconsulted =
      moves.some((to) => needsConsultation(order, to)) && !(await hasConsulted(order, this.options.entries));
    const allowed: AllowedMove[] = [];
    for (const to of moves) {
      const grounds = isReasonedMove(to)
        ? groundsFor(order.legalBasis.instrument, order.kind, order.direction, to)
        : [];
      const available: Array<{ code: string; article: string }> = [];
      for (const ground of grounds)
        if (await admits(() => checkGround(order, to, ground.code, this.options.legal)))
          available.push({ code: ground.code, article: ground.article });
      allowed.push({
        to,
        reasonRequired: isReasonedMove(to) || isRequesterNotice(order, to),
        ...(isReasonedMove(to) ? { groundsRequired: available } : {}),
        ...(to === 'pending_mla_decision' ? { mlaOrderRequired: true } : {}),
        ...(isTracing(order, to) ? { disclosureRequired: true } : {}),
        ...(unconsulted && needsConsultation(order, to) ? { consultationRequired: true } : {}),
      });
    }
    return allowed;
  }

  /**
   * An international preservation is held for an MLA request only while the
   * data are still held (the table's states), and only for a request the
   * caller handles: an `mla` request of the same direction and requesting
   * state that is still open (UN Art. 42, Budapest Art. 29(7): preservation
   * continues until the request is decided).
   */
  private async checkMlaHold(
    principal: Principal,
    order: OrderRecord,
    input: TransitionInput,
  ): Promise<void> {
    const holding = input.to === 'pending_mla_decision';
    if (holding !== (input.mlaOrderId !== undefined)) {
      throw new ValidationError([
        {
          pointer: '/mlaOrderId',
          reason: holding ? 'required_for_pending_mla_decision' : 'only_for_pending_mla_decision',
        },
      ]);
    }
    if (!input.mlaOrderId) return;
    const mla = await this.orders.findVisible(input.mlaOrderId, orderScopeOf(principal));
    const reason =
      !mla || mla.statusOnly
        ? 'unknown_order'
        : mla.kind !== 'mla'
          ? 'not_an_mla_request'
          : mla.direction !== order.direction
            ? 'other_direction'
            : mla.requestingState && order.requestingState && mla.requestingState !== order.requestingState
              ? 'other_requesting_state'
              : ENDED_MLA.includes(mla.status)
                ? 'mla_request_ended'
                : undefined;
    if (reason) throw new ValidationError([{ pointer: '/mlaOrderId', reason }]);
  }

  /**
   * Data held for an MLA request are held until it is decided: produced once
   * it is executed (in whole or part), released as refused once it is
   * refused. Holds recorded before requests were linked name none and are not
   * checked.
   */
  private async checkMlaDecided(order: OrderRecord, to: string): Promise<void> {
    const needed =
      to === 'produced' ? ['executed', 'partially_executed'] : to === 'mla_refused' ? ['refused'] : undefined;
    if (order.status !== 'pending_mla_decision' || !needed || !order.linkedMlaId) return;
    const mla = await this.orders.find(order.linkedMlaId);
    if (!mla || !needed.includes(mla.status))
      throw new OrderTransitionError(
        order.kind,
        order.direction,
        order.status,
        to,
        `the MLA request holding it is ${mla?.status ?? 'gone'}`,
      );
  }

  /**
   * Links an item preserved or produced under the order (an entry on the
   * order's chain). Handing it over is a disclosure naming the order, which
   * records it on the item's chain.
   */
  async linkEvidence(
    principal: Principal,
    orderId: string,
    evidenceId: string,
  ): Promise<Receipted<OrderRecord>> {
    const order = await this.get(principal, orderId);
    const role = handlesFor(order, principal.agency)
      ? serviceRole(principal, 'order.handle')
      : forbidden(SERVICE_PERMISSIONS['order.handle']);
    const item = await this.options.evidence(principal, evidenceId);
    const actor = { sub: principal.sub, agency: principal.agency, role };
    const { receipt } = await this.log.record({
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
    });
    return { value: order, receipt };
  }

  /**
   * The deadline sweep's step for an order whose deadline has passed, by the
   * service itself (see `lapseStepOf`): a period that ends makes the order
   * `expired`; a production order's missed date makes it `overdue`; any other
   * missed due date gets an `order.overdue` entry, and a reached floor an
   * `order.minimum_reached` entry, once per deadline and state, and the order
   * stays as it is. Returns what was recorded, or undefined when nothing was due.
   */
  async recordLapse(
    id: string,
  ): Promise<{ lapse: 'expired' | 'overdue' | 'minimum_reached'; order: OrderRecord } | undefined> {
    const order = await this.orders.find(id);
    const at = this.now();
    if (!order?.deadlineAt || order.deadlineAt.getTime() > at.getTime() || order.lapseRecorded)
      return undefined;
    const step = lapseStepOf(order.kind, order.direction, order.status);
    if (!step) return undefined;
    const lapsed = this.lapseRecord(order, step, at, 'alone');
    // A domestic order executing an international preservation that ends with data still held (row 13).
    const unexecuted = await this.matters.executionLapses(lapsed.order, order.status, DEADLINE_SWEEPER, at);
    await this.log.recordAll([lapsed.request, ...unexecuted]);
    const lapse = 'move' in step ? step.move : step.entry === 'order.overdue' ? 'overdue' : 'minimum_reached';
    return { lapse, order: lapsed.order };
  }

  /**
   * The entry that records a lapse, by the service itself, and the order after
   * it. An entry that stands `alone` marks the lapse recorded through its own
   * write; one that goes `with_move` leaves that to the move's write, which
   * runs under the order's lock.
   */
  private lapseRecord(
    order: OrderRecord,
    step: LapseStep,
    at: Date,
    mode: 'alone' | 'with_move',
  ): { request: AppendRequest; order: OrderRecord } {
    const deadlineAt = order.deadlineAt as Date;
    const subject = { type: 'order', id: order.id } as const;
    if ('move' in step) {
      const move: Move = { id: order.id, from: order.status, to: step.move, at };
      const next = this.advance(order, move);
      return {
        order: next,
        request: {
          subject,
          type: 'order.transitioned',
          actor: DEADLINE_SWEEPER,
          data: {
            from: order.status,
            to: step.move,
            reasonCode: 'DEADLINE_PASSED',
            reason: `${order.deadlineRule} ${deadlineAt.toISOString()}`,
            deadline: deadlineJson(next),
          },
          write: domainWrite(this.moves, move),
        },
      };
    }
    const mark = { id: order.id, status: order.status, deadlineAt };
    return {
      order: { ...order, lapseRecorded: true },
      request: {
        subject,
        type: step.entry,
        actor: DEADLINE_SWEEPER,
        data: { status: order.status, deadline: deadlineJson(order) },
        ...(mode === 'alone' ? { write: domainWrite(this.lapses, mark) } : {}),
      },
    };
  }

  /** A page of the orders due before `before` whose deadline runs, after `after` if given, for the sweep. */
  dueBefore(before: Date, limit: number, after?: { readonly id: string; readonly deadlineAt: Date }) {
    return this.orders.dueBefore(before, limit, RUNNING_DEADLINES, after);
  }

  /**
   * The facts a move changes (preserved when, extensions, held until decided
   * and for which MLA request, enforcing authority notified), and the new
   * deadline, whose lapse is not recorded yet.
   */
  private advance(order: OrderRecord, move: Move): OrderRecord {
    const { to, at } = move;
    const holds = to === 'pending_mla_decision' || to === 'production_confirmed';
    const preserving =
      (to === 'preserved' || (order.kind === 'epoc_pr' && to === 'clarification_requested')) &&
      !order.preservedAt;
    return this.withDeadline({
      ...order,
      status: to,
      // An EPOC-PR sent back for clarification is preserved meanwhile (Reg. 2023/1543 Art. 11(4)).
      preservedAt: preserving ? (move.preservedAt?.at ?? at) : order.preservedAt,
      preservedAtSource: preserving ? (move.preservedAt?.source ?? null) : order.preservedAtSource,
      preservedAtReason: preserving ? (move.preservedAt?.reason ?? null) : order.preservedAtReason,
      extensions: to === 'extended' ? order.extensions + 1 : order.extensions,
      heldUntilDecided: holds ? true : to === 'mla_refused' ? false : order.heldUntilDecided,
      linkedMlaId: to === 'pending_mla_decision' ? (move.mlaOrderId ?? null) : order.linkedMlaId,
      enforcingNotifiedAt: to === 'enforcing_notified' ? at : order.enforcingNotifiedAt,
      lapseRecorded: false,
    });
  }

  /** The deployment's IANA time zone (UTC if not configured). */
  get timeZone(): string {
    return this.options.timeZone ?? 'UTC';
  }

  /** The source's zone in its canonical name, or the deployment's (legal row 59). */
  private timeZoneOf(input: OrderInput): string {
    if (input.timeZone === undefined) return this.timeZone;
    const zone = canonicalTimeZone(input.timeZone);
    if (!zone) throw new ValidationError([{ pointer: '/timeZone', reason: 'unknown_time_zone' }]);
    return zone;
  }

  /** Only orders still in play have a deadline; one whose only way on is `closed` has none. */
  private withDeadline(order: OrderRecord): OrderRecord {
    const live = nextStates(order.kind, order.direction, order.status).some((state) => state !== 'closed');
    const deadline = live ? deadlineOf(timelineOf(order), this.options.periods) : null;
    return { ...order, deadlineRule: deadline?.rule ?? null, deadlineAt: deadline?.at ?? null };
  }
}

/** A move that tells a requester of a risk to its request: it must explain the risk. */
function isRequesterNotice(order: OrderRecord, to: string): boolean {
  return (to === 'at_risk_notified' && order.direction !== 'domestic') || to === 'confidentiality_notified';
}

/**
 * Notices after which the requester decides whether its request goes ahead,
 * so it must learn why: that preservation will not ensure the data or will
 * prejudice its investigation (`at_risk_notified`, an international
 * preservation; Bud 29(6)), and that a request which asked for
 * confidentiality cannot have it (`confidentiality_notified`; Bud 27(8)).
 */
function checkRequesterNotice(order: OrderRecord, input: TransitionInput): void {
  if (!isRequesterNotice(order, input.to)) return;
  checkConfidentialNotice(order, input.to);
  if (!input.reason) throw new ValidationError([{ pointer: '/reason', reason: 'the_risk_is_explained' }]);
}

/** Only a confidential request can be one whose confidentiality cannot be kept (Bud 27(8)). */
function checkConfidentialNotice(order: OrderRecord, to: string): void {
  if (to === 'confidentiality_notified' && order.safeguards.confidential !== true)
    throw new OrderTransitionError(
      order.kind,
      order.direction,
      order.status,
      to,
      'not a confidential request',
    );
}

/** A traffic disclosure's `disclosed` move carries the disclosure itself (the hops it traced). */
function isTracing(order: OrderRecord, to: string): boolean {
  return order.kind === 'traffic_disclosure' && to === 'disclosed';
}

/**
 * The role the caller moves the order as: a handler of the owning or
 * executing agency any move; the requesting agency its own moves; the
 * enforcing authority of an EPOC its decisions. Anyone else is refused.
 */
function moverRole(principal: Principal, order: VisibleOrder, to: string): Role {
  const owner = handlesFor(order, principal.agency) && serviceAllows(principal, 'order.handle');
  return owner
    ? serviceRole(principal, 'order.handle')
    : order.submittedByAgency === principal.agency && requesterMay(order.kind, to)
      ? serviceRole(principal, 'order.request_move')
      : order.enforcingAgency === principal.agency && ENFORCING_MOVES.includes(to)
        ? serviceRole(principal, 'order.enforce')
        : forbidden(SERVICE_PERMISSIONS['order.handle']);
}

/** Whether a check passes: it throws one of our errors when it does not. */
async function admits(check: () => void | Promise<void>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (error) {
    if (error instanceof LedgerError) return false;
    throw error;
  }
}

export function timelineOf(order: OrderRecord): OrderTimeline {
  return {
    kind: order.kind,
    direction: order.direction,
    status: order.status,
    channel: order.channel,
    urgency: order.urgency,
    receivedAt: order.receivedAt,
    preservedAt: order.preservedAt,
    extensions: order.extensions,
    heldUntilDecided: order.heldUntilDecided,
    requestedBy: order.requestedBy,
    enforcingNotified: order.enforcingNotifiedAt !== null,
    dataVulnerable: order.details.dataVulnerable === true,
    timeZone: order.timeZone,
  };
}

/**
 * A stated preservation time goes with the `preserved` move that first
 * records the preservation, and lies between the order's receipt and now
 * (legal row 14: the clock starts when the custodian preserved the data).
 */
function checkPreservedAt(order: OrderRecord, input: TransitionInput, now: Date): void {
  if (!input.preservedAt) return;
  const reason =
    input.to !== 'preserved' ? 'only_for_preserved' : order.preservedAt ? 'preserved_already' : undefined;
  if (reason) throw new ValidationError([{ pointer: '/preservedAt', reason }]);
  checkEventTime(input.preservedAt.at, now, '/preservedAt', order.receivedAt);
}

function timedOrder(order: OrderRecord): TimedOrder {
  return { ...timelineOf(order), lapseRecorded: order.lapseRecorded };
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

/** The owner handles its orders, and the agency it forwarded one to handles that one too (UN Art. 40(13)). */
function handlesFor(order: OrderRecord, agency: string): boolean {
  return order.ownerAgency === agency || order.executingAgency === agency;
}

function forbidden(needed: readonly Role[]): never {
  throw new ForbiddenRoleError(needed);
}

function deadlineJson(order: OrderRecord): { [key: string]: EntryValue } | null {
  return order.deadlineRule
    ? { rule: order.deadlineRule, at: order.deadlineAt?.toISOString() ?? null }
    : null;
}
