import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiContext, createApi } from './api';
import {
  type ConsoleConfig,
  completeOidcSignIn,
  currentSession,
  isSignInCallback,
  loadConsoleConfig,
  type Session,
  signOut,
} from './auth';
import { initialLang, LANGS, type Lang, LangContext, rememberLang, useT } from './i18n';
import { commonMessages, ROLE_LABEL } from './messages/common';
import { Link, navigate, usePath } from './router';
import { routeOf } from './routes';
import { DevBanner, SignInPage } from './sign-in';
import { Loading, ProblemMessage } from './ui';
import './styles.css';

type Role = 'investigator' | 'custodian' | 'prosecutor' | 'court' | 'partner' | 'auditor' | 'admin';

interface Section {
  readonly href: string;
  readonly label: keyof typeof commonMessages.en;
  readonly roles: readonly Role[];
}

/** The console's sections, each for the roles whose work it is (the API decides what each may see in it). */
const SECTIONS: readonly Section[] = [
  { href: '/inbox', label: 'navInbox', roles: ['custodian'] },
  { href: '/cases', label: 'navCases', roles: ['investigator', 'prosecutor', 'court', 'auditor'] },
  { href: '/orders', label: 'navOrders', roles: ['investigator', 'prosecutor'] },
  { href: '/orders', label: 'navRequests', roles: ['partner'] },
  { href: '/disclosures', label: 'navDisclosures', roles: ['investigator', 'prosecutor', 'auditor'] },
  { href: '/disclosures', label: 'navPackages', roles: ['partner'] },
];

function sectionsOf(session: Session): Section[] {
  const roles = new Set(session.principal.roles);
  const seen = new Set<string>();
  return SECTIONS.filter((section) => {
    if (!section.roles.some((role) => roles.has(role)) || seen.has(section.href)) return false;
    seen.add(section.href);
    return true;
  });
}

function LangSelect(props: { lang: Lang; setLang: (lang: Lang) => void }) {
  const t = useT(commonMessages);
  return (
    <label class="lang">
      <span class="visually-hidden">{t('language')}</span>
      <select value={props.lang} onChange={(event) => props.setLang(event.currentTarget.value as Lang)}>
        {LANGS.map((lang) => (
          <option key={lang} value={lang}>
            {lang.toUpperCase()}
          </option>
        ))}
      </select>
    </label>
  );
}

function Shell(props: {
  session: Session;
  lang: Lang;
  setLang: (lang: Lang) => void;
  onSignOut: () => void;
}) {
  const t = useT(commonMessages);
  const path = usePath();
  const sections = sectionsOf(props.session);
  const api = useMemo(
    () => createApi(props.session.accessToken, props.session.principal, props.onSignOut),
    [props.session, props.onSignOut],
  );
  useEffect(() => {
    if (path === '/' || path === '/callback') navigate(sections[0]?.href ?? '/cases', true);
  }, [path, sections]);
  // Moving to another page moves the reader's focus to its title, as a page load would.
  useEffect(() => document.getElementById('page-title')?.focus({ preventScroll: true }), [path]);
  const { principal } = props.session;
  return (
    <ApiContext.Provider value={api}>
      <a class="skip" href="#content">
        {t('skip')}
      </a>
      {props.session.via === 'dev' && <DevBanner lang={props.lang} />}
      <header class="top">
        <a class="brand" href="/" aria-label={t('appName')}>
          {/* The favicon's mark: drawn, not a glyph that a system's fonts may lack. */}
          <svg class="mark" aria-hidden="true" viewBox="0 0 16 16" width="20" height="20">
            <rect width="16" height="16" rx="3" fill="#fff" />
            <path d="M4 8.5l2.5 2.5L12 5" stroke="#0d2338" stroke-width="2" fill="none" />
          </svg>
          {t('appName')}
        </a>
        <nav aria-label={t('mainNav')}>
          {sections.map((section) => (
            <Link key={section.href} href={section.href} current={path.startsWith(section.href)}>
              {t(section.label)}
            </Link>
          ))}
          <a href="/verify">{t('navVerify')}</a>
        </nav>
        <div class="who">
          <LangSelect lang={props.lang} setLang={props.setLang} />
          <span class="principal" title={t('signedInAs')} data-sub={principal.sub}>
            {principal.sub} · {principal.agency} ·{' '}
            {principal.roles.map((role) => t(ROLE_LABEL[role] ?? 'roleAdmin')).join(', ')}
          </span>
          <button type="button" class="link" onClick={props.onSignOut}>
            {t('signOut')}
          </button>
        </div>
      </header>
      <main id="content">{routeOf(path)}</main>
    </ApiContext.Provider>
  );
}

function Console() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [config, setConfig] = useState<ConsoleConfig>();
  const [session, setSession] = useState<Session | null>(currentSession);
  const [error, setError] = useState<unknown>();
  const setLang = (next: Lang) => {
    rememberLang(next);
    setLangState(next);
  };
  useEffect(() => rememberLang(lang), [lang]);
  useEffect(() => {
    loadConsoleConfig().then(async (loaded) => {
      setConfig(loaded);
      const here = new URL(location.href);
      if (isSignInCallback(here)) {
        try {
          setSession(await completeOidcSignIn(loaded, here));
        } catch (failure) {
          setError(failure);
          navigate('/', true);
        }
      }
    }, setError);
  }, []);
  const end = useMemo(
    () => () => {
      signOut();
      setSession(null);
      navigate('/', true);
    },
    [],
  );

  let body: preact.JSX.Element;
  if (session) body = <Shell session={session} lang={lang} setLang={setLang} onSignOut={end} />;
  else if (!config) body = error ? <ProblemMessage error={error} /> : <Loading />;
  else
    body = (
      <>
        <header class="top">
          <span class="brand">{commonMessages[lang].appName}</span>
          <span class="spacer" />
          <div class="who">
            <LangSelect lang={lang} setLang={setLang} />
          </div>
        </header>
        <SignInPage
          config={config}
          lang={lang}
          onSignedIn={setSession}
          {...(error ? { error: String((error as Error).message ?? error) } : {})}
        />
      </>
    );
  return <LangContext.Provider value={lang}>{body}</LangContext.Provider>;
}

const root = document.getElementById('app');
if (root) render(<Console />, root);
