import { randomUUID } from 'node:crypto';
import type { NotificationRecord, NotificationRepository } from '../db/notification.repository';
import type { OrderRecord, OrderRepository } from '../db/order.repository';
import type { EntryValue } from '../ledger';
import { CustodyLog, type Recorded } from '../log/custody-log';
import { type DomainWrite, type DomainWriter, domainWrite } from '../log/domain-write';
import type { AppendRequest, Sequencer } from '../log/sequencer';
import type { ReceiptSigningKey } from '../receipts/receipt';

/** Who the deadline sweep is in the log (order-service.ts): its moves are lapses the handlers are alerted to. */
const DEADLINE_SWEEPER_SUB = 'service:deadline-sweep';

/**
 * The agency of the requesting party, where it follows its request in the
 * service (a partner's incoming request, seen through its status view); a
 * request the central authority recorded itself has no such reader.
 */
export function requesterOf(order: OrderRecord): string | undefined {
  return order.direction === 'incoming' && order.submittedByAgency !== order.ownerAgency
    ? order.submittedByAgency
    : undefined;
}

/** The agencies that handle the order: its owner, and the agency it was forwarded to. */
export function handlersOf(order: OrderRecord): string[] {
  return [order.ownerAgency, ...(order.executingAgency ? [order.executingAgency] : [])];
}

/** What one notice says: the order, by id and registry number, and what happened to it. */
function notice(
  recipientAgency: string,
  kind: string,
  orderId: string,
  payload: Record<string, unknown>,
  at: Date,
): NotificationRecord {
  return {
    id: randomUUID(),
    recipientAgency,
    recipientSub: null,
    kind,
    caseId: null,
    orderId,
    payload: { order: orderId, ...payload },
    createdAt: at,
  };
}

type Data = { readonly [key: string]: EntryValue | undefined };

/** Only the fields that are set (a notice's payload is JSON: no `undefined`). */
function present(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/**
 * The notices an order entry owes, to be written in the same commit as the
 * entry (legal-requirements rows 61, 68, 46):
 * - the requesting party learns of the receipt of its request and of every
 *   change of its status, with the reasons it is owed (UN Art. 40; Budapest
 *   Art. 27(7)), and that it was forwarded for execution, not to whom;
 * - the handlers (owner and executing agency) are alerted when a deadline
 *   passes (`order.overdue`, `order.minimum_reached`, and the sweep's moves
 *   into `overdue` or `expired`);
 * - the agency an order is forwarded to is told it now handles it;
 * - the authority an order is referred to is told of the referral (Budapest
 *   Art. 35(2)(b); UN Art. 41).
 * `order` is the order before the entry (undefined for its first entry).
 */
export function noticesOf(
  request: AppendRequest,
  order: OrderRecord | undefined,
  at: Date,
): NotificationRecord[] {
  const id = request.subject.id;
  const data = request.data as Data;
  if (request.type === 'order.received') {
    // Only a partner's own submission has a requester that reads it here.
    if (request.actor.role !== 'partner') return [];
    return [
      notice(
        request.actor.agency,
        'order.received',
        id,
        present({ registryNumber: data.registryNumber, status: data.status, missing: data.missing }),
        at,
      ),
    ];
  }
  if (!order) return [];
  const registryNumber = order.registryNumber;
  const requester = requesterOf(order);
  const toRequester = (kind: string, payload: Record<string, unknown>) =>
    requester ? [notice(requester, kind, id, { registryNumber, ...payload }, at)] : [];
  const toHandlers = (kind: string, payload: Record<string, unknown>) =>
    handlersOf(order).map((agency) => notice(agency, kind, id, { registryNumber, ...payload }, at));
  switch (request.type) {
    case 'order.transitioned': {
      const lapse =
        request.actor.sub === DEADLINE_SWEEPER_SUB
          ? toHandlers(`order.${String(data.to)}`, {
              status: data.to,
              deadline: order.deadlineAt?.toISOString(),
            })
          : [];
      return [
        ...toRequester(
          'order.status_changed',
          present({ from: data.from, status: data.to, reasonCode: data.reasonCode, reason: data.reason }),
        ),
        ...lapse,
      ];
    }
    case 'order.overdue':
    case 'order.minimum_reached':
      return toHandlers(request.type, {
        status: order.status,
        deadline: order.deadlineAt?.toISOString(),
        rule: order.deadlineRule,
      });
    case 'order.forwarded':
      return [
        ...toRequester('order.forwarded', { status: order.status }),
        notice(
          String(data.executingAgency),
          'order.assigned',
          id,
          present({ registryNumber, reason: data.reason }),
          at,
        ),
      ];
    case 'order.referred':
      return [
        notice(
          String(data.authority),
          'order.referred',
          id,
          present({
            registryNumber,
            kind: order.kind,
            direction: order.direction,
            requestingState: order.requestingState ?? undefined,
            requestedState: order.requestedState ?? undefined,
            referredBy: request.actor.agency,
            reason: data.reason,
          }),
          at,
        ),
      ];
    default:
      return [];
  }
}

/** A domain write and the notices that commit with it. */
interface Noticed {
  readonly inner: DomainWrite | undefined;
  readonly notices: readonly NotificationRecord[];
}

/**
 * The custody log of the order service: every order entry that owes a notice
 * (see `noticesOf`) gets it in the outbox in the same transaction as the
 * entry and its own domain write, so that a notice is never lost nor sent
 * for a change that did not commit.
 */
export class NoticingCustodyLog extends CustodyLog {
  private readonly noticed: DomainWriter<Noticed>;

  constructor(
    sequencer: Sequencer,
    receiptKey: () => ReceiptSigningKey,
    private readonly orders: OrderRepository,
    outbox: NotificationRepository,
    private readonly now: () => Date = () => new Date(),
  ) {
    super(sequencer, receiptKey);
    this.noticed = {
      writeAll: async (tx, values) => {
        // Each wrapped write runs with its own writer, grouped as the sequencer would have (one call per writer).
        const groups = new Map<DomainWriter<never>, unknown[]>();
        for (const { inner } of values) {
          if (inner) groups.set(inner.writer, [...(groups.get(inner.writer) ?? []), inner.value]);
        }
        for (const [writer, group] of groups) await writer.writeAll(tx, group as never[]);
        // After the order rows: a notice names its order.
        await outbox.writer.writeAll(
          tx,
          values.flatMap((value) => value.notices),
        );
      },
    };
  }

  override async record(request: AppendRequest): Promise<Recorded> {
    const [withNotices] = await this.withNotices([request]);
    return super.record(withNotices as AppendRequest);
  }

  override async recordAll(
    requests: readonly [AppendRequest, ...AppendRequest[]],
  ): Promise<[Recorded, ...Recorded[]]> {
    const withNotices = await this.withNotices(requests);
    return super.recordAll(withNotices as [AppendRequest, ...AppendRequest[]]);
  }

  private async withNotices(requests: readonly AppendRequest[]): Promise<AppendRequest[]> {
    const at = this.now();
    const orders = new Map<string, OrderRecord | undefined>();
    const out: AppendRequest[] = [];
    for (const request of requests) {
      if (request.subject.type !== 'order') {
        out.push(request);
        continue;
      }
      const id = request.subject.id;
      if (request.type !== 'order.received' && !orders.has(id)) orders.set(id, await this.orders.find(id));
      const notices = noticesOf(request, orders.get(id), at);
      out.push(
        notices.length === 0
          ? request
          : { ...request, write: domainWrite(this.noticed, { inner: request.write, notices }) },
      );
    }
    return out;
  }
}
