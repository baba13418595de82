import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import jsonld from 'jsonld';
import { openBag, verifyBag } from '../../src/reports/bagit';
import {
  buildGoVerifier,
  DEBIAN_PYTHON,
  debianEnv,
  JWS_SCRIPT,
  missingInteropTools,
  runTool,
} from '../support/interop-tools';
import { disclosurePackage } from '../support/packages';
import { startTestService, type TestService, uniqueAgency } from '../support/service';

const UCO = 'https://ontology.unifiedcyberontology.org/uco/';
const CASE = 'https://ontology.caseontology.org/case/investigation/';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

/** The lines of a README section that are commands: indented by four spaces, between two headings. */
function commandsOf(readme: string, from: RegExp, to: RegExp): string[] {
  const english = readme.slice(readme.indexOf('(English)'));
  const start = english.search(from);
  const end = english.search(to);
  expect(start, `${from} in README.txt`).to.be.greaterThan(0);
  return english
    .slice(start, end)
    .split('\n')
    .filter((line) => /^ {4}\S/.test(line))
    .map((line) => line.trim());
}

/** One N-Quads line as [subject, predicate, object]; IRIs keep their angle brackets, literals their quotes. */
function triplesOf(nquads: string): Array<[string, string, string]> {
  return nquads
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const match = /^(\S+) (\S+) (.+) \.$/.exec(line);
      if (!match) throw new Error(`not an N-Quads line: ${line}`);
      return [match[1] as string, match[2] as string, match[3] as string];
    });
}

