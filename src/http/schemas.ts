import { z } from 'zod';
import { DISCLOSABLE_FACTS } from '../access/disclosure-scope';
import { AGENCY_CODE, ROLES } from '../access/roles';
import { CUSTODY_EVENT_TYPES } from '../evidence/custody';
import { ANSWERS, PROPOSALS } from '../orders/consultations';
import { DATA_CATEGORIES, PRODUCTION_ADDRESSEES } from '../orders/contents';
import { EVENT_TIME_SOURCES } from '../orders/event-time';
import { OFFENCE_CATEGORY_CODES } from '../orders/grounds';
import { ASSISTANCE_TYPES, DIRECTIONS, ORDER_KINDS, ORDER_STATUSES } from '../orders/lifecycle';
import { RELATIONS } from '../orders/matter';
import { USER_NOTICE_DECISIONS, USER_NOTICE_GROUNDS, type UserNoticeGround } from '../orders/user-notices';

/** Request and query schemas. Objects are strict: an unknown field is an error, not silently dropped. */

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => value.trim().length > 0, { message: 'must not be blank' });

export const openCaseBody = z.strictObject({
  reference: text(128),
  title: text(500),
  legalBasis: text(500).optional(),
});

/** A membership: a subject together with its agency, or (without `sub`) the whole agency. */
export const grantBody = z.strictObject({
  agency: z.string().regex(AGENCY_CODE),
  sub: z.string().min(1).max(255).optional(),
  role: z.enum(ROLES).exclude(['admin', 'partner']),
  until: z.iso.datetime({ offset: true }).optional(),
  content: z.boolean().optional(),
});

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

/** `GET /v1/cases`: a page of the caller's cases, optionally those whose reference or title contains `q`. */
export const caseListQuery = listQuery.extend({ q: text(200).optional() });

/** `GET /v1/disclosures`: received by the caller's agency, sent from the caller's cases, or both; of one case. */
export const disclosureListQuery = listQuery.extend({
  direction: z.enum(['received', 'sent']).optional(),
  caseId: z.uuid().optional(),
});

/** `GET /v1/notifications`: the caller's notifications, optionally only those about one order. */
export const notificationListQuery = listQuery.extend({ orderId: z.uuid().optional() });

/** `GET /v1/transfers`: items in transit to the caller's side (`receiving`, the default) or from it. */
export const transferListQuery = listQuery.extend({
  side: z.enum(['receiving', 'sending']).default('receiving'),
});

export const uuidParam = z.uuid();

/** `GET /v1/evidence/:id/chain?receipts=true`: each entry with its receipt, all against one checkpoint. */
export const chainQuery = z.strictObject({
  receipts: z.enum(['true', 'false']).optional(),
});

const HEX_LENGTH = { md5: 32, sha1: 40, sha256: 64, sha512: 128 } as const;

/** The `metadata` part of an evidence upload (api.md). */
export const evidenceMetadata = z.strictObject({
  exhibitNumber: text(64),
  description: text(4000),
  source: text(1000),
  acquiredAt: z.iso.datetime({ offset: true }),
  acquiredBy: text(255),
  acquisitionTool: text(255).optional(),
  location: text(1000).optional(),
  sealNumber: text(64).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .optional(),
  acquisitionHash: z
    .strictObject({
      alg: z.enum(['md5', 'sha1', 'sha256', 'sha512']),
      value: z.string().regex(/^[0-9a-fA-F]+$/),
    })
    .refine((hash) => hash.value.length === HEX_LENGTH[hash.alg], {
      message: 'wrong length',
      path: ['value'],
    })
    .optional(),
  legacyDigests: z.boolean().optional(),
});

/** A digest declared after the file part (the CLI hashes while it sends). */
export const trailingSha256 = z.string().regex(/^[0-9a-fA-F]{64}$/);

