import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** The console's languages: Azerbaijani (the default), English, Russian. */
export type Lang = 'az' | 'en' | 'ru';
export const LANGS: readonly Lang[] = ['az', 'en', 'ru'];

/** One set of messages per language, each with exactly the keys of the English one. */
export type Catalogue<K extends string> = Readonly<Record<Lang, Readonly<Record<K, string>>>>;

export const LangContext = createContext<Lang>('az');

const STORED = 'custody-ledger.lang';

/** The language last chosen here, else the browser's first that we speak, else Azerbaijani. */
export function initialLang(): Lang {
  const stored = localStorage.getItem(STORED);
  if (LANGS.includes(stored as Lang)) return stored as Lang;
  for (const tag of navigator.languages ?? []) {
    const primary = tag.slice(0, 2).toLowerCase();
    if (LANGS.includes(primary as Lang)) return primary as Lang;
  }
  return 'az';
}

export function rememberLang(lang: Lang): void {
  localStorage.setItem(STORED, lang);
  document.documentElement.lang = lang;
}

/** `{name}` placeholders filled from `values`; a missing value stays visible rather than vanishing. */
export function fill(text: string, values?: Readonly<Record<string, string | number>>): string {
  return values ? text.replace(/\{(\w+)\}/g, (whole, name: string) => String(values[name] ?? whole)) : text;
}

/** The translator for one catalogue in the page's language. */
export function useT<K extends string>(catalogue: Catalogue<K>) {
  const lang = useContext(LangContext);
  return (key: K, values?: Readonly<Record<string, string | number>>) => fill(catalogue[lang][key], values);
}

export function useLang(): Lang {
  return useContext(LangContext);
}

/**
 * A date and time as the reader writes them, on `zone`'s clock (default: the
 * browser's), with the zone named: evidence times must be unambiguous.
 * `dateStyle` does not combine with `timeZoneName`, and browsers without
 * Azerbaijani month names would write "M11", hence digits there.
 */
export function formatTime(lang: Lang, iso: string | null | undefined, zone?: string): string {
  if (!iso) return '—';
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(lang, {
      year: 'numeric',
      month: lang === 'az' ? '2-digit' : 'short',
      day: lang === 'az' ? '2-digit' : 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
      ...(zone ? { timeZone: zone } : {}),
    }).format(time);
  } catch {
    return iso;
  }
}

export function formatBytes(lang: Lang, bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit]}`;
}
