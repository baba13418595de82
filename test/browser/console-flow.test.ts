import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { unzipSync, zipSync } from 'fflate';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, watchProblems } from '../support/browser';
import { type ConsolePerson, type ConsoleWorld, startConsoleWorld } from '../support/console';
import { executedRequestFor } from '../support/fixtures';
import { mlaBody, movedThrough, submitOrder } from '../support/order-requests';
import { type TestService, uniqueSub } from '../support/service';

const FIFTY_MB = 50 * 1024 * 1024;
/** Upload bandwidth while the test reloads mid-upload: slow enough to be caught half-way. */
const THROTTLED_BYTES_PER_SECOND = 6 * 1024 * 1024;

/**
 * The console end to end, in Chromium, each person signing in at a real
 * OpenID provider: an investigator opens a case and uploads 50 MB (reloading
 * half-way and continuing), transfers it; the custodian acknowledges it; a
 * prosecutor discloses it under an executed request, and consults on and
 * refuses another request with the moves the order page offers; the partner downloads
 * the package and verifies it in the browser; a court opens the report.
 */
describe('the console, end to end in a browser', function () {
  this.timeout(300_000);
  let world: ConsoleWorld;
  let browser: Browser;
  let dir: string;
  const problems: string[][] = [];
  const requested: string[] = [];
  const state: { caseId?: string; evidenceId?: string; orderId?: string } = {};
  // Filled in by `before` from the world's cast.
  let service: TestService;
  let people: ConsoleWorld['people'];
  let desk: string;
  let central: string;
  let store: string;
  let partnerAgency: string;
  let courtAgency: string;

  before(async function () {
    browser = await launchChromium(this);
    dir = await mkdtemp(path.join(os.tmpdir(), 'console-flow-'));
    world = await startConsoleWorld();
    ({ service, people, desk } = world);
    ({ central, store, partner: partnerAgency, court: courtAgency } = world.agencies);
  });
  after(async () => {
    await browser?.close();
    await world?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(problems.flat(), 'errors in the console').to.deep.equal([]);
    // The token travels in headers only: no address the console asked for carries it.
    expect(requested.filter((url) => /access_token|id_token|eyJ[\w-]+\.eyJ/.test(url))).to.deep.equal([]);
  });

  /** A fresh browser profile for `who`, signed in, its errors and requests watched. */
  function signIn(who: ConsolePerson): Promise<{ context: BrowserContext; page: Page }> {
    return world.signIn(browser, who, {
      watch: (page) => {
        problems.push(watchProblems(page, service.url));
        page.on('request', (request) => requested.push(request.url()));
      },
    });
  }

  it('when an investigator signs in, opens a case, uploads 50 MB (reloading half-way) and transfers it, then every step shows and every receipt verifies in the browser', async () => {
    const { context, page } = await signIn('investigator');
    await page.waitForURL(`${service.url}/cases`);
    await page.getByText('Open a case').click();
    await page.getByLabel('Reference').fill('AZ-2026-0042');
    await page.getByLabel('Title').fill('Fişinq şəbəkəsi, Bakı');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
    state.caseId = page.url().split('/').pop();

    // Members: the prosecutor who will disclose, the central authority's desk that executes the
    // partner's request, and the court that will read the report.
    for (const [sub, agency, role] of [
      [people.prosecutor.sub, central, 'prosecutor'],
      [desk, central, 'prosecutor'],
      [people.court.sub, courtAgency, 'court'],
    ] as const) {
      const form = page.getByRole('form', { name: 'Add a member' });
      await form.getByLabel('Agency code').fill(agency);
      await form.getByLabel('Person (subject)').fill(sub);
      await form.getByLabel('Role').selectOption(role);
      await form.getByRole('button', { name: 'Add a member' }).click();
      await page
        .getByTestId('case-notice')
        .filter({ hasText: `Membership granted to ${sub} (${agency}).` })
        .waitFor();
    }

    const file = path.join(dir, 'laptop.img');
    await writeFile(file, randomBytes(FIFTY_MB));
    const upload = page.getByRole('form', { name: 'Upload an exhibit' });
    await upload.getByLabel('File').setInputFiles(file);
    await upload.getByLabel('Exhibit number').fill('EX-1');
    await upload.getByLabel('Acquired at').fill('2026-11-29T10:30');
    await upload.getByLabel('Description').fill('Disk image of the seized laptop');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: THROTTLED_BYTES_PER_SECOND,
    });
    await upload.getByRole('button', { name: 'Upload' }).click();
    // Half-way through sending, the page is reloaded.
    const sending = page.locator('[data-testid="upload-progress"]:has(progress[aria-label="Sending"])');
    await until(async () => {
      const percent = Number((await sending.getAttribute('data-percent').catch(() => null)) ?? 0);
      return percent >= 30 && percent < 100;
    });
    await page.reload();
    const unfinished = page.getByTestId('upload-unfinished');
    await unfinished.waitFor();
    const held = Number(await unfinished.getByTestId('upload-progress').getAttribute('data-percent'));
    expect(held).to.be.within(1, 99);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const creations: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/v1/uploads')) creations.push(request.url());
    });
    const again = page.getByRole('form', { name: 'Upload an exhibit' });
    await again.getByLabel('File').setInputFiles(file);
    await again.getByLabel('Exhibit number').fill('EX-1');
    await again.getByLabel('Acquired at').fill('2026-11-29T10:30');
    await again.getByLabel('Description').fill('Disk image of the seized laptop');
    await again.getByRole('button', { name: 'Upload' }).click();
    await page
      .getByTestId('case-notice')
      .filter({ hasText: 'Stored EX-1; its receipt was verified in this browser.' })
      .waitFor();
    expect(creations, 'the upload continued rather than starting over').to.deep.equal([]);
    const rows = page.getByTestId('evidence-row');
    await rows.first().waitFor();
    expect(await rows.count()).to.equal(1);
    state.evidenceId = (await rows.first().getAttribute('data-evidence-id')) ?? undefined;

    await rows.first().getByRole('link').click();
    await page.waitForURL(`${service.url}/evidence/${state.evidenceId}`);
    const handling = page.getByRole('form', { name: 'Record handling' });
    await handling.getByLabel('Purpose').fill('To the evidence store');
    await handling.getByLabel('Receiving agency').fill(store);
    await handling.getByRole('button', { name: 'Record' }).click();
    await page
      .getByTestId('evidence-notice')
      .filter({ hasText: 'Recorded; its receipt verified in this browser.' })
      .waitFor();
    await expectTimelineVerified(page, ['evidence.acquired', 'custody.transferred']);
    await context.close();
  });

  it('when the custodian signs in, then the transfer waits in the inbox and acknowledging it hands the item over', async () => {
    const { context, page } = await signIn('custodian');
    await page.waitForURL(`${service.url}/inbox`);
    const row = page.locator(`[data-testid="inbox-row"][data-evidence-id="${state.evidenceId}"]`);
    await row.getByRole('button', { name: 'Acknowledge receipt of EX-1' }).click();
    await row.getByLabel('Purpose').fill('Stored in locker 7');
    await row.getByRole('button', { name: 'Record receipt' }).click();
    await row.waitFor({ state: 'detached' });
    await page.goto(`${service.url}/evidence/${state.evidenceId}`);
    await page.getByTestId('holder').filter({ hasText: store }).waitFor();
    await expectTimelineVerified(page, ['evidence.acquired', 'custody.transferred', 'custody.received']);
    await context.close();
  });

  it('when the prosecutor discloses the item under the executed request, then the disclosure is listed with its order', async () => {
    state.orderId = await executedRequestFor(
      service,
      await service.token(desk, central, 'prosecutor'),
      partnerAgency,
      [state.evidenceId as string],
    );
    const { context, page } = await signIn('prosecutor');
    await page.goto(`${service.url}/cases/${state.caseId}`);
    const form = page.getByRole('form', { name: 'Disclose to a partner' });
    await form.getByLabel('Recipient agency code').fill(partnerAgency);
    await form.getByLabel(/EX-1/).check();
    await form.getByLabel('Order').selectOption(state.orderId);
    await form.getByLabel('Conditions').fill('For the proceedings named in the request only');
    await form.getByRole('button', { name: 'Disclose to a partner' }).click();
    await page.getByTestId('case-notice').filter({ hasText: 'Disclosure created.' }).waitFor();
    await page.getByTestId('case-disclosures').getByRole('link', { name: partnerAgency }).waitFor();
    await context.close();
  });

  it('when the prosecutor opens a UN MLA request under assessment, then the page offers the moves the service allows, consults the requester before the refusal, and reads the order’s notifications by order', async () => {
    const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
    const id = await submitOrder(service, partner, mlaBody());
    await movedThrough(service, id, await service.token(desk, central, 'prosecutor'), ['under_assessment']);
    const { context, page } = await signIn('prosecutor');
    const asked: string[] = [];
    page.on('request', (request) =>
      asked.push(new URL(request.url()).pathname + new URL(request.url()).search),
    );
    await page.goto(`${service.url}/orders/${id}`);
    const moves = page.getByTestId('order-moves');
    await moves.locator('[data-move="refused"]').waitFor();
    const offered = await moves
      .locator('[data-move]')
      .evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-move')));
    // Not a confidential request: no notice that its confidentiality cannot be kept.
    expect(offered).to.have.members(['accepted', 'refused', 'postponed', 'info_requested', 'withdrawn']);
    // The desk is told of deadlines, not of the receipt: the page asks for this order's notifications alone.
    await page.getByText('No notifications about this order.').waitFor();
    expect(asked.filter((url) => url.startsWith('/v1/notifications'))).to.deep.equal([
      `/v1/notifications?orderId=${id}&limit=100`,
    ]);

    const consult = page.getByRole('form', { name: 'Consult the requesting state' });
    await consult.getByLabel('Execution under conditions').check();
    await consult
      .getByLabel('Message to the requester')
      .fill('Could execution under conditions meet the concern?');
    await consult.getByRole('button', { name: 'Record consultation' }).click();
    await consult.waitFor({ state: 'detached' });
    await moves.locator('[data-move="refused"]').click();
    const refusal = page.getByRole('form', { name: 'Record the move' });
    await refusal.getByLabel('Ground').selectOption('ESSENTIAL_INTERESTS');
    await refusal.getByLabel('Reason').fill('Execution would prejudice essential interests');
    await refusal.getByRole('button', { name: 'Record move' }).click();
    await page.locator(`[data-testid="order"][data-status="refused"]`).waitFor();
    await context.close();
  });

  it('when the partner signs in, then it finds the package, downloads it and the console verifies it; the verify.html inside verifies it from file:// offline and fails a tampered copy', async () => {
    const { context, page } = await signIn('partner');
    await page.goto(`${service.url}/disclosures`);
    await page.getByTestId('disclosure-row').getByRole('link').first().click();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download package' }).click();
    const check = page.getByTestId('package-verify-slot').locator('[data-verdict]');
    await check.waitFor({ timeout: 120_000 });
    expect(await check.getAttribute('data-verdict')).to.equal('pass');
    await page.getByTestId('package-save').click();
    const zip = path.join(dir, 'package.zip');
    await (await download).saveAs(zip);
    await context.close();

    // The page in the package, from the disk, with the network off: the partner's own copy of the log key.
    const files = unzipSync(new Uint8Array(await readFile(zip)));
    const pageName = Object.keys(files).find((name) => name.endsWith('/verify.html')) as string;
    const pageFile = path.join(dir, 'verify.html');
    await writeFile(pageFile, files[pageName] as Uint8Array);
    const vkey = (await service.call('GET', '/v1/log/info')).body.vkey as string;
    const jwks = (await service.call('GET', '/.well-known/jwks.json')).text;
    const dataFile = Object.keys(files).find(
      (name) => /\/data\/.+/.test(name) && name.endsWith('.bin'),
    ) as string;
    const tampered = { ...files, [dataFile]: flipFirstByte(files[dataFile] as Uint8Array) };
    const offline = await browser.newContext({ offline: true });
    const urls: string[] = [];
    offline.on('request', (request) => urls.push(request.url()));
    const verifier = await offline.newPage();
    const verdictOf = async (file: string) => {
      await verifier.goto(pathToFileURL(pageFile).href);
      await verifier.setInputFiles('#package-file', file);
      // The page reads the file before it can check it: wait until it says it holds it.
      await verifier.locator('[data-chosen="package-file"] button').waitFor({ timeout: 60_000 });
      await verifier.fill('#vkey', vkey);
      await verifier.fill('#jwks', jwks);
      await verifier.click('#verify');
      // Hashing 50 MB in the page takes a while on a busy machine.
      await verifier.waitForSelector('[data-verdict]', { timeout: 120_000 });
      return verifier.getAttribute('[data-verdict]', 'data-verdict');
    };
    expect(await verdictOf(zip)).to.equal('pass');
    const tamperedZip = path.join(dir, 'tampered.zip');
    await writeFile(tamperedZip, zipSync(tampered, { level: 0 }));
    expect(await verdictOf(tamperedZip)).to.equal('fail');
    expect(new Set(urls)).to.deep.equal(new Set([pathToFileURL(pageFile).href]));
    await offline.close();
  });

  it('when the court signs in, then it opens the case granted to it, the PDF report, and verifies the signed report in the browser', async () => {
    const { context, page } = await signIn('court');
    await page.waitForURL(`${service.url}/cases`);
    await page.getByTestId('cases').getByRole('link', { name: 'AZ-2026-0042' }).click();
    await page.getByTestId('evidence-row').getByRole('link', { name: 'EX-1' }).click();
    await expectTimelineVerified(page, ['evidence.acquired', 'custody.transferred', 'custody.received']);
    const pdf = page.waitForResponse((response) => response.url().includes('/report.pdf'));
    await page.getByRole('button', { name: 'Open the PDF report' }).click();
    const answer = await pdf;
    expect(answer.status()).to.equal(200);
    expect(answer.headers()['content-type']).to.equal('application/pdf');
    expect(await page.getByTestId('report-pdf').getAttribute('src')).to.match(/^blob:/);
    await page.getByRole('button', { name: 'Verify the signed report in this browser' }).click();
    const verdict = page.getByTestId('report-verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-valid')).to.equal('true');
    await context.close();
  });
});

/** Every entry of the timeline, in order, once each receipt was checked in the page: all green. */
async function expectTimelineVerified(page: Page, types: readonly string[]): Promise<void> {
  const entries = page.getByTestId('timeline-entry');
  const states = () =>
    entries.evaluateAll((all) =>
      all.map((entry) => [entry.getAttribute('data-type'), entry.getAttribute('data-check')]),
    );
  await until(async () => {
    const now = await states();
    return now.length >= types.length && now.every(([, check]) => check !== 'pending');
  });
  const seen = await states();
  expect(seen.filter(([type]) => types.includes(String(type)))).to.deep.equal(
    types.map((type) => [type, 'ok']),
  );
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function flipFirstByte(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[0] = (copy[0] ?? 0) ^ 0xff;
  return copy;
}