export const custodyEventBody = z.strictObject({
  type: z.enum(CUSTODY_EVENT_TYPES),
  purpose: text(1000),
  location: text(1000).optional(),
  counterparty: z
    .strictObject({ agency: z.string().regex(AGENCY_CODE), sub: z.string().min(1).max(255).optional() })
    .optional(),
  sealNumber: text(64).optional(),
  sealCondition: text(1000).optional(),
  authorityRef: text(255).optional(),
  notes: text(4000).optional(),
});

const optionalText = (max: number) => text(max).optional();
const stateCode = z
  .string()
  .regex(/^[A-Z]{2}$/)
  .optional();

/** A language tag (BCP 47, RFC 5646): an ISO 639 language, then optional subtags such as a script or region. */
const languageTag = z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8}){0,4}$/);

/** A translation of the request sent with it (UN Art. 40(14)): its language, the document's digest, its title. */
const translation = z.strictObject({
  language: languageTag,
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/),
  title: text(500),
});

/** A person the request concerns, as far as known (UN Art. 40(15)(e)). */
const personConcerned = z.strictObject({
  identity: text(500),
  location: optionalText(500),
  nationality: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
});

/** The period the specified data of a production order cover (UN Art. 27, Budapest Art. 18). */
const dataPeriod = z
  .strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .refine((period) => Date.parse(period.from) <= Date.parse(period.to), {
    message: 'the period ends before it starts',
    path: ['to'],
  });

