import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { expect } from 'chai';
import { unzipSync, zipSync } from 'fflate';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { encodeVerifierKey, parseVerifierKey, toHex } from '../../src/ledger';
import { launchChromium } from '../support/browser';
import { disclosurePackage, type MadePackage } from '../support/packages';
import { startTestService, type TestService, uniqueAgency } from '../support/service';

interface PageFile {
  readonly name: string;
  readonly mimeType: string;
  readonly buffer: Buffer;
}

/** A zip's entries, changed by `change`, zipped again uncompressed as the service writes bags. */
function rezip(bytes: Buffer, change: (files: Record<string, Uint8Array>) => void): Buffer {
  const files = unzipSync(bytes);
  change(files);
  return Buffer.from(zipSync(files, { level: 0 }));
}

/** The claims of a compact JWS, unverified: which entry a receipt in a package is about. */
function claimsOf(jws: Uint8Array): { index: number; entry: { seq: number; subject: { id: string } } } {
  const payload = Buffer.from(jws).toString('utf8').trim().split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

describe('the browser verifier page, served at /verify and carried in every package as verify.html', function () {
  this.timeout(180_000);
  let service: TestService;
  let browser: Browser;
  let made: MadePackage;
  let vkey: string;
  let jwks: string;
  let dir: string;
  const central = uniqueAgency('SSS');

  before(async function () {
    browser = await launchChromium(this);
    service = await startTestService({ CENTRAL_AUTHORITY: central });
    made = await disclosurePackage(service, central, ['actor.sub', 'location']);
    vkey = (await service.call('GET', '/v1/log/info')).body.vkey as string;
    jwks = (await service.call('GET', '/.well-known/jwks.json')).text;
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-verify-page-'));
  });
  after(async () => {
    await browser?.close();
    await service?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const zip = (buffer: Buffer = made.bytes): PageFile => ({
    name: made.name,
    mimeType: 'application/zip',
    buffer,
  });

  /** A fresh page at `url` (in `locale`), every request it makes recorded. */
  async function open(url: string, locale = 'en-GB') {
    const context: BrowserContext = await browser.newContext({
      locale,
      viewport: { width: 1280, height: 900 },
    });
    const requests: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    const page = await context.newPage();
    await page.goto(url);
    return { context, page, requests };
  }

  /** Gives the page `file` in the picker of `slot`, with the keys of `trust`, and waits for the verdict. */
  async function verify(
    page: Page,
    slot: 'package' | 'receipt' | 'report',
    file: PageFile,
    trust: { vkey: string; jwks: string } | 'enclosed' = { vkey, jwks },
  ): Promise<string> {
    await page.reload();
    await page.setInputFiles(`#${slot}-file`, file);
    // The page reads the file before it can check it: wait until it holds it (its clear button shows).
    await page.locator(`[data-chosen="${slot}-file"] button`).waitFor();
    if (trust === 'enclosed') await page.check('input[name="trust"][value="enclosed"]');
    else {
      await page.fill('#vkey', trust.vkey);
      await page.fill('#jwks', trust.jwks);
    }
    await page.click('#verify');
    await page.waitForSelector('[data-verdict]');
    return (await page.getAttribute('[data-verdict]', 'data-verdict')) as string;
  }

  /** Every row shown: its check, subject, state and codes. */
  const rowsOf = (page: Page) =>
    page.$$eval('[data-check]', (rows) =>
      rows.map((row) => ({
        check: row.getAttribute('data-check'),
        subject: row.getAttribute('data-subject'),
        state: row.getAttribute('data-state'),
        codes: (row.getAttribute('data-codes') ?? '').split(' ').filter(Boolean),
      })),
    );

  /** The package with the first item's seq 2 taken out: its receipt, proof and disclosures, and their tag manifest lines. */
  function withoutSecondEntry(): Buffer {
    return rezip(made.bytes, (files) => {
      const root = `${made.name.replace(/\.zip$/, '')}/`;
      const receipt = Object.keys(files).find((name) => {
        if (!/\/receipts\/\d+\.jws$/.test(name)) return false;
        const { entry } = claimsOf(files[name] as Uint8Array);
        return entry.subject.id === made.items[0] && entry.seq === 2;
      });
      expect(receipt, 'the first item has a second entry').to.be.a('string');
      const index = claimsOf(files[receipt as string] as Uint8Array).index;
      const gone = [`receipts/${index}.jws`, `proofs/${index}.tlog-proof`, `disclosures/${index}.json`];
      for (const name of gone) delete files[`${root}${name}`];
      const manifest = `${root}tagmanifest-sha256.txt`;
      const lines = Buffer.from(files[manifest] as Uint8Array)
        .toString('utf8')
        .split('\n')
        .filter((line) => !gone.some((name) => line.endsWith(`  ${name}`)));
      files[manifest] = Buffer.from(lines.join('\n'));
    });
  }

  /** The package with one byte of the first payload file changed; returns the file's path in the bag too. */
  function withChangedByte(): { buffer: Buffer; payload: string } {
    let payload = '';
    const buffer = rezip(made.bytes, (files) => {
      const name = Object.keys(files).find((one) => one.includes('/data/') && !one.endsWith('/')) as string;
      payload = name.slice(name.indexOf('/') + 1);
      const bytes = files[name] as Uint8Array;
      bytes[100] = (bytes[100] as number) ^ 0x01;
    });
    return { buffer, payload };
  }

  describe('served at /verify', () => {
    it('when a good package is checked with the pinned keys, then the verdict is pass, every check passed and is shown, and the page requested nothing but itself', async () => {
      const { context, page, requests } = await open(new URL('/verify', service.url).href);
      try {
        expect(await verify(page, 'package', zip())).to.equal('pass');
        const rows = await rowsOf(page);
        expect(rows.filter((row) => row.state !== 'pass')).to.deep.equal([]);
        const checks = new Set(rows.map((row) => row.check));
        for (const check of [
          'BAG_DECLARATION',
          'PAYLOAD_DIGESTS',
          'TAG_FILE_DIGEST',
          'RECEIPT',
          'PROOF',
          'REPORT',
        ])
          expect(checks, check).to.include(check);
        expect(rows.filter((row) => row.check === 'CHAIN').map((row) => row.subject)).to.include.members(
          made.items.map((id) => `evidence:${id}`),
        );
        expect(rows.filter((row) => row.check === 'PAYLOAD')).to.have.length(2);
        expect(await page.$$('[data-entry]')).to.have.length.greaterThan(4);
        expect(await page.getAttribute('[data-keys]', 'data-keys')).to.equal('pinned');
        expect(new Set(requests)).to.deep.equal(new Set([new URL('/verify', service.url).href]));
      } finally {
        await context.close();
      }
    });

    it('when a byte of a data file is changed, then the verdict is fail and that file shows PAYLOAD_DIGEST_MISMATCH', async () => {
      const { context, page } = await open(new URL('/verify', service.url).href);
      try {
        const { buffer, payload } = withChangedByte();
        expect(await verify(page, 'package', zip(buffer))).to.equal('fail');
        const rows = await rowsOf(page);
        expect(rows.find((row) => row.check === 'PAYLOAD' && row.subject === payload)).to.deep.include({
          state: 'fail',
          codes: ['PAYLOAD_DIGEST_MISMATCH'],
        });
        // The code is shown in words and as itself.
        const shown = await page.$(
          `[data-check="PAYLOAD"][data-state="fail"] [data-code="PAYLOAD_DIGEST_MISMATCH"] code`,
        );
        expect(await shown?.textContent()).to.equal('PAYLOAD_DIGEST_MISMATCH');
        expect(
          rows.find((row) => row.check === 'PAYLOAD_DIGESTS' && row.subject === payload)?.state,
        ).to.equal('fail');
      } finally {
        await context.close();
      }
    });

    it('when an entry is taken out of a chain, files and manifest lines and all, then the verdict is fail with CHAIN_INCOMPLETE on that chain', async () => {
      const { context, page } = await open(new URL('/verify', service.url).href);
      try {
        expect(await verify(page, 'package', zip(withoutSecondEntry()))).to.equal('fail');
        const rows = await rowsOf(page);
        expect(
          rows.find((row) => row.check === 'CHAIN' && row.subject === `evidence:${made.items[0]}`),
        ).to.deep.include({
          state: 'fail',
          codes: ['CHAIN_INCOMPLETE'],
        });
        expect(
          rows
            .filter((row) => row.check.startsWith('TAG') || row.check === 'BAG_DECLARATION')
            .every((row) => row.state === 'pass'),
        ).to.equal(true);
      } finally {
        await context.close();
      }
    });

    it('when a receipt, a court report PDF and a report’s JSON answer are checked, then each verifies, each check shown', async () => {
      const { context, page } = await open(new URL('/verify', service.url).href);
      try {
        const receipt = {
          name: 'receipt.jws',
          mimeType: 'application/jose',
          buffer: Buffer.from(made.receipt),
        };
        expect(await verify(page, 'receipt', receipt)).to.equal('pass');
        expect((await rowsOf(page)).map((row) => [row.check, row.state])).to.deep.equal(
          ['SIGNATURE', 'LEAF', 'CHECKPOINT', 'INCLUSION', 'ORIGIN'].map((check) => [
            `RECEIPT_${check}`,
            'pass',
          ]),
        );

        const pdf = await fetch(new URL(`/v1/evidence/${made.items[0]}/report.pdf`, service.url), {
          headers: { authorization: `Bearer ${made.prosecutor}` },
        });
        expect(pdf.status).to.equal(200);
        const report = {
          name: 'report.pdf',
          mimeType: 'application/pdf',
          buffer: Buffer.from(await pdf.arrayBuffer()),
        };
        expect(await verify(page, 'report', report)).to.equal('pass');
        const rows = await rowsOf(page);
        expect(rows.find((row) => row.check === 'REPORT')).to.deep.include({
          subject: 'report.jws',
          state: 'pass',
        });
        expect(rows.filter((row) => row.check === 'RECEIPT').length).to.be.greaterThan(2);

        const answer = await service.call('GET', `/v1/evidence/${made.items[1]}/report`, {
          token: made.prosecutor,
        });
        expect(answer.status).to.equal(200);
        const json = { name: 'report.json', mimeType: 'application/json', buffer: Buffer.from(answer.text) };
        expect(await verify(page, 'report', json)).to.equal('pass');
        expect((await rowsOf(page)).map((row) => [row.check, row.state])).to.deep.equal(
          ['SIGNATURE', 'JSON', 'CHECKPOINT', 'INCLUSION', 'CHAIN', 'DISCLOSURES'].map((check) => [
            `REPORT_${check}`,
            'pass',
          ]),
        );
      } finally {
        await context.close();
      }
    });

    it('when the pinned log key is another key of the same name, then the verdict is fail with CHECKPOINT_INVALID', async () => {
      const { context, page } = await open(new URL('/verify', service.url).href);
      try {
        const other = encodeVerifierKey(parseVerifierKey(vkey).name, ed25519.getPublicKey(randomBytes(32)));
        expect(await verify(page, 'package', zip(), { vkey: other, jwks })).to.equal('fail');
        const codes = (await rowsOf(page)).flatMap((row) => row.codes);
        expect(codes).to.include('CHECKPOINT_INVALID');
      } finally {
        await context.close();
      }
    });

    it('when the keys inside the package are chosen, then it verifies, says so, and shows the log key ID to compare', async () => {
      const { context, page } = await open(new URL('/verify', service.url).href);
      try {
        expect(await verify(page, 'package', zip(), 'enclosed')).to.equal('pass');
        expect(await page.$('[data-warning="enclosed-keys"]')).not.to.equal(null);
        expect(await page.getAttribute('[data-keys]', 'data-keys')).to.equal('enclosed');
        expect(await page.getAttribute('[data-log-key]', 'data-log-key')).to.equal(
          toHex(parseVerifierKey(vkey).keyId),
        );
      } finally {
        await context.close();
      }
    });

    it('when the package, the vkey and the JWKS are dropped on the page together, then each is told by its content and the package verifies; another file is named as unknown', async () => {
      const { context, page } = await open(new URL('/verify', service.url).href);
      try {
        const files = [
          { name: 'anything.bin', bytes: made.bytes },
          { name: 'log.vkey', bytes: Buffer.from(`${vkey}\n`) },
          { name: 'keys.json', bytes: Buffer.from(jwks) },
          { name: 'notes.txt', bytes: Buffer.from('not a ledger file') },
        ].map(({ name, bytes }) => ({ name, base64: bytes.toString('base64') }));
        // Evaluated in the page (this file is compiled without the DOM's types): a drop as a browser makes it.
        const transfer = await page.evaluateHandle(`(() => {
          const transfer = new DataTransfer();
          for (const { name, base64 } of ${JSON.stringify(files)}) {
            const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
            transfer.items.add(new File([bytes], name));
          }
          return transfer;
        })()`);
        await page.dispatchEvent('[data-drop-zone]', 'drop', { dataTransfer: transfer });
        await page.waitForSelector('[data-problem="error_unknownFile"]');
        await page.waitForSelector('[data-chosen="package-file"] button');
        expect(await page.inputValue('#vkey')).to.equal(vkey);
        expect(JSON.parse(await page.inputValue('#jwks'))).to.deep.equal(JSON.parse(jwks));
        await page.click('#verify');
        await page.waitForSelector('[data-verdict]');
        expect(await page.getAttribute('[data-verdict]', 'data-verdict')).to.equal('pass');
        expect(await page.getAttribute('[data-kind]', 'data-kind')).to.equal('package');
      } finally {
        await context.close();
      }
    });

    it('when the page is used with the keyboard alone, then Tab reaches every control, each labelled, and the live region says what is missing', async () => {
      const { context, page } = await open(new URL('/verify', service.url).href);
      try {
        const reached: Array<{ id: string; labelled: boolean }> = [];
        for (let i = 0; i < 10; i++) {
          await page.keyboard.press('Tab');
          reached.push(
            // Evaluated in the page (this file is compiled without the DOM's types).
            await page.evaluate<{ id: string; labelled: boolean }>(`(() => {
              const focused = document.activeElement;
              const labelled = (focused.labels?.length ?? 0) > 0 || focused.textContent.trim() !== '';
              return { id: focused.id || focused.name + '=' + focused.value, labelled };
            })()`),
          );
        }
        expect(reached.map((one) => one.id)).to.deep.equal([
          'language',
          'package-file',
          'receipt-file',
          'report-file',
          'trust=pinned',
          'vkey',
          'vkey-file',
          'jwks',
          'jwks-file',
          'verify',
        ]);
        expect(reached.filter((one) => !one.labelled)).to.deep.equal([]);
        await page.keyboard.press('Enter');
        expect(await page.getAttribute('[role="status"] [data-problem]', 'data-problem')).to.equal(
          'error_noInput',
        );
        expect(await page.getAttribute('[role="status"]', 'aria-live')).to.equal('polite');

        await page.setInputFiles('#package-file', zip());
        await page.focus('#verify');
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-problem="error_noKeys"]');
      } finally {
        await context.close();
      }
    });

    it('when the language is switched, then the page is in that language with the same checks, and the verdict label changes', async () => {
      const { context, page } = await open(new URL('/verify', service.url).href, 'az-AZ');
      try {
        expect(await page.getAttribute('html', 'lang')).to.equal('az');
        expect(await verify(page, 'package', zip())).to.equal('pass');
        const rows = await rowsOf(page);
        const labels: string[] = [];
        for (const language of ['az', 'en', 'ru']) {
          await page.selectOption('#language', language);
          await page.waitForSelector(`html[lang="${language}"]`);
          expect(await page.getAttribute('[data-verdict]', 'data-verdict')).to.equal('pass');
          expect(await rowsOf(page)).to.deep.equal(rows);
          labels.push((await page.textContent('.verdict-label')) ?? '');
        }
        expect(new Set(labels).size).to.equal(3);
        await screenshots(new URL('/verify', service.url).href);
      } finally {
        await context.close();
      }
    });
  });

  describe('verify.html from an unzipped package, opened from file:// with the network off', () => {
    let pageUrl: string;
    before(async () => {
      const files = unzipSync(made.bytes);
      const page = Object.keys(files).find((name) => name.endsWith('/verify.html')) as string;
      expect(page, 'the package carries verify.html').to.be.a('string');
      const file = path.join(dir, 'verify.html');
      await writeFile(file, files[page] as Uint8Array);
      pageUrl = pathToFileURL(file).href;
    });

    it('when the package is checked, then it verifies with the pinned keys and with its own, and no request leaves the page', async () => {
      const { context, page, requests } = await open(pageUrl);
      try {
        await context.setOffline(true);
        expect(await verify(page, 'package', zip())).to.equal('pass');
        expect(await verify(page, 'package', zip(), 'enclosed')).to.equal('pass');
        expect(new Set(requests)).to.deep.equal(new Set([pageUrl]));
      } finally {
        await context.close();
      }
    });

    it('when a tampered package is checked, then it fails with the code of each change, and no request leaves the page', async () => {
      const { context, page, requests } = await open(pageUrl);
      try {
        await context.setOffline(true);
        const changed = withChangedByte();
        expect(await verify(page, 'package', zip(changed.buffer), 'enclosed')).to.equal('fail');
        expect(
          (await rowsOf(page)).find((row) => row.subject === changed.payload && row.check === 'PAYLOAD')
            ?.codes,
        ).to.deep.equal(['PAYLOAD_DIGEST_MISMATCH']);
        expect(await verify(page, 'package', zip(withoutSecondEntry()), 'enclosed')).to.equal('fail');
        expect((await rowsOf(page)).flatMap((row) => row.codes)).to.include('CHAIN_INCOMPLETE');
        expect(new Set(requests)).to.deep.equal(new Set([pageUrl]));
      } finally {
        await context.close();
      }
    });
  });

  /**
   * With VERIFY_SCREENSHOTS=<dir>: the page after a good package and a tampered one, in English and Azerbaijani, wide and
   * on a phone, for people to look at (README's docs/verify-*.png come from these).
   */
  async function screenshots(url: string): Promise<void> {
    const out = process.env.VERIFY_SCREENSHOTS;
    if (!out) return;
    for (const language of ['en', 'az'])
      for (const width of [1280, 375]) {
        const context = await browser.newContext({ locale: language, viewport: { width, height: 900 } });
        try {
          const page = await context.newPage();
          await page.goto(url);
          await verify(page, 'package', zip());
          await page.screenshot({ path: path.join(out, `verify-${language}-${width}.png`), fullPage: true });
          await verify(page, 'package', zip(withChangedByte().buffer));
          await page.screenshot({
            path: path.join(out, `tampered-${language}-${width}.png`),
            fullPage: true,
          });
        } finally {
          await context.close();
        }
      }
  }
});
