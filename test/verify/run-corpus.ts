import { parseVerifierKey } from '../../src/ledger';
import { verifyBundle, verifyReceipt } from '../../src/verify';
import type { Corpus } from './corpus';

/**
 * Runs every corpus case through the verifier and returns, per case, the
 * sorted set of failure codes (empty: verified). The Node test and the
 * browser bundle run this same function.
 */
export function runCorpus(corpus: Corpus): Record<string, string[]> {
  const trust = { jwks: corpus.jwks, logKey: parseVerifierKey(corpus.vkey) };
  const results: Record<string, string[]> = {};
  for (const one of corpus.cases) {
    const codes =
      one.kind === 'bundle'
        ? verifyBundle(one.input, trust).failures.map((failure) => failure.code)
        : [verifyReceipt(one.input, trust).reason].filter((code) => code !== undefined);
    results[one.name] = [...new Set(codes)].sort();
  }
  return results;
}