/** `POST /v1/orders` (api.md): the request, with the Art. 42 names where contents overlap. */
export const orderBody = z
  .strictObject({
    kind: z.enum(ORDER_KINDS),
    direction: z.enum(DIRECTIONS),
    legalBasis: z.strictObject({
      instrument: z.enum(['UNCC', 'BUDAPEST', 'MLAT', 'EU_2023_1543', 'DOMESTIC']),
      article: optionalText(32),
      reference: optionalText(255),
    }),
    caseId: z.uuid().optional(),
    requestingState: stateCode,
    requestedState: stateCode,
    requestingAuthority: text(500),
    channel: z.enum(['24/7', 'central_authority', 'interpol', 'eu_decentralised_system', 'direct', 'other']),
    urgency: z.enum(['normal', 'urgent', 'emergency']).default('normal'),
    urgencyJustification: optionalText(2000),
    requestedBy: z.iso.datetime({ offset: true }).optional(),
    /** EPOC: the agency of the enforcing authority notified under Reg. 2023/1543 Art. 8. */
    enforcingAgency: z.string().regex(AGENCY_CODE).optional(),
    offence: optionalText(1000),
    /** The Convention offence (UN Arts 7-17, Budapest Arts 2-10), or `other`: decides whether a reserved dual-criminality ground is available. */
    offenceCategory: z.enum(OFFENCE_CATEGORY_CODES).optional(),
    factsSummary: optionalText(8000),
    dataToPreserve: optionalText(8000),
    relationToOffence: optionalText(4000),
    custodian: optionalText(500),
    systemLocation: optionalText(500),
    necessity: optionalText(4000),
    intendsMla: z.boolean().optional(),
    confidential: z.boolean().default(false),
    noUserNotification: z.boolean().default(false),
    specialityConditions: optionalText(4000),
    dataProtectionConditions: optionalText(4000),
    onwardTransferAllowed: z.boolean().optional(),
    authorisingBody: optionalText(500),
    authorisingReference: optionalText(255),
    /** The order this one follows from in the same matter, and how (orders/matter.ts). */
    relatedOrderId: z.uuid().optional(),
    relation: z.enum(RELATIONS).optional(),
    // UN Art. 40(15): an MLA request's contents beyond the offence and facts.
    conductingAuthority: optionalText(1000),
    assistanceSought: optionalText(8000),
    particularProcedure: optionalText(4000),
    personsConcerned: z.array(personConcerned).min(1).max(50).optional(),
    purpose: optionalText(4000),
    // UN Art. 27, Budapest Art. 18: whom a production order addresses, and for which data.
    addresseeType: z.enum(PRODUCTION_ADDRESSEES).optional(),
    addressee: optionalText(500),
    dataCategories: z
      .array(z.enum(DATA_CATEGORIES))
      .min(1)
      .max(DATA_CATEGORIES.length)
      .refine((categories) => new Set(categories).size === categories.length, 'each category once')
      .optional(),
    dataDescription: optionalText(8000),
    dataPeriod: dataPeriod.optional(),
    format: optionalText(500),
    // UN Art. 40(14): the request's language and its translations.
    language: languageTag.optional(),
    translations: z.array(translation).min(1).max(20).optional(),
    // Bud 25(3), 27(9); UN 40(14): sent ahead through an expedited channel, the formal request to follow.
    formalConfirmationToFollow: z.boolean().optional(),
    // UN 44(3), Bud 31(3): data vulnerable to loss or modification, answered on an expedited basis.
    dataVulnerable: z.boolean().optional(),
    vulnerabilityReason: optionalText(2000),
    /** `assistance_24_7`: which of the 24/7 point's functions is asked for (UN Art. 41; Budapest Art. 35(1)). */
    assistanceType: z.enum(ASSISTANCE_TYPES).optional(),
    /** Preservation: the custodian, and until when it keeps the preservation confidential (UN 25(3); Bud 16(3)). */
    custodianAgency: z.string().regex(AGENCY_CODE).optional(),
    confidentialUntil: z.iso.datetime({ offset: true }).optional(),
    /** The source's IANA time zone (`Europe/Berlin`); the deployment's when absent. */
    timeZone: z.string().max(64).optional(),
    /** When the request was really received, where that time comes from and why it is stated. */
    receivedAt: z.iso.datetime({ offset: true }).optional(),
    receivedAtSource: z.enum(EVENT_TIME_SOURCES).optional(),
    receivedAtReason: optionalText(2000),
  })
  .refine((body) => body.urgency !== 'emergency' || body.urgencyJustification !== undefined, {
    message: 'an emergency needs its justification',
    path: ['urgencyJustification'],
  })
  .refine((body) => body.enforcingAgency === undefined || body.kind === 'epoc', {
    message: 'only an EPOC is notified to an enforcing authority',
    path: ['enforcingAgency'],
  })
  .refine((body) => (body.relatedOrderId === undefined) === (body.relation === undefined), {
    message: 'a related order is named with its relation',
    path: ['relation'],
  })
  .refine((body) => (body.kind === 'assistance_24_7') === (body.assistanceType !== undefined), {
    message: 'assistance through the 24/7 point names its type, and only it does',
    path: ['assistanceType'],
  })
  .refine((body) => body.kind !== 'assistance_24_7' || body.channel === '24/7', {
    message: 'assistance of the 24/7 point comes through the 24/7 channel',
    path: ['channel'],
  })
  .refine(
    (body) =>
      !['assistance_24_7', 'spontaneous_information'].includes(body.kind) || body.direction !== 'domestic',
    { message: 'between states only', path: ['direction'] },
  );

/** Traffic data fields a disclosure may release (Arts 26/43): tracing data only. */
const trafficFields = z
  .array(
    z.enum([
      'source_address',
      'destination_address',
      'timestamps',
      'time_zone',
      'route',
      'next_hop_provider',
    ]),
  )
  .min(1);

/** One provider on the path (UN 26(a)-(b); Bud 17(1)): who, where (ISO 3166-1 alpha-2), when, and what was given. */
const trafficHop = z
  .strictObject({
    provider: text(500),
    country: z.string().regex(/^[A-Z]{2}$/),
    from: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    fields: trafficFields,
  })
  .refine((hop) => !hop.from || !hop.until || Date.parse(hop.from) <= Date.parse(hop.until), {
    message: 'the window ends before it starts',
    path: ['until'],
  });

