import i18next, { type TFunction } from 'i18next';
import { az } from './az';
import { en, type ReportMessages } from './en';
import { ru } from './ru';

/** The languages a court report is issued in; the first court served is Azerbaijani. */
export const REPORT_LANGUAGES = ['az', 'en', 'ru'] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

/** The namespace of the report's texts; other documents add their own namespace beside it. */
export const REPORT_NAMESPACE = 'report';

/** Each language's resources, by namespace. */
export const reportResources: Record<ReportLanguage, { readonly report: ReportMessages }> = {
  az: { report: az },
  en: { report: en },
  ru: { report: ru },
};

const catalogue = i18next.createInstance();
void catalogue.init({
  resources: reportResources,
  ns: [REPORT_NAMESPACE],
  defaultNS: REPORT_NAMESPACE,
  lng: 'az',
  fallbackLng: 'en',
  initAsync: false,
  // Values are names and numbers as entered, drawn into a PDF: nothing is HTML, nothing is escaped.
  interpolation: { escapeValue: false },
  returnNull: false,
});

export type ReportText = (key: keyof ReportMessages, values?: Record<string, string | number>) => string;

/** The report's texts in `language`. */
export function reportText(language: ReportLanguage): ReportText {
  const t: TFunction = catalogue.getFixedT(language, REPORT_NAMESPACE);
  return (key, values) => t(key, values ?? {}) as string;
}
