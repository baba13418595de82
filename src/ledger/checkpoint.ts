import { VerificationError } from '../errors';
import { fromBase64, toBase64 } from './encoding';
import { HASH_SIZE } from './hash';
import { type NoteSigner, type NoteVerifier, openNote, signNote } from './note';

/** A C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): origin, tree size, root hash. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
}

const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;

/** The note text: `<origin>\n<size>\n<base64 root>\n`, with no extension lines. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.size}\n${toBase64(checkpoint.root)}\n`;
}

/** Parses checkpoint note text. Extension lines (C2SP allows them) are accepted and ignored. */
export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') {
    throw new VerificationError('CHECKPOINT_INVALID', 'a checkpoint has at least three lines');
  }
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0 || /\s/u.test(origin))
    throw new VerificationError('CHECKPOINT_INVALID', 'bad origin line');
  const size = DECIMAL.test(sizeText) ? Number(sizeText) : Number.NaN;
  if (!Number.isSafeInteger(size)) throw new VerificationError('CHECKPOINT_INVALID', 'bad tree size line');
  const root = fromBase64(rootText);
  if (root.length !== HASH_SIZE)
    throw new VerificationError('CHECKPOINT_INVALID', 'root is not a SHA-256 hash');
  return { origin, size, root };
}

/** Signs a checkpoint with the log key, whose name is the origin. */
export function signCheckpoint(checkpoint: Checkpoint, logKey: NoteSigner): string {
  if (logKey.name !== checkpoint.origin)
    throw new VerificationError('CHECKPOINT_INVALID', 'log key name must be the origin');
  return signNote(formatCheckpoint(checkpoint), logKey);
}

/**
 * Verifies a signed checkpoint with the log's vkey and returns its contents. The
 * key name must be the checkpoint's origin, so a key for one log cannot vouch for another.
 */
export function openCheckpoint(note: string, logKey: NoteVerifier): Checkpoint {
  const { text } = openNote(note, [logKey]);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== logKey.name) {
    throw new VerificationError('CHECKPOINT_INVALID', 'checkpoint origin is not the log key name', {
      expected: logKey.name,
      actual: checkpoint.origin,
    });
  }
  return checkpoint;
}
