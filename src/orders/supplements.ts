import { SERVICE_PERMISSIONS, serviceAllows, serviceRole } from '../access/permissions';
import type { Principal, Role } from '../access/roles';
import type { OrderRecord, OrderRepository, VisibleOrder } from '../db/order.repository';
import { ConflictError, ForbiddenRoleError, LedgerError, ValidationError } from '../errors';
import type { EntryValue } from '../ledger';
import type { CustodyLog, Receipted, Recorded } from '../log/custody-log';
import { type DomainWriter, domainWrite } from '../log/domain-write';
import type { AppendRequest } from '../log/sequencer';
import { checkContentRules, lackingContents } from './content-check';
import { DEFAULT_ACCEPTED_LANGUAGES } from './contents';
import { type DeadlinePeriods, deadlineOf } from './deadlines';
import { nextStates } from './lifecycle';
import { admitMove } from './move-timing';
import { timelineOf } from './order-service';

/** What a supplement brings: contents under the submission's names, split as the submission splits them. */
export interface SupplementInput {
  readonly details: Readonly<Record<string, EntryValue>>;
  readonly safeguards: Readonly<Record<string, EntryValue>>;
  /** The formal request that confirms an urgent one sent ahead (Bud 25(3), 27(9); UN 40(14)). */
  readonly formalConfirmation?: { readonly reference: string; readonly receivedAt: string } | undefined;
}

/** The supplement's change to the order row, checked against the row as it was read. */
interface ContentChange {
  readonly read: OrderRecord;
  readonly next: OrderRecord;
}

export interface SupplementOptions {
  /** Finds an order the principal may see (404 otherwise): the order service's `get`. */
  readonly find: (principal: Principal, id: string) => Promise<VisibleOrder>;
  readonly periods: DeadlinePeriods;
  readonly acceptedLanguages?: readonly string[];
  readonly now?: () => Date;
}

/**
 * Supplements to a request (legal-requirements rows 3, 33, 34): the
 * requesting side, or the central authority on its behalf, supplies what the
 * request lacked (UN Art. 40: additional information), a translation (UN
 * 40(14)), or the formal confirmation of an urgent request sent ahead (Bud
 * 25(3), 27(9)). The contents are merged, checked again, and recorded as an
 * `order.supplemented` entry naming what was supplied and what is still
 * missing; a request that waited for information and now lacks nothing goes
 * to assessment in the same change.
 */
export class OrderSupplements {
  private readonly changes: DomainWriter<ContentChange>;
  private readonly now: () => Date;

  constructor(
    private readonly orders: OrderRepository,
    private readonly log: CustodyLog,
    private readonly options: SupplementOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.changes = {
      writeAll: async (tx, changes) => {
        for (const { read, next } of changes) {
          const locked = await this.orders.lock(tx, read.id);
          // Another supplement or a move got in first: this one was checked against contents that are gone.
          if (
            !locked ||
            locked.status !== read.status ||
            JSON.stringify(locked.details) !== JSON.stringify(read.details) ||
            JSON.stringify(locked.safeguards) !== JSON.stringify(read.safeguards)
          )
            throw new ConflictError('CONFLICT', 'the order changed meanwhile; read it and supplement again');
          await this.orders.saveContents(tx, next);
          if (next.status !== read.status) await this.orders.saveProgress(tx, next);
        }
      },
    };
  }

