import type { FieldError } from '../errors';
import type { EntryValue } from '../ledger';
import type { EuRole, LegalSettings } from './legal-settings';
import type { Direction, OrderKind } from './lifecycle';
import { partiesTo } from './states-parties';

/**
 * Which legal bases fit which kind of order in which direction (legal-requirements
 * row 64), which states may ask and be asked, where the EU instruments apply
 * (row 57), and which domestic orders need their authorising body (row 27).
 */

/** An instrument and the articles of it that fit (none listed: any article, as a treaty or domestic law numbers them). */
interface Basis {
  readonly instrument: string;
  readonly articles?: readonly string[];
}

/** Between states: a request under a Convention's cooperation chapter, a bilateral treaty, or the EU Regulation. */
const INTERNATIONAL: Readonly<Record<OrderKind, readonly Basis[]>> = {
  preservation: [
    { instrument: 'UNCC', articles: ['42'] },
    { instrument: 'BUDAPEST', articles: ['29'] },
    { instrument: 'MLAT' },
  ],
  traffic_disclosure: [
    { instrument: 'UNCC', articles: ['43'] },
    { instrument: 'BUDAPEST', articles: ['30'] },
    { instrument: 'MLAT' },
  ],
  // A production order is a domestic measure; another state asks for production by an MLA request.
  production: [],
  mla: [
    { instrument: 'UNCC', articles: ['40', '44'] },
    { instrument: 'BUDAPEST', articles: ['25', '27', '31'] },
    { instrument: 'MLAT' },
  ],
  // Issuing (Arts 4-6), notifying (8), executing (10-11) and refusing (12).
  epoc: [{ instrument: 'EU_2023_1543', articles: ['4', '5', '8', '10', '12'] }],
  epoc_pr: [{ instrument: 'EU_2023_1543', articles: ['4', '6', '11'] }],
  // The 24/7 point's functions (UN 41 [U]; Budapest 35(1)) and spontaneous information (UN 40(4) [U]; Budapest 26).
  assistance_24_7: [
    { instrument: 'UNCC', articles: ['41'] },
    { instrument: 'BUDAPEST', articles: ['35'] },
    { instrument: 'MLAT' },
  ],
  spontaneous_information: [
    { instrument: 'UNCC', articles: ['40'] },
    { instrument: 'BUDAPEST', articles: ['26'] },
    { instrument: 'MLAT' },
  ],
};

/** Within the state: domestic law, or the Convention article it implements (UN 25-27 [U]; Budapest 16-18 [P]). */
const DOMESTIC: Readonly<Record<OrderKind, readonly Basis[]>> = {
  preservation: [
    { instrument: 'DOMESTIC' },
    { instrument: 'UNCC', articles: ['25'] },
    { instrument: 'BUDAPEST', articles: ['16'] },
  ],
  traffic_disclosure: [
    { instrument: 'DOMESTIC' },
    { instrument: 'UNCC', articles: ['26'] },
    { instrument: 'BUDAPEST', articles: ['17'] },
  ],
  production: [
    { instrument: 'DOMESTIC' },
    { instrument: 'UNCC', articles: ['27'] },
    { instrument: 'BUDAPEST', articles: ['18'] },
  ],
  mla: [],
  epoc: [],
  epoc_pr: [],
  assistance_24_7: [],
  spontaneous_information: [],
};

/** The legal bases an order of `kind` in `direction` may cite. */
export function basesFor(kind: OrderKind, direction: Direction): readonly Basis[] {
  return (direction === 'domestic' ? DOMESTIC : INTERNATIONAL)[kind];
}

/** The EU roles that receive (incoming) or issue (outgoing) an EPOC or EPOC-PR (Reg. Arts 1, 3, 7; Dir. 2023/1544). */
const EU_ROLES_FOR: Readonly<Record<'incoming' | 'outgoing', readonly EuRole[]>> = {
  incoming: ['enforcing_authority', 'service_provider', 'legal_representative'],
  outgoing: ['issuing_authority'],
};

export interface SubmittedOrder {
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly legalBasis: { readonly instrument: string; readonly article?: string | undefined };
  readonly requestingState?: string | undefined;
  readonly requestedState?: string | undefined;
  readonly safeguards: Readonly<Record<string, EntryValue>>;
}

/** Every way `order` does not fit the law as configured, as field errors (none: it fits). */
export function legalBasisErrors(order: SubmittedOrder, settings: LegalSettings): FieldError[] {
  return [
    ...basisErrors(order),
    ...stateErrors(order, settings),
    ...euErrors(order, settings),
    ...authorisationErrors(order, settings),
  ];
}

