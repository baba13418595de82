// LOCAL STUB (not committed): replaced by the sign-in helper's module.
export interface ConsoleConfig {
  oidc: { issuer: string; clientId: string; scope: string; resource: string } | null;
  devSignIn: boolean;
}
export interface Session {
  accessToken: string;
  expiresAt: number;
  principal: { sub: string; agency: string; roles: string[] };
  via: 'oidc' | 'dev';
}
const KEY = 'stub-session';
export async function loadConsoleConfig(): Promise<ConsoleConfig> {
  return { oidc: null, devSignIn: true };
}
export function currentSession(): Session | null {
  const s = sessionStorage.getItem(KEY);
  return s ? JSON.parse(s) : null;
}
export async function beginOidcSignIn(_c: ConsoleConfig): Promise<void> {}
export function isSignInCallback(url: URL): boolean {
  return url.pathname === '/callback';
}
export async function completeOidcSignIn(_c: ConsoleConfig, _u: URL): Promise<Session> {
  throw new Error('stub');
}
export async function devSignIn(_s: string, _a: string, _r: string): Promise<Session> {
  throw new Error('stub');
}
export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
