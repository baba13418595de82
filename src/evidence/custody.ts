import { CustodyTransitionError, ValidationError } from '../errors';

/** api.md: the custody events an item's chain records after its acquisition. */
export const CUSTODY_EVENT_TYPES = [
  'custody.transferred',
  'custody.received',
  'custody.sealed',
  'custody.unsealed',
  'custody.analysed',
  'custody.copied',
  'custody.released',
  'custody.returned',
  'custody.disposed',
  'integrity.verified',
  'integrity.failed',
  'hold.set',
  'hold.lifted',
] as const;

export type CustodyEventType = (typeof CUSTODY_EVENT_TYPES)[number];

export type CustodyStatus = 'in_custody' | 'in_transit' | 'released' | 'disposed';

export interface Party {
  readonly agency: string;
  readonly sub: string | null;
}

/** Where an item stands: a projection of its chain, changed only by `applyCustodyEvent`. */
export interface CustodyState {
  readonly status: CustodyStatus;
  /** Who holds the item (for `in_transit`: who sent it). */
  readonly holder: Party;
  /** The receiving side while `in_transit`. */
  readonly transferTo: Party | null;
  readonly sealed: boolean;
  readonly sealNumber: string | null;
  readonly onHold: boolean;
}

export interface CustodyEvent {
  readonly type: CustodyEventType;
  readonly purpose: string;
  readonly location?: string | undefined;
  readonly counterparty?: { readonly agency: string; readonly sub?: string | undefined } | undefined;
  readonly sealNumber?: string | undefined;
  readonly sealCondition?: string | undefined;
  readonly authorityRef?: string | undefined;
  readonly notes?: string | undefined;
}

/** Who records an event: the party that the custody rules compare with holder and receiver. */
export interface CustodyActor {
  readonly sub: string;
  readonly agency: string;
}

/**
 * The permission (access/permissions.ts) an event needs: acknowledging a
 * transfer, setting or lifting a hold, or handling the item.
 */
export function custodyAction(
  type: CustodyEventType,
): 'evidence.receive' | 'evidence.hold' | 'evidence.handle' {
  if (type === 'custody.received') return 'evidence.receive';
  return type.startsWith('hold.') ? 'evidence.hold' : 'evidence.handle';
}

/** The state of a freshly acquired item: held by whoever uploaded it. */
export function acquiredState(holder: Party, sealNumber: string | null): CustodyState {
  return {
    status: 'in_custody',
    holder,
    transferTo: null,
    sealed: sealNumber !== null,
    sealNumber,
    onHold: false,
  };
}

const isParty = (party: Party | null, actor: CustodyActor) =>
  party !== null && party.agency === actor.agency && (party.sub === null || party.sub === actor.sub);

/**
 * The custody rules, as a pure function from (state, event, actor) to the next
 * state. Throws CUSTODY_CLOSED after release or disposal, CUSTODY_TRANSITION_INVALID
 * for an event the state does not allow (or an actor who may not record it),
 * and VALIDATION_FAILED when the event lacks what its type requires.
 */
export function applyCustodyEvent(
  state: CustodyState,
  event: CustodyEvent,
  actor: CustodyActor,
): CustodyState {
  const refuse = (why: string): never => {
    throw new CustodyTransitionError('CUSTODY_TRANSITION_INVALID', why, state.status, event.type);
  };
  const require = (field: keyof CustodyEvent) => {
    if (event[field] === undefined)
      throw new ValidationError([{ pointer: `/${field}`, reason: 'required_for_type' }]);
  };
  if (state.status === 'released' || state.status === 'disposed') {
    throw new CustodyTransitionError(
      'CUSTODY_CLOSED',
      `the item was ${state.status}`,
      state.status,
      event.type,
    );
  }
  const heldByActor = state.status === 'in_custody' && isParty(state.holder, actor);
  const inHoldersAgency = state.status === 'in_custody' && state.holder.agency === actor.agency;

  switch (event.type) {
    case 'custody.transferred': {
      require('counterparty');
      if (!heldByActor) refuse('only the current holder can transfer the item');
      const to = event.counterparty as NonNullable<CustodyEvent['counterparty']>;
      return { ...state, status: 'in_transit', transferTo: { agency: to.agency, sub: to.sub ?? null } };
    }
    case 'custody.received':
      if (state.status !== 'in_transit' || !isParty(state.transferTo, actor)) {
        refuse('only the receiving side of a pending transfer can acknowledge it');
      }
      return {
        ...state,
        status: 'in_custody',
        holder: { agency: actor.agency, sub: actor.sub },
        transferTo: null,
      };
    case 'custody.sealed':
      require('sealNumber');
      if (!inHoldersAgency || state.sealed) refuse('only an unsealed item in custody can be sealed');
      return { ...state, sealed: true, sealNumber: event.sealNumber ?? null };
    case 'custody.unsealed':
      require('sealNumber');
      if (!inHoldersAgency || !state.sealed) refuse('only a sealed item in custody can be unsealed');
      if (event.sealNumber !== state.sealNumber) refuse('the seal number is not the one on the item');
      return { ...state, sealed: false };
    case 'custody.analysed':
    case 'custody.copied':
    case 'integrity.verified':
    case 'integrity.failed':
      if (!inHoldersAgency) refuse('the item must be in the custody of your agency');
      return state;
    case 'custody.released':
    case 'custody.returned':
      if (!heldByActor) refuse('only the current holder can release the item');
      if (state.onHold) refuse('the item is on hold');
      return { ...state, status: 'released' };
    case 'custody.disposed':
      require('authorityRef');
      if (!heldByActor) refuse('only the current holder can dispose of the item');
      if (state.onHold) refuse('the item is on hold');
      return { ...state, status: 'disposed' };
    case 'hold.set':
    case 'hold.lifted':
      if (state.holder.agency !== actor.agency) refuse('holds are set and lifted by the holding agency');
      if (state.onHold === (event.type === 'hold.set'))
        refuse(state.onHold ? 'already on hold' : 'not on hold');
      return { ...state, onHold: event.type === 'hold.set' };
  }
}
