import { SERVICE_PERMISSIONS, serviceAllows, serviceRole } from '../access/permissions';
import type { Principal } from '../access/roles';
import type { LogRepository } from '../db/log.repository';
import type { VisibleOrder } from '../db/order.repository';
import { ConflictError, type FieldError, ForbiddenRoleError, LedgerError, ValidationError } from '../errors';
import type { EntryValue } from '../ledger';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { type Direction, isFinal, type OrderKind } from './lifecycle';

/**
 * Consultation between the requested and the requesting side before a
 * refusal or postponement (legal-requirements row 35): the requested side
 * proposes what it could do instead (execute in part, under conditions,
 * later), the requester answers; both are entries on the order's chain, and
 * the requester reads them in its history.
 *
 * How the instruments read:
 * - UN Art. 40(26) [U] (as UNTOC Art. 18(26)): before refusing under
 *   Art. 40(21) or postponing under Art. 40(25), the requested State Party
 *   "shall consult" the requesting one. Enforced: an incoming UN MLA request
 *   is refused or postponed only after a consultation is on its chain.
 * - Budapest Art. 27(6) [P]: before refusing or postponing, the requested
 *   Party shall, "where appropriate after having consulted" the requesting
 *   Party, consider partial or conditional assistance. Consultation is then the
 *   handler's judgement: recorded when it happens, not required.
 * - Bilateral treaties say what they say; preservation and traffic disclosure
 *   (UN 42-43, Bud 29-30) are urgent and refer to the grounds, not to the
 *   consultation: recorded, not required.
 */

/** What the requested side may propose instead of refusing or postponing outright. */
export const PROPOSALS = [
  'partial_execution',
  'conditions',
  'postponement',
  'additional_information',
  'refusal',
] as const;

/** How the requesting side answers a proposal. */
export const ANSWERS = ['accepts', 'declines', 'counter_proposal'] as const;

export interface ConsultationInput {
  readonly proposes?: readonly (typeof PROPOSALS)[number][] | undefined;
  readonly answer?: (typeof ANSWERS)[number] | undefined;
  readonly conditions?: string | undefined;
  readonly message: string;
}

/** Moves that need a consultation first, by instrument and kind, for a request this state received. */
const CONSULT_BEFORE: Readonly<Record<string, Partial<Record<OrderKind, readonly string[]>>>> = {
  UNCC: { mla: ['refused', 'postponed'] },
};

/** A refusal or postponement the instrument allows only after consulting the requester. */
export class ConsultationRequiredError extends LedgerError {
  constructor(
    readonly kind: OrderKind,
    readonly to: string,
  ) {
    super('CONSULTATION_REQUIRED', `An ${kind} request is ${to} only after consulting the requesting state`);
  }
}

/**
 * Throws CONSULTATION_REQUIRED when the move needs a consultation (see
 * `CONSULT_BEFORE`) and the order's chain has none.
 */
export async function checkConsulted(
  order: ConsultedOrder,
  to: string,
  entries: LogRepository,
): Promise<void> {
  if (needsConsultation(order, to) && !(await hasConsulted(order, entries)))
    throw new ConsultationRequiredError(order.kind, to);
}

interface ConsultedOrder {
  readonly id: string;
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly legalBasis: { readonly instrument: string };
}

/** Whether the move is one the instrument allows only after consulting the requester (see `CONSULT_BEFORE`). */
export function needsConsultation(order: ConsultedOrder, to: string): boolean {
  const needs = CONSULT_BEFORE[order.legalBasis.instrument]?.[order.kind] ?? [];
  return order.direction === 'incoming' && needs.includes(to);
}

/** Whether the order's chain records a consultation. */
export async function hasConsulted(
  order: Pick<ConsultedOrder, 'id'>,
  entries: LogRepository,
): Promise<boolean> {
  const chain = await entries.chain('order', order.id);
  return chain.some((entry) => entry.type === 'order.consulted');
}

export interface ConsultationServiceOptions {
  /** The order as the caller may know it (404 outside its scope): the order service's `get`. */
  readonly order: (principal: Principal, id: string) => Promise<VisibleOrder>;
  /** Where the order's chain is read from. */
  readonly entries: LogRepository;
}

export class ConsultationService {
  constructor(
    private readonly log: CustodyLog,
    private readonly options: ConsultationServiceOptions,
  ) {}

  /**
   * Records one step of a consultation on an incoming request: the handling
   * side's proposal (`proposes`), or the requesting agency's answer
   * (`answer`) to a proposal already made.
   */
  async consult(
    principal: Principal,
    id: string,
    input: ConsultationInput,
  ): Promise<Receipted<{ order: VisibleOrder; side: 'requested' | 'requesting' }>> {
    const order = await this.options.order(principal, id);
    const requested = order.ownerAgency === principal.agency && serviceAllows(principal, 'order.handle');
    const requesting = !requested && order.submittedByAgency === principal.agency;
    if (!requested && !requesting) throw new ForbiddenRoleError(SERVICE_PERMISSIONS['order.handle']);
    const role = serviceRole(principal, requested ? 'order.handle' : 'order.request_move');
    if (order.direction !== 'incoming')
      throw new ValidationError([{ pointer: '/direction', reason: 'consulted_by_the_requested_state' }]);
    if (isFinal(order.kind, order.direction, order.status))
      throw new ConflictError('CONFLICT', 'the order is closed');
    const side = requested ? 'requested' : 'requesting';
    const [own, others] = requested ? (['proposes', 'answer'] as const) : (['answer', 'proposes'] as const);
    const errors: FieldError[] = [];
    if (input[own] === undefined)
      errors.push({ pointer: `/${own}`, reason: `required_for_the_${side}_side` });
    if (input[others] !== undefined)
      errors.push({
        pointer: `/${others}`,
        reason: `only_for_the_${requested ? 'requesting' : 'requested'}_side`,
      });
    if (errors.length > 0) throw new ValidationError(errors);
    if (requesting && !(await hasConsulted(order, this.options.entries)))
      throw new ConflictError('CONFLICT', 'no consultation to answer');
    const data: { [key: string]: EntryValue } = {
      side,
      status: order.status,
      ...(input.proposes ? { proposes: [...input.proposes] } : {}),
      ...(input.answer ? { answer: input.answer } : {}),
      ...(input.conditions ? { conditions: input.conditions } : {}),
      message: input.message,
    };
    const { receipt } = await this.log.record({
      subject: { type: 'order', id: order.id },
      type: 'order.consulted',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data,
    });
    return { value: { order, side }, receipt };
  }
}
