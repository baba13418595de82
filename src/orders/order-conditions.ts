import { randomUUID } from 'node:crypto';
import { SERVICE_PERMISSIONS, serviceAllows, serviceRole } from '../access/permissions';
import type { Principal } from '../access/roles';
import type { OrderRepository, VisibleOrder } from '../db/order.repository';
import type {
  CustodianAcknowledgement,
  OnwardAuthorisation,
  OrderAssignee,
  OrderConditionsRepository,
} from '../db/order-conditions.repository';
import { ForbiddenRoleError, ValidationError } from '../errors';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { domainWrite } from '../log/domain-write';
import type { OrderService } from './order-service';

export interface OnwardAuthorisationInput {
  readonly recipientAgency: string;
  readonly recipientState: string;
  readonly reference: string;
}

/**
 * Conditions that travel with the data of an order, and what is done under
 * them: each recorded as an entry on the order's chain, with its row in the
 * same commit. Scope is the order service's: an order the caller may not
 * know is 404.
 */
export class OrderConditionsService {
  constructor(
    private readonly orders: OrderService,
    /** Orders as stored, for the custodian a preservation order names, which is outside the order scope. */
    private readonly orderRows: OrderRepository,
    private readonly conditions: OrderConditionsRepository,
    private readonly log: CustodyLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Records the supplying state's prior authorisation of an onward transfer
   * of data that came in under our own request, to one named agency in one
   * named state (UN Art. 36(3)); a disclosure to exactly that recipient is then
   * allowed (reports/disclosures.ts). Only for our own (outgoing) requests, by
   * their handlers.
   */
  async authoriseOnward(
    principal: Principal,
    orderId: string,
    input: OnwardAuthorisationInput,
  ): Promise<Receipted<OnwardAuthorisation>> {
    const order = await this.orders.get(principal, orderId);
    const role = handlerRole(principal, order);
    if (order.direction !== 'outgoing')
      throw new ValidationError([{ pointer: '', reason: 'only_for_our_own_requests' }]);
    const authorisation: OnwardAuthorisation = {
      id: randomUUID(),
      orderId: order.id,
      recipientAgency: input.recipientAgency,
      recipientState: input.recipientState,
      reference: input.reference,
      recordedBy: principal.sub,
      recordedAt: this.now(),
    };
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.onward_authorised',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: {
        authorisation: authorisation.id,
        recipientAgency: authorisation.recipientAgency,
        recipientState: authorisation.recipientState,
        reference: authorisation.reference,
      },
      write: domainWrite(this.conditions.onwardWriter, authorisation),
    });
    return { value: authorisation, receipt };
  }

  /**
   * Assigns a handler of the owning agency to the order (domain.md §5
   * `assigned_officer`). For a confidential request, only its recorder and
   * its assignees among the agency's handlers know of it (Budapest Art.
   * 27(8); the rule itself is the order scope, db/order.repository.ts): a
   * handler who knows of the order brings in the next one.
   */
  async assign(principal: Principal, orderId: string, sub: string): Promise<Receipted<OrderAssignee>> {
    const order = await this.orders.get(principal, orderId);
    const role = handlerRole(principal, order);
    const assignee: OrderAssignee = {
      orderId: order.id,
      sub,
      assignedBy: principal.sub,
      assignedAt: this.now(),
    };
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.assigned',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: { assignee: { sub, agency: order.ownerAgency } },
      write: domainWrite(this.conditions.assigneeWriter, assignee),
    });
    return { value: assignee, receipt };
  }

  /**
   * The custodian named by a preservation order acknowledges its duty to keep
   * the preservation confidential until the end of the period the order
   * states (UN Art. 25(3); Budapest Art. 16(3)): an entry on the order's
   * chain, once. The custodian acts under its own agency code in the
   * `custodian` role and knows of the order only through being named in it;
   * anyone else who knows of the order is refused (403), and the rest get 404.
   */
  async acknowledgeDuty(
    principal: Principal,
    orderId: string,
    confidentialUntil: Date,
  ): Promise<Receipted<CustodianAcknowledgement>> {
    const order = await this.orderRows.find(orderId);
    const named =
      order !== undefined &&
      typeof order.safeguards.confidentialUntil === 'string' &&
      order.safeguards.custodianAgency === principal.agency &&
      serviceAllows(principal, 'order.acknowledge_duty');
    if (!order || !named) {
      await this.orders.get(principal, orderId);
      throw new ForbiddenRoleError(SERVICE_PERMISSIONS['order.acknowledge_duty']);
    }
    const ordered = new Date(order.safeguards.confidentialUntil as string);
    if (ordered.getTime() !== confidentialUntil.getTime())
      throw new ValidationError([{ pointer: '/confidentialUntil', reason: 'not_the_period_ordered' }]);
    const acknowledgement: CustodianAcknowledgement = {
      orderId: order.id,
      custodianAgency: principal.agency,
      confidentialUntil: ordered,
      acknowledgedBy: principal.sub,
      acknowledgedAt: this.now(),
    };
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.custodian_acknowledged',
      actor: {
        sub: principal.sub,
        agency: principal.agency,
        role: serviceRole(principal, 'order.acknowledge_duty'),
      },
      data: { custodianAgency: principal.agency, confidentialUntil: ordered.toISOString() },
      write: domainWrite(this.conditions.acknowledgementWriter, acknowledgement),
    });
    return { value: acknowledgement, receipt };
  }

  async onwardAuthorisations(principal: Principal, orderId: string): Promise<OnwardAuthorisation[]> {
    const order = await this.orders.get(principal, orderId);
    if (order.statusOnly) handlerRole(principal, order);
    return this.conditions.onwardAuthorisationsOf([order.id]);
  }
}

/** The role in which the caller handles the order: of its owning agency, with `order.handle`; 403 otherwise. */
function handlerRole(principal: Principal, order: VisibleOrder) {
  if (order.statusOnly || order.ownerAgency !== principal.agency)
    throw new ForbiddenRoleError(SERVICE_PERMISSIONS['order.handle']);
  return serviceRole(principal, 'order.handle');
}
