import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, watchProblems } from '../support/browser';
import { type ConsolePerson, type ConsoleWorld, startConsoleWorld } from '../support/console';
import { executedRequestFor, openCase, uploadItem } from '../support/fixtures';
import { uniqueSub } from '../support/service';

/** axe-core's own script, evaluated in the page through the debugging protocol: the page's CSP stays as it is. */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.1 level A and AA. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
/**
 * Rules outside the WCAG tags that the console keeps too: one main landmark,
 * distinct landmark names, all content in a landmark, headings in order.
 */
const ALSO_RULES = [
  'heading-order',
  'landmark-one-main',
  'landmark-unique',
  'landmark-no-duplicate-banner',
  'landmark-no-duplicate-main',
  'page-has-heading-one',
  'region',
  'duplicate-id',
];
const KEYBOARD_EXHIBIT = 'EX-KEY-1';
const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 375, height: 800 },
] as const;

interface Violation {
  readonly id: string;
  readonly targets: readonly string[];
}

/** What axe-core finds on the page as it stands: WCAG 2.1 A/AA, and the rules above. */
async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE_SOURCE);
  const { violations, passed } = await page.evaluate<{
    violations: Violation[];
    passed: number;
  }>(`(async () => {
    const only = (type, values) => ({ runOnly: { type, values }, iframes: false });
    const wcag = await axe.run(document, only('tag', ${JSON.stringify(WCAG_TAGS)}));
    const more = await axe.run(document, only('rule', ${JSON.stringify(ALSO_RULES)}));
    return {
      violations: [...wcag.violations, ...more.violations].map((violation) => ({
        id: violation.id,
        targets: violation.nodes.map((node) => node.target.join(' ')),
      })),
      passed: wcag.passes.length,
    };
  })()`);
  // A run that checked nothing would find nothing: the page must have given axe something to pass.
  expect(passed, 'axe rules passed').to.be.above(10);
  return violations;
}

/** Fails listing each violation by rule and element. */
function expectNoViolations(violations: readonly Violation[], where: string): void {
  const listed = violations.map((one) => `${one.id}: ${one.targets.join(' | ')}`);
  expect(listed, `axe violations on ${where}`).to.deep.equal([]);
}

/**
 * Every page of the console as each role sees it, with data in it, checked by
 * axe-core at a desktop and a phone width; the verifier page with a verified
 * package; and a keyboard-only walk from signing in to recording a handling.
 */