describe('disclosure packages as a partner uses them with standard tools', function () {
  this.timeout(120_000);
  let service: TestService;
  let dir: string;
  const central = uniqueAgency('SSS');
  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: central });
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-partner-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A package of two items with `facts` disclosed (test/support/packages.ts), saved under the name the service gives it. */
  async function packageFor(facts: readonly string[]) {
    const made = await disclosurePackage(service, central, facts);
    const file = path.join(dir, made.name);
    await writeFile(file, made.bytes);
    return {
      file,
      bagDir: path.join(dir, made.name.replace(/\.zip$/, '')),
      disclosureId: made.disclosureId,
      partnerAgency: made.partnerAgency,
    };
  }

  it('when a partner follows README.txt with unzip, sha256sum and sha512sum, then every file checks out, and a changed byte does not', async () => {
    const { file, bagDir, disclosureId, partnerAgency } = await packageFor([]);
    const bag = await openBag(file);
    let readme: string;
    try {
      const { checks } = await verifyBag(bag);
      expect(checks.filter((check) => !check.ok)).to.deep.equal([]);
      expect(checks.map((check) => check.name)).to.include('tag file README.txt matches the tag manifest');
      readme = (await bag.read('README.txt')).toString('utf8');
      expect(checks.map((check) => check.name)).to.include('tag file verify.html matches the tag manifest');
    } finally {
      bag.close();
    }
    const info = (await service.call('GET', '/v1/log/info')).body;
    for (const value of [disclosureId, partnerAgency, info.origin, 'verify.html'])
      expect(readme).to.include(value);
    for (const heading of ['(Azərbaycan dilində)', '(English)', '(на русском языке)'])
      expect(readme).to.include(heading);

    const commands = commandsOf(readme, /^1\. /m, /^2\. /m);
    expect(commands[0]).to.match(/^unzip /);
    expect(commands).to.include.members([
      'sha256sum -c manifest-sha256.txt',
      'sha512sum -c manifest-sha512.txt',
    ]);
    // Every language gives the same commands.
    for (const command of commands) expect(readme.split(`    ${command}\n`)).to.have.length(4);
    const script = commands.join('\n');
    const run = await runTool('sh', ['-e', '-c', script], '', { cwd: dir, env: debianEnv() });
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .filter((line) => !/^ *(Archive|creating|extracting|inflating)/.test(line));
    expect(lines.length).to.be.greaterThan(10);
    expect(lines.filter((line) => !line.endsWith(': OK'))).to.deep.equal([]);
    expect(lines).to.include('README.txt: OK');

    // The same checks fail on one changed byte of the payload.
    const payload = lines.find((line) => line.startsWith('data/'))?.replace(/: OK$/, '') as string;
    const bytes = await readFile(path.join(bagDir, payload));
    bytes[100] = (bytes[100] as number) ^ 0x01;
    await writeFile(path.join(bagDir, payload), bytes);
    const broken = await runTool('sh', ['-c', 'sha512sum -c manifest-sha512.txt'], '', {
      cwd: bagDir,
      env: debianEnv(),
    });
    expect(broken.code).to.equal(1);
    expect(broken.stdout).to.include(`${payload}: FAILED`);

    // The project's own verifier accepts the bag with its README.
    const verified = await verifyCli(['package', file, '--vkey', info.vkey]);
    expect(verified.code, verified.stdout).to.equal(0);
  });

  describe('with the independent interop tools', () => {
    let goVerifier = '';
    let workDir = '';
    before(async function () {
      this.timeout(180_000);
      const missing = await missingInteropTools();
      if (missing.length > 0) {
        if (process.env.INTEROP_REQUIRED === '1')
          throw new Error(
            `INTEROP_REQUIRED=1 but missing: ${missing.join('; ')}. Run scripts/install-interop-tools.sh`,
          );
        // The tools are installed by scripts/install-interop-tools.sh; CI sets
        // INTEROP_REQUIRED=1 so these never skip there.
        this.skip();
      }
      workDir = await mkdtemp(path.join(os.tmpdir(), 'custody-partner-go-'));
      goVerifier = await buildGoVerifier(workDir);
    });
    after(async () => {
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('when a partner runs the README’s receipt command and checks that receipt and its tlog-proof with jwcrypto and Go sumdb, then both verify against the package’s keys, and another leaf does not', async () => {
      const { file, bagDir } = await packageFor([]);
      const unzipped = await runTool('unzip', ['-q', file], '', { cwd: dir, env: debianEnv() });
      expect(unzipped.code, unzipped.stderr).to.equal(0);
      const readme = await readFile(path.join(bagDir, 'README.txt'), 'utf8');
      const [receiptCommand] = commandsOf(readme, /^2\. /m, /^3\. /m);
      expect(receiptCommand).to.match(/^python3 -c '.*' receipts\/\d+\.jws$/);
      const printed = await runTool('sh', ['-c', receiptCommand as string], '', {
        cwd: bagDir,
        env: debianEnv(),
      });
      expect(printed.code, printed.stderr).to.equal(0);
      const payload = JSON.parse(printed.stdout) as {
        iss: string;
        jti: string;
        index: number;
        tlog_proof: string;
      };
      expect(receiptCommand).to.include(`receipts/${payload.index}.jws`);

      // The interop tools, given only the package's files.
      const jwks = JSON.parse(await readFile(path.join(bagDir, 'jwks.json'), 'utf8'));
      const token = (await readFile(path.join(bagDir, `receipts/${payload.index}.jws`), 'utf8')).trim();
      const jws = await runTool(DEBIAN_PYTHON, ['-I', JWS_SCRIPT], JSON.stringify({ jwks, token }), {
        env: debianEnv(),
      });
      expect(JSON.parse(jws.stdout)).to.deep.include({ ok: true, payload });
      const [head, body, signature] = token.split('.') as [string, string, string];
      const forged = `${head}.${body}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
      const rejected = await runTool(
        DEBIAN_PYTHON,
        ['-I', JWS_SCRIPT],
        JSON.stringify({ jwks, token: forged }),
        {
          env: debianEnv(),
        },
      );
      expect(JSON.parse(rejected.stdout).ok).to.equal(false);

      const vkey = (await readFile(path.join(bagDir, 'log.vkey'), 'utf8')).trim();
      const bundle = await readFile(path.join(bagDir, `proofs/${payload.index}.tlog-proof`), 'utf8');
      expect(bundle).to.equal(payload.tlog_proof);
      const leafHash = Buffer.from(payload.jti, 'base64url').toString('base64');
      const otherLeaf = Buffer.from(randomBytes(32)).toString('base64');
      const go = await runTool(
        goVerifier,
        [],
        JSON.stringify({
          cases: [
            { id: 'receipt', kind: 'tlog-proof', vkey, bundle, leafHash },
            { id: 'other-leaf', kind: 'tlog-proof', vkey, bundle, leafHash: otherLeaf },
          ],
        }),
      );
      expect(go.code, go.stderr).to.equal(0);
      const [proven, other] = JSON.parse(go.stdout).results;
      expect(proven.ok, proven.error).to.equal(true);
      expect({ origin: proven.origin, index: proven.index }).to.deep.equal({
        origin: payload.iss,
        index: payload.index,
      });
      expect(other.ok).to.equal(false);
    });
  });

  it('when the package’s custody.jsonld is expanded and converted to RDF with jsonld, then every action links to a defined performer, object, instrument and provenance record, each defined once', async () => {
    const { file } = await packageFor(['actor.sub', 'location', 'acquisitionTool']);
    const bag = await openBag(file);
    let graph: { '@graph': Array<{ '@id': string }> };
    try {
      graph = JSON.parse((await bag.read('custody.jsonld')).toString('utf8'));
    } finally {
      bag.close();
    }
    const ids = graph['@graph'].map((node) => node['@id']);
    expect(new Set(ids).size).to.equal(ids.length);

    const offline = {
      documentLoader: async (url: string) => {
        throw new Error(`nothing is fetched: ${url}`);
      },
    };
    const expanded = await jsonld.expand(graph, offline);
    const nquads = (await jsonld.toRDF(expanded, { format: 'application/n-quads' })) as unknown as string;
    const triples = triplesOf(nquads);
    const subjects = new Set(triples.map(([subject]) => subject));
    const typesOf = (node: string) =>
      triples.filter(([s, p]) => s === node && p === `<${RDF_TYPE}>`).map(([, , type]) => type);
    const objectsOf = (node: string, predicate: string) =>
      triples.filter(([s, p]) => s === node && p === `<${predicate}>`).map(([, , object]) => object);

    const actions = triples
      .filter(([, p, o]) => p === `<${RDF_TYPE}>` && o === `<${CASE}InvestigativeAction>`)
      .map(([subject]) => subject);
    expect(actions.length).to.be.greaterThan(4);
    const located: string[] = [];
    for (const action of actions) {
      const linked = {
        performer: objectsOf(action, `${UCO}action/performer`),
        object: objectsOf(action, `${UCO}action/object`),
        instrument: objectsOf(action, `${UCO}action/instrument`),
        result: objectsOf(action, `${UCO}action/result`),
        location: objectsOf(action, `${UCO}action/location`),
      };
      for (const [link, targets] of Object.entries(linked)) {
        if (link !== 'location') expect(targets, `${action} ${link}`).to.have.length.greaterThan(0);
        for (const target of targets) {
          expect(target, `${action} ${link}`).to.match(/^<urn:custody-ledger:/);
          expect(subjects.has(target), `${action} ${link} ${target} is defined`).to.equal(true);
        }
      }
      expect(typesOf(linked.performer[0] as string)).to.satisfy((types: string[]) =>
        types.some((type) => [`<${UCO}identity/Person>`, `<${UCO}identity/Identity>`].includes(type)),
      );
      expect(typesOf(linked.object[0] as string)).to.deep.equal([`<${UCO}observable/File>`]);
      expect(typesOf(linked.result[0] as string)).to.deep.equal([`<${CASE}ProvenanceRecord>`]);
      for (const instrument of linked.instrument)
        expect(typesOf(instrument)).to.deep.equal([`<${UCO}tool/Tool>`]);
      for (const location of linked.location) {
        expect(typesOf(location)).to.deep.equal([`<${UCO}location/Location>`]);
        located.push(location);
      }
    }
    // The disclosed places are locations; the disclosed people perform; the acquisition tool is an instrument.
    expect(new Set(located).size).to.equal(2);
    expect(triples.some(([, , o]) => o === `<${UCO}identity/Person>`)).to.equal(true);
    expect(triples.filter(([, , o]) => o === `<${UCO}tool/Tool>`)).to.have.length(2);
  });

  it('when nothing beyond the chain is disclosed, then the graph names no person, place or acquisition tool, and performers are roles of agencies', async () => {
    const { file } = await packageFor([]);
    const bag = await openBag(file);
    let text: string;
    try {
      text = (await bag.read('custody.jsonld')).toString('utf8');
    } finally {
      bag.close();
    }
    const nodes = JSON.parse(text)['@graph'] as Array<{ '@type': string }>;
    const types = nodes.map((node) => node['@type']);
    expect(types).not.to.include('uco-identity:Person');
    expect(types).not.to.include('uco-location:Location');
    expect(types.filter((type) => type === 'uco-tool:Tool')).to.have.length(1);
    expect(types).to.include.members(['uco-identity:Identity', 'uco-identity:Organization']);
    for (const withheld of ['FTK Imager', 'Server room', 'Forensic lab'])
      expect(text).not.to.include(withheld);
  });
});

async function verifyCli(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(__dirname, '..', '..', 'scripts', 'verify.js'),
      ...args,
    ]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}
