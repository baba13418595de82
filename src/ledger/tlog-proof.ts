import { VerificationError } from '../errors';
import { fromBase64, toBase64 } from './encoding';
import { HASH_SIZE } from './hash';

/** A C2SP tlog-proof (https://c2sp.org/tlog-proof): an offline bundle of index, inclusion proof and checkpoint. */
export interface TlogProof {
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
  /** Optional opaque, unauthenticated extra data. */
  readonly extra?: Uint8Array;
}

const HEADER = 'c2sp.org/tlog-proof@v1';
const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;
/** 64 proof lines cover any tree up to 2^64 leaves; more is garbage. */
const MAX_PROOF_LINES = 64;

export function encodeTlogProof(bundle: TlogProof): string {
  const lines = [HEADER];
  if (bundle.extra) lines.push(`extra ${toBase64(bundle.extra)}`);
  lines.push(`index ${bundle.index}`, ...bundle.proof.map(toBase64), '');
  return `${lines.join('\n')}\n${bundle.checkpoint}`;
}

/** Parses a tlog-proof; it does not verify it (see receipts/verify). */
export function parseTlogProof(text: string): TlogProof {
  if (typeof text !== 'string') throw new VerificationError('PROOF_INVALID', 'tlog-proof must be text');
  const lines = text.split('\n');
  let at = 0;
  if (lines[at++] !== HEADER) throw new VerificationError('PROOF_INVALID', 'not a c2sp.org/tlog-proof@v1');
  let extra: Uint8Array | undefined;
  if (lines[at]?.startsWith('extra ')) extra = fromBase64((lines[at++] as string).slice('extra '.length));
  const indexLine = lines[at++] ?? '';
  const indexText = indexLine.startsWith('index ') ? indexLine.slice('index '.length) : '';
  const index = DECIMAL.test(indexText) ? Number(indexText) : Number.NaN;
  if (!Number.isSafeInteger(index)) throw new VerificationError('PROOF_INVALID', 'bad index line');
  const proof: Uint8Array[] = [];
  while (at < lines.length && lines[at] !== '') {
    const hash = fromBase64(lines[at++]);
    if (hash.length !== HASH_SIZE)
      throw new VerificationError('PROOF_INVALID', 'proof line is not a SHA-256 hash');
    proof.push(hash);
    if (proof.length > MAX_PROOF_LINES) throw new VerificationError('PROOF_INVALID', 'proof is too long');
  }
  if (lines[at] !== '') throw new VerificationError('PROOF_INVALID', 'no checkpoint after the proof');
  const checkpoint = lines.slice(at + 1).join('\n');
  if (checkpoint.length === 0) throw new VerificationError('PROOF_INVALID', 'no checkpoint after the proof');
  return extra ? { index, proof, checkpoint, extra } : { index, proof, checkpoint };
}