describe('the console and the verifier page are accessible (WCAG 2.1 AA)', function () {
  this.timeout(300_000);
  let world: ConsoleWorld;
  let browser: Browser;
  let dir: string;
  const problems: string[][] = [];
  const data = {
    caseId: '',
    /** Transferred to the store and not yet acknowledged: a pending inbox row. */
    pendingId: '',
    /** Disclosed to the partner under an executed request. */
    disclosedId: '',
    /** The investigator's own exhibit, which the keyboard walk hands on. */
    keyboardId: '',
    orderId: '',
    disclosureId: '',
    packageFile: '',
  };
  /** One signed-in page per person, reused across the pages checked. */
  const pages = new Map<ConsolePerson, Page>();

  before(async function () {
    browser = await launchChromium(this);
    dir = await mkdtemp(path.join(os.tmpdir(), 'console-a11y-'));
    world = await startConsoleWorld();
    const { service, people, agencies, desk } = world;
    // A subject stays bound to the issuer it first came with: the API's setup uses subjects of its
    // own (built-in tokens), the people of the console only ever the provider's.
    const lead = await service.token(uniqueSub('lead'), agencies.central, 'investigator');
    const handler = await service.token(desk, agencies.central, 'prosecutor');
    data.caseId = await openCase(service, lead, 'Fişinq şəbəkəsi, Bakı');
    for (const grant of [
      { agency: agencies.central, sub: people.investigator.sub, role: 'investigator' },
      { agency: agencies.central, sub: people.prosecutor.sub, role: 'prosecutor' },
      { agency: agencies.central, sub: desk, role: 'prosecutor' },
      { agency: agencies.court, sub: people.court.sub, role: 'court' },
    ]) {
      const granted = await service.call('POST', `/v1/cases/${data.caseId}/grants`, {
        token: lead,
        json: grant,
      });
      expect(granted.status).to.equal(201);
    }
    data.pendingId = await uploadItem(service, lead, data.caseId);
    data.disclosedId = await uploadItem(service, lead, data.caseId);
    const transferred = await service.call('POST', `/v1/evidence/${data.pendingId}/events`, {
      token: lead,
      json: {
        type: 'custody.transferred',
        purpose: 'To the evidence store',
        counterparty: { agency: agencies.store },
      },
    });
    expect(transferred.status).to.equal(201);
    data.orderId = await executedRequestFor(service, handler, agencies.partner, [data.disclosedId]);
    const disclosed = await service.call('POST', `/v1/cases/${data.caseId}/disclosures`, {
      token: handler,
      json: {
        recipientAgency: agencies.partner,
        evidenceIds: [data.disclosedId],
        orderId: data.orderId,
        conditions: 'For the proceedings named in the request only',
      },
    });
    expect(disclosed.status).to.equal(201);
    data.disclosureId = disclosed.body.disclosure.id;
    const partnerDesk = await service.token(uniqueSub('bka-desk'), agencies.partner, 'partner');
    const pkg = await fetch(new URL(`/v1/disclosures/${data.disclosureId}/package`, service.url), {
      headers: { authorization: `Bearer ${partnerDesk}` },
    });
    expect(pkg.status).to.equal(200);
    data.packageFile = path.join(dir, 'package.zip');
    await writeFile(data.packageFile, new Uint8Array(await pkg.arrayBuffer()));

    // The investigator's own exhibit, which the keyboard walk hands on, uploaded through the console.
    const page = await open('investigator', `/cases/${data.caseId}`, visible('[data-testid="upload-form"]'));
    const file = path.join(dir, 'phone.img');
    await writeFile(file, randomBytes(4096));
    const upload = page.getByRole('form', { name: 'Upload an exhibit' });
    await upload.getByLabel('File').setInputFiles(file);
    await upload.getByLabel('Exhibit number').fill(KEYBOARD_EXHIBIT);
    await upload.getByLabel('Acquired at').fill('2026-11-29T10:30');
    await upload.getByLabel('Description').fill('Image of the seized phone');
    await upload.getByRole('button', { name: 'Upload' }).click();
    const row = page.getByTestId('evidence-row').filter({ hasText: KEYBOARD_EXHIBIT });
    await row.waitFor();
    data.keyboardId = (await row.getAttribute('data-evidence-id')) ?? '';
  });
  after(async () => {
    await browser?.close();
    await world?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(problems.flat(), 'errors in the page').to.deep.equal([]);
  });

  async function pageOf(who: ConsolePerson): Promise<Page> {
    const known = pages.get(who);
    if (known) return known;
    const { page } = await world.signIn(browser, who, {
      watch: (one) => problems.push(watchProblems(one, world.service.url)),
    });
    pages.set(who, page);
    return page;
  }

  /** Opens `path` as `who` and waits until `ready` shows and nothing is loading. */
  async function open(
    who: ConsolePerson,
    route: string,
    ready: (page: Page) => Promise<void>,
  ): Promise<Page> {
    const page = await pageOf(who);
    await page.goto(`${world.service.url}${route}`);
    await page.locator(`.principal[data-sub="${world.people[who].sub}"]`).waitFor();
    await ready(page);
    await settled(page);
    return page;
  }

  const visible = (selector: string) => async (page: Page) => {
    await page.locator(selector).first().waitFor();
  };
  const timelineChecked = async (page: Page) => {
    await page.getByTestId('timeline-entry').first().waitFor();
    await noneLeft(page, '[data-check="pending"]');
  };

  /** Each page, as whom, and what shows once it has its data. */
  const checks: readonly {
    name: string;
    who: ConsolePerson | 'nobody';
    visit: () => Promise<Page>;
  }[] = [
    {
      name: 'the sign-in page',
      who: 'nobody',
      visit: async () => {
        const context = await browser.newContext({ locale: 'en-GB' });
        const page = await context.newPage();
        problems.push(watchProblems(page, world.service.url));
        await page.goto(`${world.service.url}/`);
        await page.getByRole('button', { name: 'Sign in with your organisation account' }).waitFor();
        return page;
      },
    },
    {
      name: 'the case list',
      who: 'investigator',
      visit: () => open('investigator', '/cases', visible('[data-testid="case-row"]')),
    },
    {
      name: 'a case page',
      who: 'investigator',
      visit: () =>
        open('investigator', `/cases/${data.caseId}`, async (page) => {
          await page.getByTestId('evidence-row').nth(2).waitFor();
          await page.getByTestId('case-disclosures').waitFor();
        }),
    },
    {
      name: 'an evidence page with its timeline and handling form',
      who: 'investigator',
      visit: () =>
        open('investigator', `/evidence/${data.keyboardId}`, async (page) => {
          await timelineChecked(page);
          await page.getByRole('form', { name: 'Record handling' }).waitFor();
        }),
    },
    {
      name: 'an evidence page with its report panel, the report verified',
      who: 'court',
      visit: async () => {
        const page = await open('court', `/evidence/${data.disclosedId}`, timelineChecked);
        await page.getByRole('button', { name: 'Verify the signed report in this browser' }).click();
        await page.getByTestId('report-verdict').waitFor();
        return page;
      },
    },
    {
      name: 'the inbox with a pending transfer',
      who: 'custodian',
      visit: () =>
        open(
          'custodian',
          '/inbox',
          visible(`[data-testid="inbox-row"][data-evidence-id="${data.pendingId}"]`),
        ),
    },
    {
      name: 'the inbox with the acknowledgement form open',
      who: 'custodian',
      visit: async () => {
        const page = await open('custodian', '/inbox', visible('[data-testid="inbox-row"]'));
        await page
          .getByRole('button', { name: /^Acknowledge receipt of/ })
          .first()
          .click();
        await page.getByRole('button', { name: 'Record receipt' }).waitFor();
        return page;
      },
    },
    {
      name: 'the order list',
      who: 'prosecutor',
      visit: () => open('prosecutor', '/orders', visible('[data-testid="order-row"]')),
    },
    {
      name: 'an order page',
      who: 'prosecutor',
      visit: () => open('prosecutor', `/orders/${data.orderId}`, visible('[data-testid="order-history"]')),
    },
    {
      name: 'the request list',
      who: 'partner',
      visit: () => open('partner', '/orders', visible('[data-testid="order-row"]')),
    },
    {
      name: 'an order page',
      who: 'partner',
      visit: () => open('partner', `/orders/${data.orderId}`, visible('[data-testid="order-history"]')),
    },
    {
      name: 'the disclosure list',
      who: 'prosecutor',
      visit: () => open('prosecutor', '/disclosures', visible('[data-testid="disclosure-row"]')),
    },
    {
      name: 'the package list',
      who: 'partner',
      visit: () => open('partner', '/disclosures', visible('[data-testid="disclosure-row"]')),
    },
    {
      name: 'a disclosure page with its package verified',
      who: 'partner',
      visit: async () => {
        const page = await open(
          'partner',
          `/disclosures/${data.disclosureId}`,
          visible('[data-testid="disclosure"]'),
        );
        await page.getByRole('button', { name: 'Download package' }).click();
        await page
          .getByTestId('package-verify-slot')
          .locator('[data-verdict="pass"]')
          .waitFor({ timeout: 120_000 });
        return page;
      },
    },
    {
      name: 'a disclosure page',
      who: 'prosecutor',
      visit: () =>
        open('prosecutor', `/disclosures/${data.disclosureId}`, visible('[data-testid="disclosure"]')),
    },
    {
      name: 'the verifier page with a verified package',
      who: 'nobody',
      visit: async () => {
        const context = await browser.newContext({ locale: 'en-GB' });
        const page = await context.newPage();
        problems.push(watchProblems(page, world.service.url));
        await page.goto(`${world.service.url}/verify`);
        await page.setInputFiles('#package-file', data.packageFile);
        await page.fill('#vkey', (await world.service.call('GET', '/v1/log/info')).body.vkey);
        await page.fill('#jwks', (await world.service.call('GET', '/.well-known/jwks.json')).text);
        await page.click('#verify');
        await page.locator('[data-verdict="pass"]').waitFor({ timeout: 120_000 });
        return page;
      },
    },
  ];

  for (const check of checks) {
    const as = check.who === 'nobody' ? '' : ` as the ${check.who}`;
    it(`when ${check.name} is shown${as} at 1280 and at 375 pixels wide, then axe-core finds no WCAG 2.1 AA violation and every tab stop shows its focus`, async () => {
      const page = await check.visit();
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        expectNoViolations(await axeViolations(page), `${check.name}${as} at ${viewport.width} px`);
        expect(await walkTabStops(page), 'tab stops').to.be.above(0);
      }
      if (check.who === 'nobody') await page.context().close();
      else await page.setViewportSize(VIEWPORTS[0]);
    });
  }

  it('when the investigator uses only the keyboard from the sign-in page to recording a handling, then every step is reachable and the focus always shows', async () => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    problems.push(watchProblems(page, world.service.url));
    await page.goto(`${world.service.url}/`);
    await page.locator('button.sign-in__provider').waitFor();
    await tabTo(page, 'button.sign-in__provider');
    await page.keyboard.press('Enter');
    // The provider's own login form is not the console's: typed into, it is only a step on the way.
    await page.waitForURL((url) => url.origin === world.provider.issuer);
    await page.locator('input[name="login"]').focus();
    await page.keyboard.type(world.people.investigator.sub);
    await page.keyboard.press('Tab');
    await page.keyboard.type('any');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${world.service.url}/cases`);
    await page.getByTestId('case-row').first().waitFor();
    await settled(page);

    await tabTo(page, `a[href$="/cases/${data.caseId}"]`);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${world.service.url}/cases/${data.caseId}`);
    await page.getByTestId('evidence-row').nth(2).waitFor();
    await settled(page);

    await tabTo(page, `a[href$="/evidence/${data.keyboardId}"]`);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${world.service.url}/evidence/${data.keyboardId}`);
    await page.getByRole('form', { name: 'Record handling' }).waitFor();
    // The timeline grows as its receipts are checked: tabbing starts once the page stands still.
    await timelineChecked(page);
    await settled(page);

    await tabTo(page, 'form[aria-label="Record handling"] [name="purpose"]');
    await page.keyboard.type('To the evidence store');
    await tabTo(page, 'form[aria-label="Record handling"] [name="counterpartyAgency"]');
    await page.keyboard.type(world.agencies.store);
    await tabTo(page, 'form[aria-label="Record handling"] button[type="submit"]');
    await page.keyboard.press('Space');
    await page
      .getByTestId('evidence-notice')
      .filter({ hasText: 'Recorded; its receipt verified in this browser.' })
      .waitFor();
    await context.close();
  });
});

/** Lets the page finish what it loads: no busy region left. */
function settled(page: Page): Promise<void> {
  return noneLeft(page, '[aria-busy="true"]');
}

/** Waits until nothing on the page matches `selector` (the page's CSP forbids evaluating waits in it). */
async function noneLeft(page: Page, selector: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await page.locator(selector).count()) > 0) {
    if (Date.now() > deadline) throw new Error(`${selector} still on the page`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Focus {
  /** The focus is on the page itself, not on an element of it. */
  readonly onBody: boolean;
  /** It was on this element before (the walk came round). */
  readonly again: boolean;
  /** An outline or a ring is drawn around it. */
  readonly shown: boolean;
  /** Some of it is inside the viewport (it was scrolled to). */
  readonly inView: boolean;
  readonly matches: boolean;
  readonly what: string;
}

/** Presses Tab and describes where the focus went; `matching` is a selector for `matches`. */
async function pressTab(page: Page, matching = '*'): Promise<Focus> {
  await page.keyboard.press('Tab');
  // A string, evaluated by the debugging protocol: the console's CSP rightly forbids eval in the page.
  return page.evaluate(`(() => {
    const element = document.activeElement;
    const seen = (window.__tabStops ??= new WeakSet());
    if (!element || element === document.body) return { onBody: true };
    const again = seen.has(element);
    seen.add(element);
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    return {
      onBody: false,
      again,
      shown: (style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none',
      inView: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
      matches: element.matches(${JSON.stringify(matching)}),
      what: element.outerHTML.slice(0, 160),
    };
  })()`);
}

function expectFocusShown(focus: Focus): void {
  expect(focus.shown, `no visible focus on ${focus.what}`).to.equal(true);
  expect(focus.inView, `focus out of view on ${focus.what}`).to.equal(true);
}

/**
 * Tabs through every stop of the page from the top until the focus comes
 * round again; each stop must show its focus and be scrolled into view.
 * Returns how many stops there are.
 */
async function walkTabStops(page: Page, limit = 250): Promise<number> {
  await page.evaluate(
    'window.__tabStops = new WeakSet(); document.activeElement?.blur(); window.scrollTo(0, 0)',
  );
  let stops = 0;
  let leftPage = 0;
  for (let presses = 0; presses < limit; presses++) {
    const focus = await pressTab(page);
    if (focus.onBody) {
      // Past the last stop the focus leaves the page once; twice means there is nothing to stop at.
      if (++leftPage > 1) return stops;
      continue;
    }
    if (focus.again) return stops;
    expectFocusShown(focus);
    stops++;
  }
  throw new Error(`more than ${limit} tab stops, or a keyboard trap`);
}

/** Presses Tab until the element `selector` matches has the focus, each stop showing its focus. */
async function tabTo(page: Page, selector: string, limit = 80): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    const focus = await pressTab(page, selector);
    expect(focus.onBody, 'focus left the page').to.equal(false);
    expectFocusShown(focus);
    if (focus.matches) return;
  }
  throw new Error(`never reached ${selector} by Tab`);
}
