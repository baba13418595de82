/**
 * A stand-in console for the browser test of sign-in (test/api/console-browser.test.ts):
 * the sign-in page until there is a session, the provider's callback, and then
 * the principal, the answer of `GET /v1/cases` with the token, and sign-out.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  type ConsoleConfig,
  completeOidcSignIn,
  currentSession,
  isSignInCallback,
  loadConsoleConfig,
  type Session,
  signOut,
} from '../../web/console/auth';
import { DevBanner, SignInPage } from '../../web/console/sign-in';

function SignedIn(props: { session: Session; onSignOut: () => void }) {
  const { session } = props;
  const [cases, setCases] = useState('…');
  useEffect(() => {
    fetch('/v1/cases', { headers: { authorization: `Bearer ${session.accessToken}` } }).then(
      (response) => setCases(String(response.status)),
      () => setCases('failed'),
    );
  }, [session]);
  return (
    <main>
      {session.via === 'dev' && <DevBanner lang="en" />}
      <p id="principal">
        {session.principal.sub} {session.principal.agency} {session.principal.roles.join(',')} {session.via}
      </p>
      <p id="cases">{cases}</p>
      <button type="button" onClick={props.onSignOut}>
        Sign out
      </button>
    </main>
  );
}

function TestConsole(props: { config: ConsoleConfig; session: Session | null; error?: string }) {
  const [session, setSession] = useState(props.session);
  if (!session) {
    return <SignInPage config={props.config} lang="en" onSignedIn={setSession} error={props.error} />;
  }
  return (
    <SignedIn
      session={session}
      onSignOut={() => {
        signOut();
        setSession(null);
      }}
    />
  );
}

async function start(root: HTMLElement): Promise<void> {
  const config = await loadConsoleConfig();
  const url = new URL(window.location.href);
  let session = currentSession();
  let error: string | undefined;
  if (isSignInCallback(url)) {
    try {
      session = await completeOidcSignIn(config, url);
    } catch (cause) {
      error = (cause as Error).message;
    }
  }
  render(<TestConsole config={config} session={session} error={error} />, root);
}

const root = document.getElementById('app');
if (root) void start(root);
