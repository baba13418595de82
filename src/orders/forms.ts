import { canAskForInformation, EXPEDITED_CHANNELS } from './content-check';
import {
  ART_40_15_CONTENTS,
  ART_40_15_WHERE_POSSIBLE,
  ART_42_CONTENTS,
  EPOC_CONTENTS,
  LANGUAGE_CONTENTS,
  PRODUCTION_CONTENTS,
  PRODUCTION_OPTIONAL,
} from './contents';
import { DIRECTIONS, type Direction, type OrderKind } from './lifecycle';

/** One field of a request form: its name in `POST /v1/orders`, whether it must be there, and the provision asking for it. */
export interface FormField {
  readonly name: string;
  readonly required: boolean;
  readonly source: string;
}

/**
 * What happens to a request of this kind and direction that lacks a required
 * field: it waits in `info_requested` for a supplement, it is refused (422,
 * each element named), or the service does not check (the other side asks
 * back, as for an EPOC certificate under Annex III).
 */
export type WhenLacking = 'info_requested' | 'refused' | 'not_checked';

export interface RequestForm {
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly whenLacking: WhenLacking;
  readonly fields: readonly FormField[];
}

const fields = (table: Readonly<Record<string, string>>, required: boolean): FormField[] =>
  Object.entries(table).map(([name, source]) => ({ name, required, source }));

/** What every request names, whatever its kind (api.md). */
const COMMON: readonly FormField[] = [
  { name: 'kind', required: true, source: 'api.md: the kind of order or request' },
  { name: 'direction', required: true, source: 'api.md: incoming, outgoing or domestic' },
  { name: 'legalBasis', required: true, source: 'api.md: the instrument and article acted under' },
  {
    name: 'requestingAuthority',
    required: true,
    source: 'UN 40(15)(a), 42(3)(a): the authority making the request',
  },
  { name: 'channel', required: true, source: 'UN 41, Bud 35: how the request was sent' },
  { name: 'urgency', required: false, source: 'UN 40(14), Bud 25(3): urgent requests by expedited means' },
  { name: 'requestedBy', required: false, source: 'practice: a date the requester asks for' },
];

/** The safeguards and conditions any request may carry (UN 40(19)-(20), 42(3)(g); Bud 27(8), 28). */
const SAFEGUARDS: readonly FormField[] = [
  {
    name: 'specialityConditions',
    required: false,
    source: 'UN 40(19), Bud 28(2)(b): use limited to the stated purpose',
  },
  {
    name: 'dataProtectionConditions',
    required: false,
    source: 'UN 36, Bud 28(2)(b): conditions on the data',
  },
  {
    name: 'onwardTransferAllowed',
    required: false,
    source: 'UN 40(19): passing the data on to a third state',
  },
];

/** Fields only a request sent ahead through an expedited channel, or an Art. 44 request, carries. */
const EXPEDITED: readonly FormField[] = [
  {
    name: 'formalConfirmationToFollow',
    required: false,
    source: `Bud 25(3), 27(9); UN 40(14): an urgent request through ${EXPEDITED_CHANNELS.join(', ')}, the formal request to follow`,
  },
];
const VULNERABLE: readonly FormField[] = [
  {
    name: 'dataVulnerable',
    required: false,
    source: 'UN 44(3), Bud 31(3): the data are vulnerable to loss or modification',
  },
  {
    name: 'vulnerabilityReason',
    required: false,
    source: 'UN 44(3), Bud 31(3): why (required with dataVulnerable)',
  },
];

function kindFields(kind: OrderKind, direction: Direction): FormField[] {
  const named = (table: Readonly<Record<string, string>>, required: boolean) =>
    fields(table, required).filter((field) => field.name !== 'requestingAuthority');
  switch (kind) {
    case 'preservation':
      return direction === 'domestic'
        ? [
            { name: 'dataToPreserve', required: false, source: 'UN 25(1), Bud 16(1): the specified data' },
            {
              name: 'custodian',
              required: false,
              source: 'UN 25(2), Bud 16(2): the person in possession or control',
            },
            { name: 'authorisingBody', required: false, source: 'UN 24, Bud 15: the authority ordering it' },
          ]
        : [
            ...named(ART_42_CONTENTS, true).map((field) =>
              field.name === 'custodian'
                ? { ...field, source: `${field.source} (or systemLocation)` }
                : field,
            ),
            {
              name: 'systemLocation',
              required: false,
              source: 'UN 42(3)(d): the location of the computer system',
            },
          ];
    case 'mla':
      return [...named(ART_40_15_CONTENTS, true), ...fields(ART_40_15_WHERE_POSSIBLE, false), ...VULNERABLE];
    case 'production':
      return [...fields(PRODUCTION_CONTENTS, true), ...fields(PRODUCTION_OPTIONAL, false)];
    case 'epoc':
    case 'epoc_pr':
      return named(EPOC_CONTENTS, true);
    case 'traffic_disclosure':
      return [
        { name: 'offence', required: false, source: 'UN 43(1), Bud 30: the offence the path is traced for' },
        { name: 'dataToPreserve', required: false, source: 'UN 43(1), Bud 30: the communication traced' },
      ];
    case 'assistance_24_7':
      return [
        {
          name: 'assistanceType',
          required: true,
          source: 'UN 41, Bud 35(1): technical advice, legal information, locating suspects, emergency data',
        },
        { name: 'factsSummary', required: false, source: 'UN 41, Bud 35(1): what the assistance is for' },
      ];
    case 'spontaneous_information':
      return [
        { name: 'factsSummary', required: false, source: 'UN 40(4), Bud 26(1): the information given' },
        { name: 'confidential', required: false, source: 'Bud 26(2): kept confidential' },
        { name: 'specialityConditions', required: false, source: 'Bud 26(2): used only under conditions' },
      ];
  }
}

/** Whether the service checks a request of `kind` in `direction` for its contents, and what it does when they lack. */
function whenLacking(kind: OrderKind, direction: Direction): WhenLacking {
  const checked =
    kind === 'production' || ((kind === 'preservation' || kind === 'mla') && direction !== 'domestic');
  if (!checked) return 'not_checked';
  return direction === 'incoming' && canAskForInformation(kind, direction) ? 'info_requested' : 'refused';
}

/**
 * The request forms of `kind`, one for each direction (legal-requirements row
 * 67): the fields a partner's or the console's form needs, each with the
 * provision that asks for it, built from the same tables the service checks
 * submissions against.
 */
export function requestForms(kind: OrderKind): RequestForm[] {
  return DIRECTIONS.map((direction) => ({
    kind,
    direction,
    whenLacking: whenLacking(kind, direction),
    fields: [
      ...COMMON,
      ...kindFields(kind, direction),
      ...(direction === 'domestic' ? [] : fields(LANGUAGE_CONTENTS, false)),
      ...(direction === 'domestic' ? [] : EXPEDITED),
      ...SAFEGUARDS,
    ],
  }));
}
