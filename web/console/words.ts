import { az } from '../../src/reports/messages/az';
import { en } from '../../src/reports/messages/en';
import { ru } from '../../src/reports/messages/ru';
import type { Lang } from './i18n';

const REPORT = { az, en, ru } as const;

/**
 * The names a court report gives to entry types, fields and roles: the console
 * uses the same words (one catalogue), so a page and the PDF read alike.
 */
export function entryTypeName(lang: Lang, type: string): string {
  const key = `type_${type.replaceAll('.', '_')}` as keyof typeof en;
  return REPORT[lang][key] ?? type;
}

/** Digest names are the same in every language and the report catalogue does not list them all. */
const DIGESTS: Readonly<Record<string, string>> = {
  sha256: 'SHA-256',
  sha512: 'SHA-512',
  sha1: 'SHA-1',
  md5: 'MD5',
};

export function fieldName(lang: Lang, field: string): string {
  return REPORT[lang][`field_${field}` as keyof typeof en] ?? DIGESTS[field] ?? field;
}

export function roleName(lang: Lang, role: string): string {
  return REPORT[lang][`role_${role}` as keyof typeof en] ?? role;
}
