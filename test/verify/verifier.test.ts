import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { VERIFY_CODES } from '../../src/verify';
import { buildCorpus, type Corpus } from './corpus';
import { runCorpus } from './run-corpus';

const CHROMIUM = '/usr/bin/chromium';

function expectedOf(corpus: Corpus): Record<string, string[]> {
  return Object.fromEntries(corpus.cases.map((one) => [one.name, [...one.expected].sort()]));
}

describe('the verifier against the tampered-bundle corpus', function () {
  this.timeout(120_000);
  let corpus: Corpus;

  before(async () => {
    corpus = await buildCorpus();
  });

  it('when every case runs in Node, then each good one verifies and each bad one fails with exactly its codes', () => {
    expect(corpus.cases.length).to.be.at.least(45);
    expect(runCorpus(corpus)).to.deep.equal(expectedOf(corpus));
  });

  it('when the corpus is taken together, then every failure code of the verifier is exercised', () => {
    const exercised = new Set(corpus.cases.flatMap((one) => one.expected));
    expect(VERIFY_CODES.filter((code) => !exercised.has(code))).to.deep.equal([]);
  });

  it('when the same cases run in headless Chromium, then it gives the same answers as Node', async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.INTEROP_REQUIRED === '1')
        throw new Error('INTEROP_REQUIRED=1 but /usr/bin/chromium is missing');
      this.skip();
    }
    // The TypeScript sources, bundled for a browser: no Node module may be reachable from the verifier.
    const bundled = await build({
      entryPoints: [path.join(__dirname, '..', '..', '..', 'test', 'verify', 'run-corpus.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'iife',
      globalName: 'verifier',
      logLevel: 'silent',
    });
    const script = bundled.outputFiles[0]?.text as string;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox'],
    });
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><title>verifier</title>');
      await page.addScriptTag({ content: script });
      const answers = await page.evaluate(
        (input) =>
          (globalThis as unknown as { verifier: { runCorpus(c: unknown): unknown } }).verifier.runCorpus(
            input,
          ),
        JSON.parse(JSON.stringify(corpus)),
      );
      expect(answers).to.deep.equal(expectedOf(corpus));
    } finally {
      await browser.close();
    }
  });
});
