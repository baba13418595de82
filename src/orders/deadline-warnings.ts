import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { CentralAuthorityRepository } from '../db/central-authority.repository';
import type { NotificationRecord, NotificationRepository } from '../db/notification.repository';
import type { OrderRecord, OrderRepository } from '../db/order.repository';
import { lapseOf, ORDER_KINDS, type OrderKind, RUNNING_DEADLINES } from './lifecycle';
import { handlersOf, requesterOf } from './order-notices';

const DAY = 86_400_000;

/**
 * How long before its deadline an order is warned of, in days: one lead time
 * for every kind, and per kind where it differs. So that the MLA request that
 * keeps preserved data is filed well before day 60 (design §6;
 * legal-requirements row 62), the default is ten days.
 */
export interface WarningLeads {
  readonly days: number;
  readonly byKind?: Readonly<Partial<Record<OrderKind, number>>>;
}

export const DEFAULT_WARNING_LEADS: WarningLeads = { days: 10 };

function leadMs(kind: OrderKind, leads: WarningLeads): number {
  return (leads.byKind?.[kind] ?? leads.days) * DAY;
}

/**
 * When the early warning of the order's current deadline is due: the deadline
 * less the kind's lead time, but never before halfway from receipt to the
 * deadline (a 24-hour act-by is warned of after 12 hours, not at receipt).
 * Null where no deadline runs.
 */
export function warningAtOf(order: OrderRecord, leads: WarningLeads = DEFAULT_WARNING_LEADS): Date | null {
  if (!order.deadlineAt || !lapseOf(order.kind, order.direction, order.status)) return null;
  const deadline = order.deadlineAt.getTime();
  const halfway = (deadline - order.receivedAt.getTime()) / 2;
  return new Date(deadline - Math.min(leadMs(order.kind, leads), halfway));
}

/**
 * The deadline sweep's early warnings: an `order.deadline_near` notification
 * to the order's handlers, and to the requesting party that follows its
 * request here (it files the MLA request that holds preserved data), once per
 * deadline. A reminder changes nothing on the record, so it is a
 * notification, not a log entry; the order view shows when it is due
 * (`deadlines.warningAt`).
 */
export class DeadlineWarnings {
  constructor(
    private readonly db: DataSource,
    private readonly queries: CentralAuthorityRepository,
    private readonly orders: OrderRepository,
    private readonly outbox: NotificationRepository,
    private readonly leads: WarningLeads = DEFAULT_WARNING_LEADS,
    private readonly pageSize = 200,
  ) {}

  /** When the order's early warning is due (see `warningAtOf`). */
  warningAt(order: OrderRecord): Date | null {
    return warningAtOf(order, this.leads);
  }

  /** Sends the warnings due at `now`, and the reminders of overdue formal confirmations; returns the orders concerned. */
  async send(now: Date): Promise<string[]> {
    const leads = ORDER_KINDS.map((kind) => ({ kind, leadMs: leadMs(kind, this.leads) }));
    const warned: string[] = [];
    for (;;) {
      const due = await this.queries.dueForWarning(now, leads, RUNNING_DEADLINES, this.pageSize);
      let sent = 0;
      for (const id of due) {
        const order = await this.orders.find(id);
        if (!order?.deadlineAt) continue;
        const deadlineAt = order.deadlineAt;
        const marked = await this.db.transaction(async (tx) => {
          if (!(await this.queries.markWarned(tx, { id, deadlineAt }))) return false;
          await this.outbox.insert(tx, warningNotices(order, now));
          return true;
        });
        if (marked) {
          warned.push(id);
          sent++;
        }
      }
      // A full page all sent: more may wait behind it. Otherwise the rest were taken by another pass.
      if (due.length < this.pageSize || sent === 0) break;
    }
    return [...warned, ...(await this.remindConfirmations(now))];
  }

  /**
   * Reminds the handlers and the requester, once, that the formal request
   * confirming an urgent one sent ahead through an expedited channel has not
   * come by its due date (Bud 25(3), 27(9); UN 40(14)): an
   * `order.formal_confirmation_overdue` notification. Returns the orders reminded of.
   */
  private async remindConfirmations(now: Date): Promise<string[]> {
    const reminded: string[] = [];
    for (;;) {
      const due = await this.queries.overdueConfirmations(now, this.pageSize);
      let sent = 0;
      for (const id of due) {
        const order = await this.orders.find(id);
        if (!order) continue;
        const marked = await this.db.transaction(async (tx) => {
          if (!(await this.queries.markConfirmationReminded(tx, id, now))) return false;
          await this.outbox.insert(
            tx,
            noticesTo(order, 'order.formal_confirmation_overdue', now, {
              due: order.formalConfirmationDue?.toISOString() ?? null,
            }),
          );
          return true;
        });
        if (marked) {
          reminded.push(id);
          sent++;
        }
      }
      if (due.length < this.pageSize || sent === 0) return reminded;
    }
  }
}

function warningNotices(order: OrderRecord, at: Date): NotificationRecord[] {
  return noticesTo(order, 'order.deadline_near', at, {
    rule: order.deadlineRule,
    deadline: order.deadlineAt?.toISOString() ?? null,
  });
}

/** A notice of `kind` about the order to its handlers and to the requesting party that follows it here. */
function noticesTo(
  order: OrderRecord,
  kind: string,
  at: Date,
  facts: Record<string, string | null>,
): NotificationRecord[] {
  const requester = requesterOf(order);
  const payload = { order: order.id, registryNumber: order.registryNumber, status: order.status, ...facts };
  return [...handlersOf(order), ...(requester ? [requester] : [])].map((agency) => ({
    id: randomUUID(),
    recipientAgency: agency,
    recipientSub: null,
    kind,
    caseId: null,
    orderId: order.id,
    payload,
    createdAt: at,
  }));
}