  async supplement(
    principal: Principal,
    id: string,
    input: SupplementInput,
  ): Promise<Receipted<VisibleOrder>> {
    const order = await this.options.find(principal, id);
    const role = supplierRole(principal, order);
    if (!nextStates(order.kind, order.direction, order.status).some((state) => state !== 'closed'))
      throw new LedgerError('ORDER_CLOSED', `The order is ${order.status}: nothing more can be supplied`);
    if (input.formalConfirmation && (!order.formalConfirmationDue || order.details.formalConfirmation))
      throw new ValidationError([
        { pointer: '/formalConfirmation', reason: 'no_formal_confirmation_outstanding' },
      ]);
    const details: Record<string, EntryValue> = {
      ...(order.details as Record<string, EntryValue>),
      ...input.details,
      ...(input.formalConfirmation ? { formalConfirmation: { ...input.formalConfirmation } } : {}),
    };
    const safeguards = { ...(order.safeguards as Record<string, EntryValue>), ...input.safeguards };
    checkContentRules({ kind: order.kind, channel: order.channel, urgency: order.urgency, details });
    const missing = lackingContents(
      order.kind,
      order.direction,
      { ...details, ...safeguards, requestingAuthority: order.requestingAuthority },
      this.options.acceptedLanguages ?? DEFAULT_ACCEPTED_LANGUAGES,
    ).map(({ element }) => element);
    const at = this.now();
    const supplied = { ...order, details, safeguards, missing };
    // Complete now: on to assessment, unless the deadline lapsed meanwhile, which the handler's move records first.
    const moves =
      order.status === 'info_requested' &&
      missing.length === 0 &&
      nextStates(order.kind, order.direction, order.status).includes('under_assessment') &&
      admitMove(
        { ...timelineOf(supplied), lapseRecorded: order.lapseRecorded },
        'under_assessment',
        at,
        this.options.periods,
      ) === undefined;
    const next = moves
      ? this.withDeadline({ ...supplied, status: 'under_assessment', lapseRecorded: false })
      : supplied;
    const actor = { sub: principal.sub, agency: principal.agency, role };
    const subject = { type: 'order', id: order.id } as const;
    const names = [
      ...Object.keys(input.details),
      ...Object.keys(input.safeguards),
      ...(input.formalConfirmation ? ['formalConfirmation'] : []),
    ].sort();
    const supplement: AppendRequest = {
      subject,
      type: 'order.supplemented',
      actor,
      data: {
        supplied: names,
        ...(Object.keys(input.details).length > 0 ? { details: { ...input.details } } : {}),
        ...(Object.keys(input.safeguards).length > 0 ? { safeguards: { ...input.safeguards } } : {}),
        ...(input.formalConfirmation ? { formalConfirmation: { ...input.formalConfirmation } } : {}),
        missing: [...missing],
        status: next.status,
      },
      write: domainWrite(this.changes, { read: order, next }),
    };
    const moveEntry: AppendRequest = {
      subject,
      type: 'order.transitioned',
      actor,
      data: {
        from: order.status,
        to: next.status,
        reasonCode: 'CONTENTS_COMPLETE',
        deadline: next.deadlineRule
          ? { rule: next.deadlineRule, at: next.deadlineAt?.toISOString() ?? null }
          : null,
      },
    };
    const [recorded] = (await this.log.recordAll(moves ? [supplement, moveEntry] : [supplement])) as [
      Recorded,
      ...Recorded[],
    ];
    return { value: { ...next, statusOnly: order.statusOnly }, receipt: recorded.receipt };
  }

  /** The order with the deadline of its new state (as the order service computes it after a move). */
  private withDeadline(order: OrderRecord): OrderRecord {
    const deadline = deadlineOf(timelineOf(order), this.options.periods);
    return { ...order, deadlineRule: deadline?.rule ?? null, deadlineAt: deadline?.at ?? null };
  }
}

/**
 * Who may supplement: the agency that submitted the request (a partner, whose
 * view is the status view), or the agency that handles it, on its behalf.
 * Anyone else who can see the order (an auditor, a court member) may not.
 */
function supplierRole(principal: Principal, order: VisibleOrder): Role {
  if (order.statusOnly && order.submittedByAgency === principal.agency)
    return serviceRole(principal, 'order.supplement');
  if (order.ownerAgency === principal.agency && serviceAllows(principal, 'order.handle'))
    return serviceRole(principal, 'order.handle');
  throw new ForbiddenRoleError(SERVICE_PERMISSIONS['order.handle']);
}
