import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** What a whole-file read found when it did not match: the SHA-256 and size of the bytes read, or that there were none. */
export type ReadMismatch =
  | { readonly reason: 'content_mismatch'; readonly sha256: string; readonly size: number }
  | { readonly reason: 'content_missing' };

/**
 * Passes a whole stored file through while hashing it (SHA-256), and ends
 * cleanly only if the bytes are `expected`. The last chunk is held back until
 * the digest is known: a client that was promised `expected.size` bytes by its
 * Content-Length never receives them all when they are wrong, so it sees a
 * broken transfer, not a complete one. Bytes beyond `expected.size` are never sent.
 * On a mismatch, `fail` records it and returns the error the stream ends with.
 */
export function verifiedRead(
  source: Readable,
  expected: { readonly sha256: string; readonly size: number },
  fail: (mismatch: ReadMismatch) => Promise<Error>,
): Readable {
  async function* verify(): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let size = 0;
    let held: Buffer | undefined;
    try {
      for await (const chunk of source) {
        const bytes = chunk as Buffer;
        size += bytes.length;
        hash.update(bytes);
        // Beyond the promised size nothing more is sent, but the rest is hashed for the record.
        if (size > expected.size) continue;
        if (held) yield held;
        held = bytes;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw await fail({ reason: 'content_missing' });
      throw error;
    } finally {
      source.destroy();
    }
    const sha256 = hash.digest('hex');
    if (size !== expected.size || sha256 !== expected.sha256) {
      throw await fail({ reason: 'content_mismatch', sha256, size });
    }
    if (held) yield held;
  }
  return Readable.from(verify(), { objectMode: false });
}
