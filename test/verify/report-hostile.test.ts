import { generateKeyPairSync, sign } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { parseVerifierKey } from '../../src/ledger';
import { type TrustMaterial, VERIFY_CODES, verifyReport } from '../../src/verify';
import { buildCorpus } from './corpus';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every place in a JSON value, as the list of keys leading to it (the root is []). */
function placesIn(value: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  const inner =
    value !== null && typeof value === 'object'
      ? Object.entries(value).flatMap(([key, child]) =>
          placesIn(child as Json, [...at, Array.isArray(value) ? Number(key) : key]),
        )
      : [];
  return [at, ...inner];
}

/** A copy of `value` with the place `at` replaced by `replacement` (or removed, when undefined). */
function replaced(value: Json, at: ReadonlyArray<string | number>, replacement: unknown): unknown {
  if (at.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = at[at.length - 1] as string | number;
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

/**
 * Hostile reports: the verifier gets any bytes at all, or a good report with
 * any one part replaced by anything and signed again by a key the reader
 * trusts. It must answer with a verdict and one of its codes, never throw.
 */
describe('the report verifier given hostile input', function () {
  this.timeout(120_000);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = 'hostile-issuer';
  const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
  const signed = (payload: unknown) => {
    const input = `${b64url(JSON.stringify({ alg: 'EdDSA', kid, typ: 'custody-report+jwt' }))}.${b64url(JSON.stringify(payload) ?? 'null')}`;
    return `${input}.${b64url(sign(null, Buffer.from(input), privateKey))}`;
  };
  let good: Json;
  let trust: TrustMaterial;

  before(async () => {
    const corpus = await buildCorpus();
    const report = corpus.cases.find((one) => one.kind === 'report' && one.expected.length === 0);
    if (!report) throw new Error('the corpus has no good report');
    good = JSON.parse(
      Buffer.from(String(report.input).split('.')[1] as string, 'base64url').toString('utf8'),
    );
    const { kty, crv, x } = publicKey.export({ format: 'jwk' });
    trust = {
      jwks: { keys: [...(corpus.jwks as { keys: unknown[] }).keys, { kty, crv, x, kid }] },
      logKey: parseVerifierKey(corpus.vkey),
    };
  });

  /**
   * The changes a report survives, by design: the reader's words the checks do
   * not cover (`verification`, `anomalies`, `generatedAt` within the key's
   * validity), fewer disclosures given, and the last entry left out (inclusion
   * proofs cannot show that nothing follows: docs/verifying.md).
   */
  const mayStillVerify = (at: ReadonlyArray<string | number>, changed: unknown, replacement: unknown) => {
    if (JSON.stringify(changed) === JSON.stringify(good)) return true;
    if (!['log', 'entries', 'item'].includes(String(at[0]))) return true;
    if (['withheld', 'disclosures'].includes(String(at[at.length - 1]))) return true;
    const entries = (good as { entries: unknown[] }).entries;
    return (
      at.length === 2 && at[0] === 'entries' && at[1] === entries.length - 1 && replacement === undefined
    );
  };

  const answersWithACode = (input: unknown) => {
    const result = verifyReport(input, trust);
    if (!result.valid) expect(VERIFY_CODES).to.include(result.failure?.code);
    return result;
  };

  it('when the good report is signed again by the trusted key, then it verifies (the properties below start from a valid report)', () => {
    expect(answersWithACode(signed(good)).valid).to.equal(true);
  });

  it('when one part of a signed report is replaced by anything or removed, then the verifier answers with a code and never throws', () => {
    const places = placesIn(good);
    fc.assert(
      fc.property(
        fc.nat({ max: places.length - 1 }),
        fc.option(fc.jsonValue(), { nil: undefined }),
        (place, replacement) => {
          const at = places[place] as Array<string | number>;
          const changed = replaced(good, at, replacement);
          const result = answersWithACode(signed(changed));
          if (result.valid)
            expect(mayStillVerify(at, changed, replacement), JSON.stringify(at)).to.equal(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('when given any value or any string as the JWS, then the verifier answers REPORT_MALFORMED or KEY_UNKNOWN, never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.string(),
          fc.string().map((s) => `${s}.${s}.${s}`),
        ),
        (input) => {
          expect(['REPORT_MALFORMED', 'KEY_UNKNOWN']).to.include(verifyReport(input, trust).failure?.code);
        },
      ),
      { numRuns: 300 },
    );
  });
});
