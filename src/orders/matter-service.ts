import { SERVICE_PERMISSIONS, serviceAllows, serviceRole } from '../access/permissions';
import type { Principal } from '../access/roles';
import type { OrderRecord, OrderRepository, OrderScope, VisibleOrder } from '../db/order.repository';
import { ForbiddenRoleError, NotFoundError, ValidationError } from '../errors';
import type { Actor, EntryValue } from '../ledger';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { type DomainWriter, domainWrite, inLockOrder } from '../log/domain-write';
import type { AppendRequest } from '../log/sequencer';
import { lapseOf, OrderTransitionError } from './lifecycle';
import {
  type ExecutionStanding,
  executionStanding,
  HOLDS_DATA,
  inForce,
  type Relation,
  relationProblems,
} from './matter';

/** One provider on the path of a communication, and what of its traffic data was disclosed (UN 26(a)-(b); Bud 17(1)). */
export interface TrafficHop {
  readonly provider: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  readonly from?: string | undefined;
  readonly until?: string | undefined;
  readonly fields: readonly string[];
}

/**
 * A partial disclosure of preserved traffic data: enough to identify the
 * providers and the path, through one provider or several, and never content
 * or subscriber data (UN 43(1), 26; Bud 30(1), 17(1)).
 */
export interface TrafficDisclosureInput {
  readonly hops: readonly TrafficHop[];
  readonly contentDisclosed: false;
  readonly subscriberDisclosed: false;
}

/** A disclosure as its entry records it: the fields given, each hop's window only where stated. */
export function trafficDisclosureJson(disclosure: {
  readonly fields?: readonly string[];
  readonly nextHopProvider?: string | undefined;
  readonly nextHopCountry?: string | undefined;
  readonly hops?: readonly TrafficHop[] | undefined;
  readonly contentDisclosed: false;
  readonly subscriberDisclosed: false;
}): { [key: string]: EntryValue } {
  return {
    ...(disclosure.fields ? { fields: [...disclosure.fields] } : {}),
    ...(disclosure.nextHopProvider ? { nextHopProvider: disclosure.nextHopProvider } : {}),
    ...(disclosure.nextHopCountry ? { nextHopCountry: disclosure.nextHopCountry } : {}),
    ...(disclosure.hops
      ? {
          hopCount: disclosure.hops.length,
          hops: disclosure.hops.map((hop) => ({
            provider: hop.provider,
            country: hop.country,
            ...(hop.from ? { from: hop.from } : {}),
            ...(hop.until ? { until: hop.until } : {}),
            fields: [...hop.fields],
          })),
        }
      : {}),
    contentDisclosed: false,
    subscriberDisclosed: false,
  };
}

/** An order of a matter, and for an international preservation where its domestic execution stands. */
export interface MatterOrder {
  readonly order: VisibleOrder;
  readonly execution?: (ExecutionStanding & { readonly executedBy: readonly string[] }) | undefined;
}

/**
 * States of a preservation order in which data are preserved, so that traffic
 * data can be disclosed from them: an incoming request executed here
 * (UN 43(1); Bud 30(1)), or a domestic order (UN 26(b); Bud 17(1)(b)).
 */
const DISCLOSES_FROM: Readonly<Record<'incoming' | 'domestic', readonly string[]>> = {
  incoming: ['preserved', 'extension_requested', 'extended', 'pending_mla_decision'],
  domestic: ['preserved', 'extension_requested', 'extended'],
};

/** The most orders one matter lists. */
const MATTER_LIMIT = 200;

export interface OrderMatterOptions {
  readonly scopeOf: (principal: Principal) => OrderScope;
  readonly get: (principal: Principal, id: string) => Promise<VisibleOrder>;
  readonly now: () => Date;
}

/**
 * The orders of one matter (UN 42(1), 43, 44(1); Bud 29-31): the order each
 * follows from, checked when it is registered; the matter as each caller may
 * see it; the domestic orders that execute an international preservation and
 * whether their term still covers it; and partial disclosures of traffic
 * data, an action on a preservation order that holds data.
 */
export class OrderMatters {
  /** A disclosure commits only if its order is still in the state it was disclosed from. */
  private readonly disclosures: DomainWriter<{ id: string; status: string }> = {
    writeAll: async (tx, checks) => {
      for (const check of inLockOrder(checks, (c) => c.id)) {
        const locked = await this.orders.lock(tx, check.id);
        if (!locked) throw new NotFoundError('order');
        if (locked.status !== check.status)
          throw new OrderTransitionError(
            locked.kind,
            locked.direction,
            locked.status,
            'traffic_disclosed',
            'it moved on',
          );
      }
    },
  };

  constructor(
    private readonly orders: OrderRepository,
    private readonly log: CustodyLog,
    private readonly options: OrderMatterOptions,
  ) {}

