import { SERVICE_PERMISSIONS, serviceRole } from '../access/permissions';
import type { Principal } from '../access/roles';
import type { CentralAuthorityRepository, OrderStatistics } from '../db/central-authority.repository';
import type {
  NotificationPosition,
  NotificationRepository,
  StoredNotification,
} from '../db/notification.repository';
import type { VisibleOrder } from '../db/order.repository';
import { ForbiddenRoleError, LedgerError, NotFoundError, ValidationError } from '../errors';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { type DomainWriter, domainWrite } from '../log/domain-write';
import { nextStates } from './lifecycle';
import type { OrderService } from './order-service';

/**
 * The states that answer a request or order (an order to preserve, a
 * refusal, an execution, an answer ...): a response time runs from receipt
 * to the first of them (legal-requirements row 69).
 */
export const DECISION_STATES: readonly string[] = [
  'ordered',
  'refused',
  'accepted',
  'postponed',
  'executed',
  'partially_executed',
  'disclosed',
  'produced',
  'objected',
  'preserved',
  'impossible',
  'refused_by_enforcing',
  'answered',
  'acknowledged',
  'conditions_declined',
];

export interface CentralAuthorityOptions {
  /**
   * The authorities an order may be referred to, the first the default: in
   * Azerbaijan the Ministry of Justice, for extradition and provisional
   * arrest (UN Arts 37, 41; Budapest Art. 35(2)(b)).
   */
  readonly referralAuthorities: readonly [string, ...string[]];
  readonly now?: () => Date;
}

/**
 * The central authority's tools beside an order's own moves: it forwards a
 * request to the competent authority that executes it (UN Art. 40(13)),
 * refers it to the extradition authority (Budapest Art. 35(2)(b); UN Art.
 * 41), and reviews its figures (UN Art. 57). Each change is an entry on the
 * order's chain, with the notices it owes in the same commit (see
 * `NoticingCustodyLog`).
 */
export class CentralAuthority {
  private readonly forwardings: DomainWriter<{ id: string; executingAgency: string }>;
  private readonly now: () => Date;

  constructor(
    private readonly orders: OrderService,
    private readonly queries: CentralAuthorityRepository,
    private readonly notifications: NotificationRepository,
    private readonly log: CustodyLog,
    private readonly options: CentralAuthorityOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.forwardings = {
      writeAll: async (tx, forwardings) => {
        for (const forwarding of forwardings) await this.queries.forward(tx, forwarding);
      },
    };
  }

  /**
   * Forwards the order to `executingAgency` for execution: it then handles the
   * order beside the owner, which keeps it (it stays the requester's
   * counterpart and keeps its registry number). Only the owner's handlers
   * forward, and only an order with something left to do. The requester
   * learns that its request was forwarded, not to whom: who executes a
   * request is the requested state's own arrangement, and the requester
   * keeps dealing with the central authority.
   */
  async forward(
    principal: Principal,
    id: string,
    input: { executingAgency: string; reason?: string | undefined },
  ): Promise<Receipted<VisibleOrder>> {
    const order = await this.orders.get(principal, id);
    if (order.ownerAgency !== principal.agency)
      throw new ForbiddenRoleError(SERVICE_PERMISSIONS['order.handle']);
    const role = serviceRole(principal, 'order.handle');
    if (input.executingAgency === order.ownerAgency || input.executingAgency === order.executingAgency)
      throw new ValidationError([{ pointer: '/executingAgency', reason: 'handles_the_order_already' }]);
    // The requesting party does not execute its own request: it would read the handling side's chain.
    if (input.executingAgency === order.submittedByAgency)
      throw new ValidationError([{ pointer: '/executingAgency', reason: 'is_the_requester' }]);
    if (!nextStates(order.kind, order.direction, order.status).some((state) => state !== 'closed'))
      throw new LedgerError('ORDER_ENDED', `The order is ${order.status}: nothing is left to execute`);
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.forwarded',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: {
        executingAgency: input.executingAgency,
        ...(order.executingAgency ? { previousAgency: order.executingAgency } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
      },
      write: domainWrite(this.forwardings, { id: order.id, executingAgency: input.executingAgency }),
    });
    return { value: { ...order, executingAgency: input.executingAgency }, receipt };
  }

  /**
   * Refers the order to the extradition authority (by default the first
   * configured): an `order.referred` entry, and a notice to that authority in
   * the same commit. Extradition itself is not handled here.
   */
  async refer(
    principal: Principal,
    id: string,
    input: { authority?: string | undefined; reason: string },
  ): Promise<Receipted<VisibleOrder> & { authority: string }> {
    const order = await this.orders.get(principal, id);
    const handles = order.ownerAgency === principal.agency || order.executingAgency === principal.agency;
    if (!handles || order.statusOnly) throw new ForbiddenRoleError(SERVICE_PERMISSIONS['order.handle']);
    const role = serviceRole(principal, 'order.handle');
    const authorities = this.options.referralAuthorities;
    const authority = input.authority ?? authorities[0];
    if (!authorities.includes(authority))
      throw new ValidationError([
        { pointer: '/authority', reason: 'not_a_referral_authority', allowed: authorities },
      ]);
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.referred',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: { authority, reason: input.reason },
    });
    return { value: order, receipt, authority };
  }

  /**
   * The figures of the orders the caller's agency handles (as owner or as the
   * agency an order was forwarded to), received in [from, to): for its
   * handlers and auditors only (need-to-know: nothing of other agencies').
   */
  statistics(
    principal: Principal,
    range: { from?: Date | undefined; to?: Date | undefined },
  ): Promise<OrderStatistics> {
    serviceRole(principal, 'order.statistics');
    return this.queries.statistics(principal.agency, range, DECISION_STATES);
  }

  /** The notifications addressed to the caller's agency (or to the caller), newest first. */
  notificationsOf(
    principal: Principal,
    limit: number,
    after?: NotificationPosition,
    orderId?: string,
  ): Promise<StoredNotification[]> {
    serviceRole(principal, 'notification.read');
    return this.notifications.listFor(principal, limit, after, orderId);
  }

  /** Acknowledges one of the caller's notifications (404 for anyone else's). */
  async acknowledge(principal: Principal, id: string): Promise<StoredNotification> {
    serviceRole(principal, 'notification.read');
    const acknowledged = await this.notifications.acknowledge(principal, id, this.now());
    if (!acknowledged) throw new NotFoundError('notification');
    return acknowledged;
  }
}