function basisErrors({ kind, direction, legalBasis }: SubmittedOrder): FieldError[] {
  const bases = basesFor(kind, direction);
  if (bases.length === 0) {
    const fitting = (['incoming', 'outgoing', 'domestic'] as const).filter(
      (d) => basesFor(kind, d).length > 0,
    );
    return [{ pointer: '/direction', reason: `no_${direction}_${kind}`, allowed: fitting }];
  }
  const basis = bases.find((b) => b.instrument === legalBasis.instrument);
  if (!basis) {
    return [
      {
        pointer: '/legalBasis/instrument',
        reason: `not_a_basis_for_${direction === 'domestic' ? 'domestic' : 'international'}_${kind}`,
        allowed: bases.map((b) => b.instrument),
      },
    ];
  }
  // The article's number decides ("42", "42(3)", "Art. 29"); none given: the instrument alone.
  const number = legalBasis.article === undefined ? undefined : /\d+/.exec(legalBasis.article)?.[0];
  if (basis.articles && legalBasis.article !== undefined && !basis.articles.includes(number ?? '')) {
    return [
      { pointer: '/legalBasis/article', reason: `not_an_article_for_${kind}`, allowed: basis.articles },
    ];
  }
  return [];
}

/**
 * Who asks whom: an incoming request comes from another state to this one, an
 * outgoing request goes from this state to another, a domestic order names no
 * other state; and the other state is a party to the instrument cited, where
 * the register knows its parties (states-parties.ts). Under the EU Regulation
 * the issuing state must be bound by it; the provider may be anywhere.
 */
function stateErrors(order: SubmittedOrder, settings: LegalSettings): FieldError[] {
  const { direction, requestingState, requestedState, legalBasis } = order;
  const here = settings.thisState;
  const errors: FieldError[] = [];
  const own = (pointer: string, state: string | undefined) => {
    if (state !== undefined && state !== here) errors.push({ pointer, reason: 'not_this_state' });
  };
  const other = (pointer: string, state: string | undefined) => {
    if (state === undefined) errors.push({ pointer, reason: `required_for_${direction}` });
    else if (state === here) errors.push({ pointer, reason: 'is_this_state' });
  };
  if (direction === 'incoming') {
    other('/requestingState', requestingState);
    own('/requestedState', requestedState);
  } else if (direction === 'outgoing') {
    other('/requestedState', requestedState);
    own('/requestingState', requestingState);
  } else {
    own('/requestingState', requestingState);
    own('/requestedState', requestedState);
  }
  if (errors.length > 0 || direction === 'domestic') return errors;
  const parties = partiesTo(legalBasis.instrument, settings.uncParties);
  if (!parties) return errors;
  const eu = legalBasis.instrument === 'EU_2023_1543';
  const [pointer, foreign] =
    direction === 'incoming' ? ['/requestingState', requestingState] : ['/requestedState', requestedState];
  const notParty = `not_a_party_to_${legalBasis.instrument.toLowerCase()}`;
  if (!(eu && direction === 'outgoing') && foreign && !parties.includes(foreign))
    errors.push({ pointer, reason: notParty });
  // This state cannot rest a request on an instrument it is not bound by (EU roles are checked apart).
  if (!eu && !parties.includes(here))
    errors.push({ pointer: '/legalBasis/instrument', reason: `this_state_${notParty}` });
  return errors;
}

/**
 * The Regulation binds EU issuing and enforcing authorities and the providers
 * (or legal representatives) that receive their orders; a deployment that
 * plays none of those roles neither receives nor issues an EPOC or EPOC-PR
 * (Reg. Arts 1, 3, 7; Dir. 2023/1544), whatever else it does.
 */
function euErrors({ kind, direction }: SubmittedOrder, settings: LegalSettings): FieldError[] {
  if ((kind !== 'epoc' && kind !== 'epoc_pr') || direction === 'domestic') return [];
  const roles = EU_ROLES_FOR[direction];
  return settings.euRoles.some((role) => roles.includes(role))
    ? []
    : [{ pointer: '/kind', reason: 'eu_instrument_not_applicable', allowed: roles }];
}

/**
 * A domestic order the law lets issue only on a judicial or other independent
 * authority's decision names that authority and its decision (UN Art. 24 [U];
 * Budapest Art. 15(2) [P]).
 */
function authorisationErrors(
  { kind, direction, safeguards }: SubmittedOrder,
  settings: LegalSettings,
): FieldError[] {
  if (direction !== 'domestic' || !(settings.authorisationRequired as readonly string[]).includes(kind))
    return [];
  return (['authorisingBody', 'authorisingReference'] as const)
    .filter((field) => typeof safeguards[field] !== 'string')
    .map((field) => ({ pointer: `/${field}`, reason: 'required_by_domestic_law' }));
}
