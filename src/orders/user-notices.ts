import { randomUUID } from 'node:crypto';
import { serviceRole } from '../access/permissions';
import type { Principal } from '../access/roles';
import type { UserNoticeRecord, UserNoticeRepository } from '../db/user-notice.repository';
import { LedgerError, NotFoundError, ValidationError } from '../errors';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { domainWrite } from '../log/domain-write';
import type { OrderService } from './order-service';

/**
 * Why the person concerned is not told, or not yet: the grounds of Directive
 * 2016/680 Art. 13(3)(a)-(e), which Reg. 2023/1543 Art. 13 applies to the
 * issuing authority's duty to inform, and the requesting state's own request
 * that the user not be notified (UN Art. 42(3)(g); Budapest Art. 29(2) read
 * with the requested state's confidentiality duty, Art. 16(3)).
 */
export const USER_NOTICE_GROUNDS = {
  OBSTRUCT_INQUIRIES: 'Dir. 2016/680 Art. 13(3)(a): avoid obstructing official inquiries or procedures',
  PREJUDICE_PROCEEDINGS:
    'Dir. 2016/680 Art. 13(3)(b): avoid prejudicing the prevention, detection, investigation or prosecution of offences',
  PUBLIC_SECURITY: 'Dir. 2016/680 Art. 13(3)(c): protect public security',
  NATIONAL_SECURITY: 'Dir. 2016/680 Art. 13(3)(d): protect national security',
  RIGHTS_OF_OTHERS: 'Dir. 2016/680 Art. 13(3)(e): protect the rights and freedoms of others',
  REQUESTER_ASKED: 'UN Art. 42(3)(g): the requesting state asked that the user not be notified',
} as const;

export type UserNoticeGround = keyof typeof USER_NOTICE_GROUNDS;
export const USER_NOTICE_DECISIONS = ['notified', 'deferred', 'not_notified'] as const;
export type UserNoticeDecision = (typeof USER_NOTICE_DECISIONS)[number];

export interface UserNoticeInput {
  readonly decision: UserNoticeDecision;
  readonly ground?: UserNoticeGround | undefined;
  readonly until?: Date | undefined;
  readonly reason: string;
}

/** How long a deferral may run before it must be decided again (Dir. 2016/680 Art. 13(3): "as long as"). */
const LONGEST_DEFERRAL_DAYS = 365;
const DAY = 86_400_000;

/**
 * The shape rules of a decision, pure: a deferral names its ground and a
 * future end within a year; not notifying names its ground; a notification
 * names none. A request that asked for the user not to be notified may not be
 * answered by notifying (409 CONDITION_FORBIDS).
 */
export function checkUserNotice(input: UserNoticeInput, at: Date, requesterForbids: boolean): void {
  const errors = [];
  if (input.decision === 'notified') {
    if (input.ground) errors.push({ pointer: '/ground', reason: 'not_for_notified' });
    if (input.until) errors.push({ pointer: '/until', reason: 'only_for_deferred' });
  } else {
    if (!input.ground) errors.push({ pointer: '/ground', reason: `required_for_${input.decision}` });
    if (input.decision === 'deferred') {
      if (!input.until) errors.push({ pointer: '/until', reason: 'required_for_deferred' });
      else if (input.until.getTime() <= at.getTime())
        errors.push({ pointer: '/until', reason: 'not_in_the_future' });
      else if (input.until.getTime() - at.getTime() > LONGEST_DEFERRAL_DAYS * DAY)
        errors.push({ pointer: '/until', reason: 'longer_than_a_year' });
    } else if (input.until) errors.push({ pointer: '/until', reason: 'only_for_deferred' });
  }
  if (errors.length > 0) throw new ValidationError(errors);
  if (input.decision === 'notified' && requesterForbids)
    throw new LedgerError('CONDITION_FORBIDS', 'The requesting state asked that the user not be notified');
}

/**
 * Decisions on telling the person whose data an order concerns, by the
 * order's handlers: each one an `order.user_notice` entry on the order's
 * chain, committed with its row. The latest decision stands; a deferral
 * whose date has passed shows as due for review.
 */
export class UserNotices {
  private readonly now: () => Date;

  constructor(
    private readonly orders: OrderService,
    private readonly notices: UserNoticeRepository,
    private readonly log: CustodyLog,
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  async record(
    principal: Principal,
    orderId: string,
    input: UserNoticeInput,
  ): Promise<Receipted<UserNoticeRecord>> {
    const order = await this.orders.get(principal, orderId);
    if (order.statusOnly || order.ownerAgency !== principal.agency) throw new NotFoundError('order');
    const role = serviceRole(principal, 'order.handle');
    const at = this.now();
    checkUserNotice(input, at, order.safeguards.noUserNotification === true);
    const notice: UserNoticeRecord = {
      id: randomUUID(),
      orderId: order.id,
      decision: input.decision,
      ground: input.ground ?? null,
      until: input.until ?? null,
      decidedAt: at,
      decidedBy: principal.sub,
    };
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.user_notice',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: {
        decision: notice.decision,
        ...(notice.ground ? { ground: notice.ground } : {}),
        ...(notice.until ? { until: notice.until.toISOString() } : {}),
        reason: input.reason,
      },
      write: domainWrite(this.notices.writer, notice),
    });
    return { value: notice, receipt };
  }

  /** The decision that stands for an order its caller handles, with whether a deferral is due for review. */
  async current(principal: Principal, orderId: string) {
    const order = await this.orders.get(principal, orderId);
    if (order.statusOnly) throw new NotFoundError('order');
    const latest = await this.notices.latest(order.id);
    if (!latest) return null;
    const reviewDue = latest.until !== null && latest.until.getTime() <= this.now().getTime();
    return { ...latest, reviewDue };
  }
}
