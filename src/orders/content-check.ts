import { ValidationError } from '../errors';
import {
  lacksTranslation,
  missingArt40Contents,
  missingArt42Contents,
  missingProductionContents,
} from './contents';
import { type Direction, nextStates, type OrderKind } from './lifecycle';

/** A missing element of a request, and the provision that requires it. */
export interface LackingElement {
  readonly element: string;
  readonly reason:
    | 'required_by_art_42'
    | 'required_by_un_40_15'
    | 'required_by_un_27'
    | 'required_by_un_40_14';
}

/** Channels through which an urgent request goes ahead of its formal transmission (Bud 25(3), 27(9); UN 40(14)). */
export const EXPEDITED_CHANNELS: readonly string[] = ['24/7', 'interpol', 'direct'];

/**
 * What a request or order of `kind` in `direction` lacks, element by element:
 * the Art. 42 contents of an international preservation request (UN 42(3),
 * Bud 29(2)), the Art. 40(15) contents of an MLA request, the Art. 27
 * contents of a production order, and, for a request received in a language
 * the requested state does not accept, a translation (UN 40(14)). Domestic
 * preservation orders and traffic disclosures are not checked here; EPOC
 * certificates go back to their issuer for clarification instead (Annex III).
 */
export function lackingContents(
  kind: OrderKind,
  direction: Direction,
  contents: Readonly<Record<string, unknown>>,
  acceptedLanguages: readonly string[],
): LackingElement[] {
  const lacking: LackingElement[] = [];
  if (kind === 'preservation' && direction !== 'domestic')
    for (const element of missingArt42Contents(contents))
      lacking.push({ element, reason: 'required_by_art_42' });
  if (kind === 'mla' && direction !== 'domestic')
    for (const element of missingArt40Contents(contents))
      lacking.push({ element, reason: 'required_by_un_40_15' });
  if (kind === 'production')
    for (const element of missingProductionContents(contents))
      lacking.push({ element, reason: 'required_by_un_27' });
  // Only the requested side knows which languages it accepts.
  if (
    direction === 'incoming' &&
    canAskForInformation(kind, direction) &&
    lacksTranslation(contents, acceptedLanguages)
  )
    lacking.push({ element: 'translation', reason: 'required_by_un_40_14' });
  return lacking;
}

/** Whether an order of `kind` in `direction` has an `info_requested` state: its requester may be asked for more. */
export function canAskForInformation(kind: OrderKind, direction: Direction): boolean {
  return nextStates(kind, direction, 'received').includes('info_requested');
}

/**
 * Rules between fields the schema alone cannot state:
 * - a service provider offering its services in the territory is ordered to
 *   produce subscriber information only (UN 27(b), Bud 18(1)(b));
 * - a formal confirmation follows only an urgent request sent through an
 *   expedited channel (Bud 25(3), 27(9); UN 40(14));
 * - an expedited answer because the data are vulnerable is asked for in an
 *   Art. 44 request (UN 44(3), Bud 31(3)).
 */
export function checkContentRules(input: {
  readonly kind: OrderKind;
  readonly channel: string;
  readonly urgency: string;
  readonly details: Readonly<Record<string, unknown>>;
}): void {
  const { details } = input;
  const errors: Array<{ pointer: string; reason: string }> = [];
  const categories = Array.isArray(details.dataCategories) ? details.dataCategories : [];
  if (
    details.addresseeType === 'service_provider_offering_services' &&
    categories.some((category) => category !== 'subscriber')
  )
    errors.push({ pointer: '/dataCategories', reason: 'subscriber_information_only' });
  if (details.addresseeType !== undefined && input.kind !== 'production')
    errors.push({ pointer: '/addresseeType', reason: 'only_for_production' });
  if (
    details.formalConfirmationToFollow === true &&
    (input.urgency === 'normal' || !EXPEDITED_CHANNELS.includes(input.channel))
  )
    errors.push({ pointer: '/formalConfirmationToFollow', reason: 'only_for_urgent_expedited_requests' });
  if (details.dataVulnerable !== undefined && input.kind !== 'mla')
    errors.push({ pointer: '/dataVulnerable', reason: 'only_for_mla' });
  if (details.dataVulnerable === true && details.vulnerabilityReason === undefined)
    errors.push({ pointer: '/vulnerabilityReason', reason: 'required_for_data_vulnerable' });
  if (errors.length > 0) throw new ValidationError(errors);
}
