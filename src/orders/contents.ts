/**
 * What an international preservation request must state (UN Art. 42(3)(a)-(g),
 * Budapest Art. 29(2); domain.md §2). A request missing any of these goes to
 * `info_requested`; it is never silently accepted.
 */
export const ART_42_CONTENTS = {
  requestingAuthority: '(a) the authority seeking preservation',
  offence: '(b) the offence under investigation, prosecution or judicial proceeding',
  factsSummary: '(b) a brief summary of the facts',
  dataToPreserve: '(c) the stored electronic data to be preserved',
  relationToOffence: '(c) how the data relate to the offence',
  custodian: '(d) information identifying the custodian or the location of the system',
  necessity: '(e) why preservation is necessary',
  intendsMla: '(f) that a mutual legal assistance request will follow',
  confidential: '(g) whether the request must be kept confidential',
  noUserNotification: '(g) whether the user must not be notified',
} as const;

export type Art42Element = keyof typeof ART_42_CONTENTS;

/** The Art. 42 elements a request lacks (blank text, a missing answer, or no MLA intent). */
export function missingArt42Contents(
  request: Partial<Record<Art42Element, unknown>> & { systemLocation?: unknown },
) {
  const present = (value: unknown) =>
    typeof value === 'boolean' || (typeof value === 'string' && value.trim().length > 0);
  return (Object.keys(ART_42_CONTENTS) as Art42Element[]).filter((element) => {
    if (element === 'custodian') return !present(request.custodian) && !present(request.systemLocation);
    if (element === 'intendsMla') return request.intendsMla !== true;
    return !present(request[element]);
  });
}

/**
 * What a mutual legal assistance request must contain (UN Art. 40(15), the
 * text of UNTOC Art. 18(15); legal-requirements row 32). The subject matter
 * and nature of the proceedings is the `offence`, as in an Art. 42 request.
 */
export const ART_40_15_CONTENTS = {
  requestingAuthority: 'UN 40(15)(a): the identity of the authority making the request',
  offence:
    'UN 40(15)(b): the subject matter and nature of the investigation, prosecution or judicial proceeding',
  conductingAuthority: 'UN 40(15)(b): the name and functions of the authority conducting it',
  factsSummary: 'UN 40(15)(c): a summary of the relevant facts',
  assistanceSought: 'UN 40(15)(d): a description of the assistance sought',
  purpose: 'UN 40(15)(f): the purpose for which the evidence, information or action is sought',
} as const;

/** What an MLA request states where it applies or where possible (UN Art. 40(15)(d), (e)). */
export const ART_40_15_WHERE_POSSIBLE = {
  particularProcedure:
    'UN 40(15)(d): details of any particular procedure the requesting state wishes followed',
  personsConcerned:
    'UN 40(15)(e): where possible, the identity, location and nationality of any person concerned',
} as const;

/**
 * Who a production order is addressed to (UN Art. 27, Budapest Art. 18(1)):
 * (a) a person in the territory, for specified data in its possession or
 * control; (b) a service provider offering its services in the territory,
 * for subscriber information only (UN Art. 2(f), Budapest Art. 18(3)).
 */
export const PRODUCTION_ADDRESSEES = ['person_in_territory', 'service_provider_offering_services'] as const;

/**
 * The categories of data an order names: subscriber information (UN 2(f),
 * Bud 18(3)), data asked for only to identify the user (Reg. 2023/1543
 * Art. 3(10)), traffic data and content data.
 */
export const DATA_CATEGORIES = ['subscriber', 'user_identification', 'traffic', 'content'] as const;

/** What a production order must name (UN Art. 27, Budapest Art. 18; legal-requirements row 25). */
export const PRODUCTION_CONTENTS = {
  addresseeType:
    'UN 27(a)/(b), Bud 18(1)(a)/(b): a person in the territory, or a service provider offering its services there',
  addressee: 'UN 27, Bud 18(1): the person or service provider ordered to produce',
  dataCategories: 'UN 2(f), Bud 18(3): subscriber information, traffic data or content data',
  dataDescription: 'UN 27(a), Bud 18(1)(a): the specified electronic data',
  dataPeriod: 'UN 27, Bud 18: the period the specified data cover',
} as const;

/** What a production order states where it matters. */
export const PRODUCTION_OPTIONAL = {
  format: 'practice: the form in which the data are to be produced',
} as const;

/**
 * The minimal contents of a European Production or Preservation Order
 * Certificate (Reg. 2023/1543 Annexes I and II). Shown on the forms; a
 * certificate that lacks them is for the addressee to send back for
 * clarification (Annex III, Arts 10(5), 11(4)), not refused at submission.
 */
export const EPOC_CONTENTS = {
  requestingAuthority: 'Reg. 2023/1543 Annex I/II section A: the issuing authority',
  addressee: 'Reg. 2023/1543 Annex I/II: the service provider addressed',
  dataCategories: 'Reg. 2023/1543 Art. 3(9)-(12): the categories of data requested',
  dataDescription: 'Reg. 2023/1543 Annex I/II: the data requested, with their period',
  offence: 'Reg. 2023/1543 Annex I/II: the nature and legal classification of the offence',
} as const;

/** The contents any request states about its own language (UN Art. 40(14)). */
export const LANGUAGE_CONTENTS = {
  language: 'UN 40(14): the language of the request (BCP 47)',
  translations: 'UN 40(14): translations into a language the requested state accepts',
} as const;

/** The languages a requested state accepts when none are configured (UN Art. 40(14) notification). */
export const DEFAULT_ACCEPTED_LANGUAGES: readonly string[] = ['az', 'en', 'ru'];

const present = (value: unknown) =>
  typeof value === 'boolean' ||
  (typeof value === 'string' && value.trim().length > 0) ||
  (Array.isArray(value) && value.length > 0) ||
  (typeof value === 'object' && value !== null && !Array.isArray(value));

/** The UN Art. 40(15) elements an MLA request lacks. */
export function missingArt40Contents(request: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(ART_40_15_CONTENTS).filter((element) => !present(request[element]));
}

/** The UN Art. 27 / Budapest Art. 18 elements a production order lacks. */
export function missingProductionContents(order: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(PRODUCTION_CONTENTS).filter((element) => !present(order[element]));
}

/** The primary subtag of a BCP 47 tag, lower case: what a list of accepted languages names. */
export function primaryLanguage(tag: string): string {
  return (tag.split('-')[0] ?? tag).toLowerCase();
}

/**
 * Whether a request must still be translated (UN Art. 40(14)): it names its
 * language, that language is not accepted, and no translation into an
 * accepted one came with it. A request that names no language is not held up.
 */
export function lacksTranslation(
  request: Readonly<Record<string, unknown>>,
  accepted: readonly string[],
): boolean {
  const language = request.language;
  if (typeof language !== 'string') return false;
  const ok = (tag: unknown) => typeof tag === 'string' && accepted.includes(primaryLanguage(tag));
  if (ok(language)) return false;
  const translations = Array.isArray(request.translations) ? request.translations : [];
  return !translations.some((translation) => ok((translation as { language?: unknown })?.language));
}