/** The path, one provider or several: "regardless of whether one or more service providers were involved". */
const trafficHops = z.array(trafficHop).min(1).max(50);

/**
 * The fields a supplement may supply: the request's contents, under the names
 * of the submission. Not what the request is (kind, direction, legal basis,
 * parties, channel, urgency), which a supplement cannot change.
 */
export const SUPPLEMENTABLE_FIELDS = [
  'offence',
  'factsSummary',
  'dataToPreserve',
  'relationToOffence',
  'custodian',
  'systemLocation',
  'necessity',
  'intendsMla',
  'confidential',
  'noUserNotification',
  'specialityConditions',
  'dataProtectionConditions',
  'onwardTransferAllowed',
  'authorisingBody',
  'authorisingReference',
  'conductingAuthority',
  'assistanceSought',
  'particularProcedure',
  'personsConcerned',
  'purpose',
  'addressee',
  'dataCategories',
  'dataDescription',
  'dataPeriod',
  'format',
  'language',
  'translations',
] as const;

const supplementShape = Object.fromEntries(
  SUPPLEMENTABLE_FIELDS.map((field) => [field, orderBody.shape[field].unwrap()]),
) as { [F in (typeof SUPPLEMENTABLE_FIELDS)[number]]: ReturnType<(typeof orderBody.shape)[F]['unwrap']> };

/**
 * `POST /v1/orders/:id/supplement`: missing contents supplied (legal row 3),
 * and the formal confirmation of an urgent request sent ahead (row 34). At
 * least one field; an unknown one is an error.
 */
export const orderSupplementBody = z
  .strictObject({
    ...supplementShape,
    formalConfirmation: z.strictObject({
      reference: text(255),
      receivedAt: z.iso.datetime({ offset: true }),
    }),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, { message: 'supply at least one field' });

/** What a traffic disclosure released (Arts 26/43): tracing data only, stated explicitly. */
const trafficDisclosure = z
  .strictObject({
    fields: trafficFields,
    nextHopProvider: text(500).optional(),
    nextHopCountry: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
    hops: trafficHops.optional(),
    contentDisclosed: z.literal(false),
    subscriberDisclosed: z.literal(false),
  })
  .refine(
    (body) =>
      body.hops !== undefined || (body.nextHopProvider !== undefined && body.nextHopCountry !== undefined),
    { message: 'name the next hop, or the hops', path: ['hops'] },
  );

/** `POST /v1/orders/:id/traffic-disclosures` (UN 43(1), 26; Bud 30(1), 17): the path, never content or subscriber data. */
export const trafficDisclosureBody = z.strictObject({
  hops: trafficHops,
  contentDisclosed: z.literal(false),
  subscriberDisclosed: z.literal(false),
});

export const orderTransitionBody = z.strictObject({
  to: z.string().regex(/^[a-z_]{1,64}$/),
  disclosure: trafficDisclosure.optional(),
  /** For `pending_mla_decision`: the MLA request that holds the preserved data until it is decided. */
  mlaOrderId: z.uuid().optional(),
  reasonCode: z
    .string()
    .regex(/^[A-Z0-9_]{1,64}$/)
    .optional(),
  reason: optionalText(4000),
  /** For `preserved`: when the custodian really preserved the data, where that comes from and why. */
  preservedAt: z.iso.datetime({ offset: true }).optional(),
  preservedAtSource: z.enum(EVENT_TIME_SOURCES).optional(),
  preservedAtReason: optionalText(2000),
});

export const orderEvidenceBody = z.strictObject({ evidenceId: z.uuid() });

/** `POST /v1/orders/:id/user-notice`: what was decided about telling the person concerned, and why. */
export const userNoticeBody = z.strictObject({
  decision: z.enum(USER_NOTICE_DECISIONS),
  ground: z.enum(Object.keys(USER_NOTICE_GROUNDS) as [UserNoticeGround, ...UserNoticeGround[]]).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  reason: text(4000),
});

/**
 * `POST /v1/orders/:id/consultations`: the requested side's proposal before a
 * refusal or postponement (`proposes`), or the requester's `answer`.
 */
export const consultationBody = z.strictObject({
  proposes: z
    .array(z.enum(PROPOSALS))
    .min(1)
    .max(PROPOSALS.length)
    .refine((items) => new Set(items).size === items.length, 'each proposal once')
    .optional(),
  answer: z.enum(ANSWERS).optional(),
  conditions: optionalText(4000),
  message: text(4000),
});

/**
 * `GET /v1/orders`: by status, deadline, case; nearest deadline first (the
 * lapsed ones lead, orders without a deadline last) or newest first.
 */
export const orderListQuery = listQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  dueBefore: z.iso.datetime({ offset: true }).optional(),
  caseId: z.uuid().optional(),
  sort: z.enum(['deadline', 'newest']).default('deadline'),
});

