import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web';
import { DEFAULT_WEB_ROOT } from '../../src/http/web.routes';
import { launchChromium } from '../support/browser';
import { freePort, startOidcServer, type TestOidcServer } from '../support/oidc-server';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const SESSION_KEY = 'custody-ledger.session';
const RESOURCE = 'https://ledger.example/api';

describe('console sign-in in a browser', function () {
  this.timeout(120_000);
  let provider: TestOidcServer;
  let service: TestService;
  let browser: Browser;
  const agency = uniqueAgency();
  const alice = uniqueSub('alice');

  before(async function () {
    browser = await launchChromium(this);
    // The service serves the console's page (and its Content-Security-Policy) only once the web build ran.
    if (!existsSync(path.join(DEFAULT_WEB_ROOT, 'index.html'))) await buildWeb();
    const port = await freePort();
    provider = await startOidcServer({
      redirectUri: `http://127.0.0.1:${port}/callback`,
      accounts: { [alice]: { agency, roles: ['investigator', 'prosecutor'] } },
    });
    service = await startTestService({
      PORT: String(port),
      OIDC_ISSUER: provider.issuer,
      OIDC_JWKS_URL: provider.jwksUrl,
      OIDC_AUDIENCE: RESOURCE,
      OIDC_CLIENT_ID: provider.clientId,
      CONSOLE_DEV_SIGNIN: 'true',
    });
  });
  after(async () => {
    await browser?.close();
    await service?.stop();
    await provider?.stop();
  });

  /** A tab on the console, with every request URL it makes and the console's errors (CSP violations among them). */
  async function openConsole(): Promise<{ page: Page; urls: string[]; problems: string[] }> {
    const page = await browser.newPage();
    const urls: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    page.on('pageerror', (error) => problems.push(error.message));
    // The console's own errors (the provider's development pages fetch a web font the test has no network for).
    page.on('console', (message) => {
      if (message.type() === 'error' && new URL(page.url()).origin === service.url)
        problems.push(message.text());
    });
    await page.goto(`${service.url}/`);
    return { page, urls, problems };
  }

  /** The tab's stored session (the test compiles without the DOM's types). */
  const storedSession = (page: Page) =>
    page.evaluate((key) => {
      const storage = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } })
        .sessionStorage;
      return JSON.parse(storage.getItem(key) ?? 'null');
    }, SESSION_KEY);

  it('when someone signs in at the provider, then the console is back on their first page without the code, shows the principal, keeps the session over a reload, and forgets it on sign-out; no URL ever carries the token', async () => {
    const { page, urls, problems } = await openConsole();
    await page.getByRole('button', { name: 'Sign in with your organisation account' }).click();
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.locator('input[name="login"]').fill(alice);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();

    const principal = page.locator(`.principal[data-sub="${alice}"]`);
    await principal.waitFor();
    // Back on the first page of the person's work, the code gone from the address.
    await page.waitForURL(`${service.url}/cases`);
    expect(await principal.textContent()).to.equal(`${alice} · ${agency} · Investigator, Prosecutor`);
    await page.locator('[data-testid="cases"], .empty').first().waitFor();
    const session = await storedSession(page);
    expect(session.via).to.equal('oidc');
    expect(session.expiresAt).to.be.greaterThan(Date.now());
    expect(session.principal).to.deep.equal({ sub: alice, agency, roles: ['investigator', 'prosecutor'] });
    // The provider came back to /callback with a code, which the console redeemed with the PKCE verifier.
    const callback = new URL(urls.find((url) => url.startsWith(`${service.url}/callback?`)) as string);
    expect(callback.searchParams.has('code')).to.equal(true);
    const authorize = new URL(urls.find((url) => url.startsWith(`${provider.issuer}/auth?`)) as string);
    expect(Object.fromEntries(authorize.searchParams)).to.include({
      code_challenge_method: 'S256',
      resource: RESOURCE,
      redirect_uri: `${service.url}/callback`,
    });
    expect([...authorize.searchParams.keys()]).to.include.members(['state', 'nonce', 'code_challenge']);

    await page.reload();
    await principal.waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with your organisation account' }).waitFor();
    expect(await storedSession(page)).to.equal(null);

    const token = session.accessToken as string;
    expect(urls.filter((url) => url.includes(token) || /access_token|id_token/.test(url))).to.deep.equal([]);
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  it('when development sign-in is used with the keyboard, then the warning shows above the form and on the signed-in page, and the token works', async () => {
    const { page, urls, problems } = await openConsole();
    const warning = 'Development sign-in: for a local trial only, tokens minted by this service';
    expect(await page.getByRole('note').textContent()).to.equal(warning);
    const sub = uniqueSub('dev');
    await page.getByLabel('Subject (user name)').focus();
    await page.keyboard.type(sub);
    await page.keyboard.press('Tab');
    await page.keyboard.type('az-dev');
    expect(await page.getByLabel('Agency code').inputValue()).to.equal('AZ-DEV');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Home');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    const principal = page.locator(`.principal[data-sub="${sub}"]`);
    await principal.waitFor();
    expect(await principal.textContent()).to.equal(`${sub} · AZ-DEV · Investigator`);
    expect(await page.getByRole('note').textContent()).to.equal(warning);
    await page.locator('[data-testid="cases"], .empty').first().waitFor();
    const session = await storedSession(page);
    expect(session.via).to.equal('dev');
    expect(urls.filter((url) => url.includes(session.accessToken))).to.deep.equal([]);
    expect(problems).to.deep.equal([]);
    await page.close();
  });
});
