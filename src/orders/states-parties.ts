/**
 * Who is bound by each instrument: DATA, not rules, and it goes stale. Whoever
 * deploys the service must check these lists against their sources before
 * relying on them and keep them current (each list says when it was taken).
 * ISO 3166-1 alpha-2 codes.
 */

/**
 * Parties to the Budapest Convention (ETS 185), from the Council of Europe
 * Treaty Office's chart of signatures and ratifications of Treaty 185, as read
 * in 2025, with the accessions the Council of Europe announced in 2023-2024
 * (Cameroon, Grenada; Benin, Fiji and Kiribati on 20 June 2024; Côte
 * d'Ivoire). Signatories that have not ratified (e.g. Ireland, South Africa)
 * are not parties and are left out. To be checked against
 * https://www.coe.int/en/web/conventions/full-list?module=signatures-by-treaty&treatynum=185.
 */
// biome-ignore format: a list of codes
export const BUDAPEST_PARTIES: readonly string[] = [
  // Council of Europe member states
  'AL', 'AD', 'AM', 'AT', 'AZ', 'BE', 'BA', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'GE', 'DE',
  'GR', 'HU', 'IS', 'IT', 'LV', 'LI', 'LT', 'LU', 'MT', 'MD', 'MC', 'ME', 'NL', 'MK', 'NO', 'PL', 'PT',
  'RO', 'SM', 'RS', 'SK', 'SI', 'ES', 'SE', 'CH', 'TR', 'UA', 'GB',
  // Non-member states
  'AR', 'AU', 'BJ', 'BR', 'CV', 'CM', 'CA', 'CL', 'CO', 'CR', 'CI', 'DO', 'FJ', 'GH', 'GD', 'IL', 'JP',
  'KI', 'MU', 'MA', 'NG', 'PA', 'PY', 'PE', 'PH', 'SN', 'SL', 'LK', 'TO', 'US',
];

/**
 * EU member states bound by Regulation 2023/1543: all 27 but Denmark, which
 * does not take part in measures under Title V TFEU (Protocol No 22; recital
 * 99 of the Regulation [U]). Ireland takes part (recital 98 [U]). Taken in
 * 2025; the Regulation applies from 18 August 2026 (Art. 34).
 */
// biome-ignore format: a list of codes
export const EU_2023_1543_STATES: readonly string[] = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU',
  'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
];

/**
 * The parties to an instrument, or undefined where the service does not check:
 * bilateral treaties (MLAT: which treaty binds which pair is the treaty's
 * reference, not a list) and domestic law; and the UN Convention against
 * Cybercrime unless the deployment lists its parties (UNC_PARTIES): it was
 * opened for signature in Hanoi on 25 October 2025 and enters into force 90
 * days after the fortieth ratification, so signatories are not parties, and
 * the list changes with every deposit (UN Treaty Collection, Chapter XVIII).
 */
export function partiesTo(
  instrument: string,
  uncParties: readonly string[] | undefined,
): readonly string[] | undefined {
  switch (instrument) {
    case 'BUDAPEST':
      return BUDAPEST_PARTIES;
    case 'EU_2023_1543':
      return EU_2023_1543_STATES;
    case 'UNCC':
      return uncParties;
    default:
      return undefined;
  }
}