/**
 * `POST /v1/cases/:id/disclosures`: which items go to which agency, under
 * which order and conditions. The order is required by the service (its
 * legal basis), not by the schema: its absence is LEGAL_BASIS_REQUIRED.
 */
export const disclosureBody = z.strictObject({
  recipientAgency: z.string().regex(AGENCY_CODE),
  evidenceIds: z.array(z.uuid()).min(1).max(1000),
  orderId: z.uuid().optional(),
  conditions: z.string().min(1).max(4000).optional(),
  /**
   * The withheld facts of the items' chains the recipient receives beyond the
   * public ones (formats.md §1.1); by default none: the items, their digests,
   * custody actions and times, the roles and agencies that acted, and the
   * recipient's own conditions.
   */
  facts: z
    .array(z.enum(DISCLOSABLE_FACTS))
    .max(DISCLOSABLE_FACTS.length)
    .refine((facts) => new Set(facts).size === facts.length, 'each fact once')
    .default([]),
});

/** A principal's subject in a path: what tokens may carry as `sub`. */
export const subParam = z.string().min(1).max(255);

/** Why a principal is disabled or enabled again: kept in the log entry. */
export const principalStatusBody = z.strictObject({ reason: text(1000) });

/** Why a case is opened by break-glass: kept in the log, shown in every report of the case. */
export const breakGlassBody = z.strictObject({ reason: text(1000) });

/** `POST /v1/orders/:id/onward-authorisations`: the supplying state's authorisation of one onward transfer (UN Art. 36(3)). */
export const onwardAuthorisationBody = z.strictObject({
  recipientAgency: z.string().regex(AGENCY_CODE),
  recipientState: z.string().regex(/^[A-Z]{2}$/),
  reference: text(255),
});

/** `POST /v1/orders/:id/acknowledgements`: the custodian acknowledges its duty of confidentiality. */
export const custodianAcknowledgementBody = z.strictObject({
  /** The end of the period it acknowledges: the one the order states. */
  confidentialUntil: z.iso.datetime({ offset: true }),
});

/** `POST /v1/orders/:id/assignees`: a handler of the owning agency, by subject. */
export const orderAssigneeBody = z.strictObject({ sub: z.string().min(1).max(255) });

/** `POST /v1/disclosures/:id/use-inquiries`: the supplier asks how the data were used (Budapest Art. 28(4)). */
export const useInquiryBody = z.strictObject({ question: text(4000) });

/** `POST /v1/disclosures/:id/use-reports`: the recipient reports the use made, answering an inquiry or not. */
export const useReportBody = z.strictObject({ report: text(8000), inquiryId: z.uuid().optional() });

/** `POST /console/dev-sign-in`: whom a development token names (the limits of `npm run token`). */
export const devSignInBody = z.strictObject({
  sub: z.string().min(1).max(255),
  agency: z.string().regex(AGENCY_CODE),
  role: z.enum(ROLES),
});
