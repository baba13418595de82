import { useState } from 'preact/hooks';
import { ROLES } from '../../src/access/roles';
import { beginOidcSignIn, type ConsoleConfig, devSignIn, type Session } from './auth';
import { type SignInMessages, signInMessages } from './messages/sign-in';
import './sign-in.css';

type Lang = 'az' | 'en' | 'ru';

/** Agency codes, as the service checks them (src/access/roles.ts). */
const AGENCY_PATTERN = '[A-Z0-9][A-Z0-9\\-]{1,31}';

/**
 * The sign-in page: the provider's button when one is configured, and with
 * development sign-in on, a form under a warning that says what it is.
 * `error` is a code (see auth.ts) that the page shows translated.
 */
export function SignInPage(props: {
  config: ConsoleConfig;
  lang: Lang;
  onSignedIn: (s: Session) => void;
  error?: string;
}) {
  const text = signInMessages[props.lang];
  const [error, setError] = useState<string | undefined>(props.error);
  const [busy, setBusy] = useState(false);

  const run = async (attempt: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await attempt();
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : 'failed');
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" lang={props.lang} aria-busy={busy}>
      <h1>{text.title}</h1>
      {error !== undefined && <ErrorMessage text={text} code={error} />}
      {props.config.oidc && (
        <button
          type="button"
          class="sign-in__provider"
          disabled={busy}
          onClick={() => run(() => beginOidcSignIn(props.config))}
        >
          {text.providerButton}
        </button>
      )}
      {!props.config.oidc && !props.config.devSignIn && <p>{text.noSignIn}</p>}
      {props.config.devSignIn && (
        <DevSignInForm
          text={text}
          lang={props.lang}
          busy={busy}
          onSubmit={(sub, agency, role) =>
            run(async () => {
              const session = await devSignIn(sub, agency, role);
              setBusy(false);
              props.onSignedIn(session);
            })
          }
        />
      )}
    </main>
  );
}

/** The warning the shell shows on every page while a development session lasts. */
export function DevBanner(props: { lang: Lang }) {
  return (
    <div class="dev-banner" role="note" lang={props.lang}>
      {signInMessages[props.lang].devWarning}
    </div>
  );
}

function ErrorMessage(props: { text: SignInMessages; code: string }) {
  const known = props.text.errors as Record<string, string | undefined>;
  return (
    <p class="sign-in__error" role="alert">
      {known[props.code] ?? props.text.errors.failed}{' '}
      <span class="sign-in__code">
        ({props.text.errorCode}: <code>{props.code}</code>)
      </span>
    </p>
  );
}

function DevSignInForm(props: {
  text: SignInMessages;
  lang: Lang;
  busy: boolean;
  onSubmit: (sub: string, agency: string, role: string) => void;
}) {
  const { text } = props;
  const [sub, setSub] = useState('');
  const [agency, setAgency] = useState('');
  const [role, setRole] = useState<string>(ROLES[0]);
  return (
    <section class="sign-in__dev" aria-labelledby="dev-sign-in-heading">
      <h2 id="dev-sign-in-heading">{text.devHeading}</h2>
      <DevBanner lang={props.lang} />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          props.onSubmit(sub.trim(), agency.trim(), role);
        }}
      >
        <label for="dev-sub">{text.sub}</label>
        <input
          id="dev-sub"
          name="sub"
          required
          maxLength={255}
          autoComplete="username"
          value={sub}
          onInput={(event) => setSub(event.currentTarget.value)}
        />
        <label for="dev-agency">{text.agency}</label>
        <input
          id="dev-agency"
          name="agency"
          required
          pattern={AGENCY_PATTERN}
          maxLength={32}
          autoCapitalize="characters"
          aria-describedby="dev-agency-hint"
          value={agency}
          onInput={(event) => setAgency(event.currentTarget.value.toUpperCase())}
        />
        <p id="dev-agency-hint" class="sign-in__hint">
          {text.agencyHint}
        </p>
        <label for="dev-role">{text.role}</label>
        <select
          id="dev-role"
          name="role"
          value={role}
          onChange={(event) => setRole(event.currentTarget.value)}
        >
          {ROLES.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={props.busy}>
          {props.busy ? text.busy : text.devSubmit}
        </button>
      </form>
    </section>
  );
}