  /**
   * The order a new order follows from, checked: one the caller handles
   * (otherwise `unknown_order`, as for the MLA request holding a
   * preservation), owned by the same agency, and a plausible relation for the
   * two kinds and directions (matter.ts). A partner may name only its own
   * earlier request, which it sees in the status view, as the one its new
   * request `follows` (an MLA request after its preservation request, UN 42(3)(f)).
   */
  async related(
    principal: Principal,
    partner: boolean,
    link: { readonly orderId: string; readonly relation: Relation },
    order: Pick<OrderRecord, 'kind' | 'direction' | 'requestingState' | 'requestedState' | 'ownerAgency'>,
  ): Promise<VisibleOrder> {
    const related = await this.orders.findVisible(link.orderId, this.options.scopeOf(principal));
    const ownRequest =
      partner && link.relation === 'follows' && related?.submittedByAgency === principal.agency;
    if (!related || (related.statusOnly && !ownRequest) || related.ownerAgency !== order.ownerAgency)
      throw new ValidationError([{ pointer: '/relatedOrderId', reason: 'unknown_order' }]);
    const problems = relationProblems(related, order, link.relation);
    if (problems.length > 0) throw new ValidationError(problems);
    return related;
  }

  /**
   * The matter of an order the caller may see: the orders of it the caller
   * may see, whole or as status views (the requesting side sees only its own
   * requests, where they stand). For each international preservation the
   * caller handles, where its domestic execution stands (row 13).
   */
  async matter(principal: Principal, id: string): Promise<MatterOrder[]> {
    const order = await this.options.get(principal, id);
    const found = await this.orders.matterVisible(order.id, this.options.scopeOf(principal), MATTER_LIMIT);
    const now = this.options.now();
    return Promise.all(
      found.map(async (member) => {
        if (member.statusOnly || member.kind !== 'preservation' || member.direction !== 'incoming')
          return { order: member };
        const executing = await this.orders.executing(member.id);
        return {
          order: member,
          execution: {
            ...executionStanding(member, executing, now),
            executedBy: executing.map((o) => o.id),
          },
        };
      }),
    );
  }

  /**
   * Records a partial disclosure of traffic data on the order's chain: by its
   * handlers only, from a preservation order that holds data (otherwise 409
   * ORDER_TRANSITION_INVALID, `to` naming the action). What was disclosed is
   * given to the requesting party (UN 43(1); Bud 30(1)): the hops are owed to
   * it (access/disclosure-scope.ts); for a domestic order it goes to the
   * competent authority that asked (UN 26(b); Bud 17(1)(b)).
   */
  async discloseTraffic(
    principal: Principal,
    id: string,
    input: TrafficDisclosureInput,
  ): Promise<Receipted<VisibleOrder>> {
    const order = await this.options.get(principal, id);
    if (order.ownerAgency !== principal.agency || !serviceAllows(principal, 'order.handle'))
      throw new ForbiddenRoleError(SERVICE_PERMISSIONS['order.handle']);
    const role = serviceRole(principal, 'order.handle');
    const from =
      order.kind === 'preservation' && order.direction !== 'outgoing' ? DISCLOSES_FROM[order.direction] : [];
    if (!from.includes(order.status))
      throw new OrderTransitionError(
        order.kind,
        order.direction,
        order.status,
        'traffic_disclosed',
        'no data are preserved under it here',
      );
    // A domestic order whose term has ended no longer preserves anything, swept or not.
    const now = this.options.now();
    if (
      lapseOf(order.kind, order.direction, order.status) === 'expires' &&
      order.deadlineAt !== null &&
      order.deadlineAt.getTime() <= now.getTime()
    )
      throw new OrderTransitionError(
        order.kind,
        order.direction,
        order.status,
        'traffic_disclosed',
        'its term has ended',
      );
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.traffic_disclosed',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: {
        ...trafficDisclosureJson(input),
        recipient: {
          authority: order.requestingAuthority,
          ...(order.requestingState ? { state: order.requestingState } : {}),
        },
      },
      write: domainWrite(this.disclosures, { id: order.id, status: order.status }),
    });
    return { value: order, receipt };
  }

  /**
   * When a domestic preservation order that executes an international
   * preservation still holding data leaves force (`from` a state in force:
   * its term ends in the sweep, or a human lifts or withdraws it), and no
   * other executing order is in force, the international order's chain says
   * so (`order.execution_lapsed`), in the same batch as that change: the
   * central authority must order preservation again or release the data
   * (row 13). None otherwise. Two executing orders ending at the same moment
   * may each see the other still in force; the matter view shows the lapse
   * either way.
   */
  async executionLapses(ended: OrderRecord, from: string, actor: Actor, at: Date): Promise<AppendRequest[]> {
    const leftForce = inForce(from) && !inForce(ended.status);
    if (ended.relation !== 'executes' || !ended.relatedOrderId || !leftForce) return [];
    if (ended.kind !== 'preservation' || ended.direction !== 'domestic') return [];
    const international = await this.orders.find(ended.relatedOrderId);
    if (!international || !HOLDS_DATA.includes(international.status)) return [];
    const executing = (await this.orders.executing(international.id)).map((o) =>
      o.id === ended.id ? ended : o,
    );
    if (executionStanding(international, executing, at).standing !== 'lapsed') return [];
    const data: Record<string, EntryValue> = {
      status: international.status,
      executingOrder: ended.id,
      registryNumber: ended.registryNumber,
    };
    return [
      { subject: { type: 'order', id: international.id }, type: 'order.execution_lapsed', actor, data },
    ];
  }
}
