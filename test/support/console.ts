import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort, startOidcServer, type TestOidcServer } from './oidc-server';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from './service';

const RESOURCE = 'https://ledger.example/api';

/** How the console's people are called (each gets a unique suffix): pictures read better with real-looking names. */
export interface ConsoleNames {
  readonly investigator: string;
  readonly custodian: string;
  readonly prosecutor: string;
  readonly partner: string;
  readonly court: string;
}

const PLAIN_NAMES: ConsoleNames = {
  investigator: 'inv',
  custodian: 'cus',
  prosecutor: 'pros',
  partner: 'bka',
  court: 'judge',
};

/** The console's people, each of their own agency's, as the provider knows them. */
function consolePeople(names: ConsoleNames) {
  const central = uniqueAgency('SSS');
  const agencies = {
    central,
    store: uniqueAgency('STORE'),
    partner: uniqueAgency('DE'),
    court: uniqueAgency('COURT'),
  };
  return {
    agencies,
    /** The central authority's desk, which executes a partner's request through the API. */
    desk: uniqueSub('desk'),
    people: {
      investigator: { sub: uniqueSub(names.investigator), agency: central, roles: ['investigator'] },
      custodian: { sub: uniqueSub(names.custodian), agency: agencies.store, roles: ['custodian'] },
      prosecutor: { sub: uniqueSub(names.prosecutor), agency: central, roles: ['prosecutor'] },
      partner: { sub: uniqueSub(names.partner), agency: agencies.partner, roles: ['partner'] },
      court: { sub: uniqueSub(names.court), agency: agencies.court, roles: ['court'] },
    },
  } as const;
}

export type ConsolePerson = keyof ReturnType<typeof consolePeople>['people'];

export interface SignInOptions {
  /** Called with the page before it first loads, to watch it. */
  readonly watch?: (page: Page) => void;
}

export interface ConsoleWorld extends ReturnType<typeof consolePeople> {
  readonly provider: TestOidcServer;
  readonly service: TestService;
  /** A fresh browser profile for `who`, signed in at the provider through the console's own button. */
  signIn(
    browser: Browser,
    who: ConsolePerson,
    options?: SignInOptions,
  ): Promise<{ context: BrowserContext; page: Page }>;
  stop(): Promise<void>;
}

/**
 * The service behind a real OpenID provider that knows the console's people,
 * the central authority being the investigator's and prosecutor's agency.
 */
export async function startConsoleWorld(names: ConsoleNames = PLAIN_NAMES): Promise<ConsoleWorld> {
  const cast = consolePeople(names);
  const port = await freePort();
  const provider = await startOidcServer({
    redirectUri: `http://127.0.0.1:${port}/callback`,
    accounts: Object.fromEntries(Object.values(cast.people).map((one) => [one.sub, one])),
  });
  let service: TestService;
  try {
    service = await startTestService({
      PORT: String(port),
      CENTRAL_AUTHORITY: cast.agencies.central,
      OIDC_ISSUER: provider.issuer,
      OIDC_JWKS_URL: provider.jwksUrl,
      OIDC_AUDIENCE: RESOURCE,
      OIDC_CLIENT_ID: provider.clientId,
    });
  } catch (error) {
    await provider.stop();
    throw error;
  }
  return {
    ...cast,
    provider,
    service,
    async signIn(browser, who, options = {}) {
      const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      options.watch?.(page);
      await page.goto(`${service.url}/`);
      await page.getByRole('button', { name: 'Sign in with your organisation account' }).click();
      await page.waitForURL((url) => url.origin === provider.issuer);
      await page.locator('input[name="login"]').fill(cast.people[who].sub);
      await page.locator('input[name="password"]').fill('any');
      await page.locator('button[type="submit"]').click();
      await page.locator(`.principal[data-sub="${cast.people[who].sub}"]`).waitFor();
      return { context, page };
    },
    async stop() {
      await service.stop();
      await provider.stop();
    },
  };
}
