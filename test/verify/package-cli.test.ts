import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'chai';
import { utf8 } from '../../src/ledger';
import { type TagFile, writeBag } from '../../src/reports/bagit';
import type { Bundle } from '../../src/verify';
import { runScript } from '../support/script';
import { buildCorpus, type Corpus, EXHIBIT_C } from './corpus';

/*
 * `npm run verify -- package` on packages of version 2 entries: the
 * disclosures files are read from the bag, checked by the verifier, and each
 * proven entry is printed as its recipient may read it.
 */

const json = (value: unknown) => utf8(`${JSON.stringify(value, null, 2)}\n`);

/** A BagIt zip (formats.md §6) holding a corpus bundle's parts under their names, and item C's bytes. */
async function packageOf(corpus: Corpus, bundle: Bundle, file: string): Promise<void> {
  const payload = bundle.payloads?.[0];
  if (!payload) throw new Error('the bundle has no payload');
  const tags: TagFile[] = [
    { path: 'jwks.json', bytes: json(corpus.jwks) },
    { path: 'log.vkey', bytes: utf8(`${corpus.vkey}\n`) },
    {
      path: 'custody.jsonld',
      bytes: json({ '@context': { '@vocab': 'https://example.org/custody#' }, file: payload.path }),
    },
    ...bundle.receipts.map(({ name, jws }) => ({ path: name, bytes: utf8(`${jws}\n`) })),
    ...(bundle.proofs ?? []).map(({ name, text }) => ({ path: name, bytes: utf8(String(text)) })),
    ...(bundle.reports ?? []).flatMap(({ name, jws, json: report }) => [
      { path: name, bytes: utf8(`${jws}\n`) },
      { path: name.replace(/\.jws$/, '.json'), bytes: json(report) },
    ]),
    ...(bundle.disclosures ?? []).map(({ name, value }) => ({ path: name, bytes: json(value) })),
  ];
  const bytes = Buffer.from(EXHIBIT_C);
  const bag = writeBag(
    'package',
    [{ ...payload, path: payload.path.replace(/^data\//, ''), open: () => Readable.from([bytes]) }],
    tags,
    { sourceOrganization: 'Corpus', externalIdentifier: 'corpus', baggingDate: '2026-11-20' },
  );
  await pipeline(bag, createWriteStream(file));
}

describe('verify -- package with disclosures of withheld fields', () => {
  let corpus: Corpus;
  let dir: string;
  const bundle = (name: string): Bundle => {
    const found = corpus.cases.find((one) => one.name === name);
    if (found?.kind !== 'bundle') throw new Error(`no bundle case "${name}"`);
    return found.input;
  };
  const verify = async (name: string) => {
    const file = path.join(dir, 'package.zip');
    await packageOf(corpus, bundle(name), file);
    return runScript('verify', ['package', file, '--vkey', corpus.vkey]);
  };

  before(async () => {
    corpus = await buildCorpus();
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-package-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when a package gives some disclosures, then it verifies and prints each entry with what was disclosed and how much is withheld', async () => {
    const run = await verify('version 2 entries with some of their fields disclosed');
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const entry = (index: number) => {
      const lines = run.stdout.split('\n');
      const at = lines.findIndex((line) => line.trim().startsWith(`entry ${index}:`));
      return lines.slice(at, at + 3).map((line) => line.trim());
    };
    expect(entry(1)[0]).to.match(
      /^entry 1: custody\.transferred of evidence:c3d4e5f6-\S+ seq 2 at 2026-11-20T09:01:00\.000Z$/,
    );
    expect(entry(1).slice(1)).to.deep.equal([
      'actor agency="AZ-SSS" role="investigator"  (1 withheld)',
      'data  purpose="to the lab" counterparty={"agency":"AZ-LAB"}',
    ]);
    expect(entry(2).slice(1)).to.deep.equal([
      'actor agency="AZ-SSS" role="investigator"  (1 withheld)',
      'data  purpose="received at the lab"  (1 withheld)',
    ]);
    expect(entry(3)[2]).to.equal('data  format="json"');
    // Withheld values never reach the output.
    expect(run.stdout).to.not.include('investigator-1');
    expect(run.stdout).to.not.include('seal intact');
  });

  it('when nothing is disclosed, then every entry still verifies and shows its withheld fields counted', async () => {
    const run = await verify('version 2 entries with nothing disclosed');
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^ {7}data {2}- {2}\(2 withheld\)$/m);
  });

  it('when a disclosure in the package was altered, then it fails naming the disclosure and the report that disagrees', async () => {
    const run = await verify('an altered disclosure beside the signed report that gives the genuine one');
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/^FAIL DISCLOSURE_UNMATCHED disclosures\/1\.json\[0\]: /m);
    expect(run.stdout).to.match(/^FAIL REPORT_ENTRIES_MISMATCH reports\/c3d4e5f6-\S+\.jws: /m);
    expect(run.stdout).to.not.include('to the incinerator');
  });
});
