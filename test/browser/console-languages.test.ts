import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, watchProblems } from '../support/browser';
import { type ConsolePerson, type ConsoleWorld, startConsoleWorld } from '../support/console';
import { executedRequestFor } from '../support/fixtures';
import { art42Body, domesticPreservationBody, submitOrder } from '../support/order-requests';
import { type TestService, uniqueSub } from '../support/service';

const LANGUAGES = ['az', 'en', 'ru'] as const;

/**
 * Each person's first page, in each language: the page says which language
 * it is in, its words change with it and nothing is left untranslated, and it
 * raises no error. With CONSOLE_SCREENSHOTS=<dir> the pages are also saved
 * as pictures (the README's docs/console-*.png come from these).
 */
describe('the console in Azerbaijani, English and Russian', function () {
  this.timeout(300_000);
  const pages: Partial<Record<ConsolePerson, string>> = {};
  let world: ConsoleWorld;
  let service: TestService;
  let browser: Browser;

  before(async function () {
    browser = await launchChromium(this);
    world = await startConsoleWorld({
      investigator: 'r.mammadov',
      custodian: 's.huseynova',
      prosecutor: 'a.guliyev',
      partner: 'bka-24-7',
      court: 'judge.aliyeva',
    });
    service = world.service;
    await makeCase();
  });
  after(async () => {
    await browser?.close();
    await world?.stop();
  });

  /** A case with two exhibits, one waiting at the store, one disclosed to the partner under its request. */
  async function makeCase(): Promise<void> {
    const { people, agencies, desk } = world;
    const clerk = await service.token(desk, agencies.central, 'investigator', 'prosecutor');
    const as = async (method: string, route: string, json?: unknown) => {
      const answer = await service.call(method, route, { token: clerk, ...(json ? { json } : {}) });
      if (answer.status >= 300) throw new Error(`${method} ${route}: ${answer.status} ${answer.text}`);
      return answer.body;
    };
    const opened = await as('POST', '/v1/cases', {
      reference: 'AZ-2026-0042',
      title: 'Fişinq şəbəkəsi — Bakı, “Günəş” bankı',
      legalBasis: 'CPM m. 177; BMT Konvensiyası m. 25, 40',
    });
    const caseId = opened.case.id as string;
    for (const who of ['investigator', 'prosecutor', 'court'] as const)
      await as('POST', `/v1/cases/${caseId}/grants`, {
        sub: people[who].sub,
        agency: people[who].agency,
        role: who,
      });
    const upload = async (exhibitNumber: string, description: string, filename: string) => {
      const form = new FormData();
      form.append(
        'metadata',
        JSON.stringify({
          exhibitNumber,
          description,
          source: 'Şübhəlinin iş yeri, Nizami küç. 12',
          acquiredAt: '2026-11-20T09:30:00+04:00',
          acquiredBy: 'R. Məmmədov',
          acquisitionTool: 'FTK Imager 4.7',
        }),
      );
      form.append('file', new Blob([randomBytes(300_000)]), filename);
      const answer = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${clerk}` },
        body: form,
      });
      return ((await answer.json()) as { evidence: { id: string } }).evidence.id;
    };
    const laptop = await upload('EX-1', 'Noutbukun disk obrazı (Lenovo T14)', 'laptop.E01');
    const phone = await upload('EX-2', 'Telefonun məntiqi surəti (Samsung A54)', 'phone.zip');
    await as('POST', `/v1/evidence/${laptop}/events`, {
      type: 'custody.sealed',
      purpose: 'Hadisə yerində möhürləndi',
      sealNumber: 'AZ-S-000731',
    });
    await as('POST', `/v1/evidence/${phone}/events`, {
      type: 'custody.transferred',
      purpose: 'Sübutlar anbarına',
      counterparty: { agency: agencies.store },
    });
    const orderId = await executedRequestFor(service, clerk, agencies.partner, [laptop]);
    // Orders with their deadlines running, for the prosecutor's list.
    const requester = await service.token(uniqueSub('bka-desk'), agencies.partner, 'partner');
    await submitOrder(service, requester, art42Body());
    await submitOrder(service, clerk, domesticPreservationBody(caseId));
    const disclosed = await as('POST', `/v1/cases/${caseId}/disclosures`, {
      recipientAgency: agencies.partner,
      evidenceIds: [laptop],
      orderId,
      conditions: 'Yalnız sorğuda göstərilən icraat üçün',
    });
    pages.investigator = `/cases/${caseId}`;
    pages.custodian = '/inbox';
    pages.prosecutor = '/orders';
    pages.partner = `/disclosures/${disclosed.disclosure.id}`;
    pages.court = `/evidence/${laptop}`;
  }

  for (const who of ['investigator', 'custodian', 'prosecutor', 'partner', 'court'] as const) {
    it(`when the ${who} reads their first page in each language, then it is in that language throughout`, async () => {
      let problems: string[] = [];
      const { context, page } = await world.signIn(browser, who, {
        watch: (watched) => {
          problems = watchProblems(watched, service.url);
        },
      });
      await page.setViewportSize({ width: 1280, height: 800 });
      const seen: Record<string, string> = {};
      for (const lang of LANGUAGES) {
        await page.getByRole('combobox').first().selectOption(lang);
        await page.goto(`${service.url}${pages[who]}`);
        if (who === 'partner') {
          // The partner's page with its package downloaded and checked in the browser.
          await page.locator('[data-testid="disclosure-package"] button.primary').click();
          await page.locator('[data-verdict="pass"]').waitFor();
        }
        await settled(page);
        expect(await page.getAttribute('html', 'lang')).to.equal(lang);
        // The words as the reader sees them (innerText: laid out, so separate elements stay separate
        // words), without identifiers, digests and keys.
        // biome-ignore lint/performance/useDomNodeTextContent: textContent runs neighbouring elements' words together.
        let text = await page.locator('#content').innerText();
        for (const code of await page.locator('#content code').allInnerTexts()) text = text.replace(code, '');
        text = text.replace(/[\w+/=-]{16,}/g, ''); // key material shown inline (a receipt key's x)
        // A message key shown as text (`verifyTitle`, `status_in_custody`) means a missing translation.
        expect(
          text.match(/(?<!\p{L})(?:[a-z]{2,}(?:[A-Z][a-z]{2,})+|[a-z]+_[a-z_]+)(?!\p{L})/gu) ?? [],
          `${lang}: untranslated`,
        ).to.deep.equal([]);
        seen[lang] = await page.locator('#content').evaluate((node) => node.textContent ?? '');
        await save(page, `console-${who}-${lang}`);
      }
      expect(new Set(Object.values(seen)).size, 'each language reads differently').to.equal(LANGUAGES.length);
      expect(problems).to.deep.equal([]);
      await context.close();
    });
  }
});

/** Waits until nothing on the page is loading or being checked. */
async function settled(page: Page): Promise<void> {
  await page.locator('[aria-busy="true"], .check.pending, .working').first().waitFor({ state: 'detached' });
  await page.waitForLoadState('networkidle');
}

async function save(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SCREENSHOTS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
