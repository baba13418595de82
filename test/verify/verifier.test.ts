import path from 'node:path';
import { expect } from 'chai';
import { build } from 'esbuild';
import { parseVerifierKey } from '../../src/ledger';
import { type Bundle, type DisclosedEntry, VERIFY_CODES, verifyBundle } from '../../src/verify';
import { launchChromium } from '../support/browser';
import { buildCorpus, type Corpus } from './corpus';
import { revealCorpus, runCorpus } from './run-corpus';

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

  describe('what a reader of version 2 entries is shown', () => {
    const shown = (name: string, change: (bundle: Bundle) => Bundle = (bundle) => bundle) => {
      const found = corpus.cases.find((one) => one.name === name);
      if (found?.kind !== 'bundle') throw new Error(`no bundle case "${name}"`);
      const result = verifyBundle(change(found.input), {
        jwks: corpus.jwks,
        logKey: parseVerifierKey(corpus.vkey),
      });
      return { valid: result.valid, entries: result.entries };
    };
    const fields = (entry: DisclosedEntry | undefined) => ({
      actor: Object.keys(entry?.actor ?? {}).sort(),
      data: Object.keys(entry?.data ?? {}).sort(),
      withheld: entry?.withheld,
    });

    it('when every disclosure is given, then every field shows with its value and none is withheld', () => {
      const { valid, entries } = shown(
        'version 2 entries with every disclosure, beside the report that gives them',
      );
      expect(valid).to.equal(true);
      expect(entries.map((entry) => [entry.index, entry.v, entry.seq, entry.type])).to.deep.equal([
        [0, 2, 1, 'evidence.acquired'],
        [1, 2, 2, 'custody.transferred'],
        [2, 2, 3, 'custody.received'],
        [3, 2, 4, 'report.issued'],
      ]);
      expect(entries.map((entry) => entry.withheld)).to.deep.equal(Array(4).fill({ actor: 0, data: 0 }));
      expect(entries[0]?.actor).to.deep.equal({
        agency: 'AZ-SSS',
        role: 'investigator',
        sub: 'investigator-1',
      });
      expect(fields(entries[0]).data).to.deep.equal(['examiner', 'seizedFrom', 'sha256', 'sha512', 'size']);
      expect(entries[0]?.data.examiner).to.equal('K. Aliyev');
      expect(entries[1]?.data).to.deep.equal({ purpose: 'to the lab', counterparty: { agency: 'AZ-LAB' } });
    });

    it('when some are given, then the others are counted as withheld and not shown', () => {
      const { valid, entries } = shown('version 2 entries with some of their fields disclosed');
      expect(valid).to.equal(true);
      expect(entries.map(fields)).to.deep.equal([
        {
          actor: ['agency', 'role'],
          data: ['examiner', 'seizedFrom', 'sha256', 'sha512', 'size'],
          withheld: { actor: 1, data: 0 },
        },
        { actor: ['agency', 'role'], data: ['counterparty', 'purpose'], withheld: { actor: 1, data: 0 } },
        { actor: ['agency', 'role'], data: ['purpose'], withheld: { actor: 1, data: 1 } },
        { actor: ['agency', 'role'], data: ['format'], withheld: { actor: 1, data: 0 } },
      ]);
    });

    it('when none is given, then only the public fields show and every digest counts as withheld', () => {
      const { valid, entries } = shown('version 2 entries with nothing disclosed');
      expect(valid).to.equal(true);
      expect(entries.map(fields)).to.deep.equal([
        { actor: ['agency', 'role'], data: ['sha256', 'sha512', 'size'], withheld: { actor: 1, data: 2 } },
        { actor: ['agency', 'role'], data: [], withheld: { actor: 1, data: 2 } },
        { actor: ['agency', 'role'], data: [], withheld: { actor: 1, data: 2 } },
        { actor: ['agency', 'role'], data: ['format'], withheld: { actor: 1, data: 0 } },
      ]);
    });

    it('when a package has no disclosures files, then the signed report’s disclosures are shown', () => {
      const { valid, entries } = shown(
        'version 2 entries with every disclosure, beside the report that gives them',
        ({ disclosures: _files, ...bundle }) => bundle,
      );
      expect(valid).to.equal(true);
      expect(entries.map((entry) => entry.withheld)).to.deep.equal(Array(4).fill({ actor: 0, data: 0 }));
    });

    it('when a disclosure fails, then its field stays withheld and the others are shown', () => {
      const { valid, entries } = shown('an altered disclosure: the same salt and field, another value');
      expect(valid).to.equal(false);
      expect(entries[1]?.data).to.deep.equal({ counterparty: { agency: 'AZ-LAB' } });
      expect(entries[1]?.withheld).to.deep.equal({ actor: 1, data: 1 });
    });

    it('when an entry commits to two values for one field and both are given, then neither is shown', () => {
      const { valid, entries } = shown(
        'two disclosures of one field, an entry committing to both (by the log key holder)',
      );
      expect(valid).to.equal(false);
      expect(entries[0]?.data).to.deep.equal({});
      expect(entries[0]?.withheld).to.deep.equal({ actor: 1, data: 2 });
    });

    it('when the entries are version 1, then everything shows and nothing is withheld', () => {
      const { entries } = shown('a complete package verifies');
      expect(entries).to.have.length(6);
      for (const entry of entries) {
        expect(entry.v).to.equal(1);
        expect(entry.actor.sub).to.equal('investigator-1');
        expect(entry.withheld).to.deep.equal({ actor: 0, data: 0 });
      }
    });
  });

  it('when the same cases run in headless Chromium, then it gives the same answers as Node', async function () {
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
    const browser = await launchChromium(this);
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><title>verifier</title>');
      await page.addScriptTag({ content: script });
      const answers = await page.evaluate(
        (input) => {
          const { verifier } = globalThis as unknown as {
            verifier: { runCorpus(c: unknown): unknown; revealCorpus(c: unknown): unknown };
          };
          return { codes: verifier.runCorpus(input), shown: verifier.revealCorpus(input) };
        },
        JSON.parse(JSON.stringify(corpus)),
      );
      expect(answers.codes).to.deep.equal(expectedOf(corpus));
      expect(answers.shown).to.deep.equal(JSON.parse(JSON.stringify(revealCorpus(corpus))));
    } finally {
      await browser.close();
    }
  });
});
