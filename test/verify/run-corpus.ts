import { parseVerifierKey } from '../../src/ledger';
import { type DisclosedEntry, verifyBundle, verifyReceipt, verifyReport } from '../../src/verify';
import type { Corpus } from './corpus';

/**
 * Runs every corpus case through the verifier and returns, per case, the
 * sorted set of failure codes (empty: verified). The Node test and the
 * browser bundle run this same function.
 */
export function runCorpus(corpus: Corpus): Record<string, string[]> {
  const trust = trustOf(corpus);
  const results: Record<string, string[]> = {};
  for (const one of corpus.cases) {
    const codes =
      one.kind === 'bundle'
        ? verifyBundle(one.input, trust).failures.map((failure) => failure.code)
        : one.kind === 'report'
          ? [verifyReport(one.input, trust).failure?.code].filter((code) => code !== undefined)
          : [verifyReceipt(one.input, trust).reason].filter((code) => code !== undefined);
    results[one.name] = [...new Set(codes)].sort();
  }
  return results;
}

/** Per bundle case, its entries as the verifier shows them to the reader: disclosed fields and withheld counts. */
export function revealCorpus(corpus: Corpus): Record<string, readonly DisclosedEntry[]> {
  const trust = trustOf(corpus);
  const results: Record<string, readonly DisclosedEntry[]> = {};
  for (const one of corpus.cases)
    if (one.kind === 'bundle') results[one.name] = verifyBundle(one.input, trust).entries;
  return results;
}

function trustOf(corpus: Corpus) {
  return { jwks: corpus.jwks, logKey: parseVerifierKey(corpus.vkey) };
}
