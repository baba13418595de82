// LOCAL STUB (not committed): replaced by the sign-in helper's module.
import type { ConsoleConfig, Session } from './auth';
export function SignInPage(_p: {
  config: ConsoleConfig;
  lang: 'az' | 'en' | 'ru';
  onSignedIn: (s: Session) => void;
  error?: string;
}) {
  return <main>sign in</main>;
}
export function DevBanner(_p: { lang: 'az' | 'en' | 'ru' }) {
  return <div class="dev-banner">DEV</div>;
}
