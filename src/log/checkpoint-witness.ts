import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fromBase64, type NoteVerifier, openCheckpoint, toBase64 } from '../ledger';

/** A tree size and root: a point of the log that was signed or verified. */
export interface TreePoint {
  readonly size: number;
  readonly root: Uint8Array;
}

/**
 * How far the stored checkpoint chain was verified: the tree point, and a
 * fingerprint (count and digest) of the checkpoint rows up to it, so that a
 * later start re-reads only the newer rows and still notices a changed older one.
 */
export interface VerifiedPoint extends TreePoint {
  readonly checkpoints: number;
  /** Base64 SHA-256 over the checkpoint rows up to `size` (see LogRepository.checkpointDigest). */
  readonly digest: string;
}

/** The latest checkpoint this deployment signed, kept outside the database. */
export interface WitnessedCheckpoint extends TreePoint {
  /** The signed note, verbatim. */
  readonly note: string;
}

/** The witness file exists but is not a checkpoint signed by the log key. */
export class WitnessUnreadable extends Error {}

/**
 * The log's memory outside the database, in DATA_DIR: the latest checkpoint the
 * service signed (`signed.json`) and the point up to which the stored
 * checkpoint chain was last verified (`verified.json`). A database restored from
 * an older backup cannot roll these back, so the service notices when its
 * database is behind what it already signed, or differs from it (a split view).
 *
 * The files are written after the database commit, so they may lag the
 * database but are never ahead of it: a crash between the two is no false alarm.
 * One directory per log origin and database, so one DATA_DIR can serve the
 * databases of several logs (as tests and benchmarks do).
 */
export class CheckpointWitness {
  /** The largest size written by this process (writes never go backwards within a run). */
  private written = -1;
  private wanted: WitnessedCheckpoint | undefined;
  private writing: Promise<void> | undefined;

  private constructor(private readonly dir: string) {}

  static async open(dataDir: string, origin: string, database: string): Promise<CheckpointWitness> {
    const scope = createHash('sha256').update(`${origin}\n${database}`).digest('hex').slice(0, 16);
    const dir = path.join(dataDir, 'log-witness', scope);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new CheckpointWitness(dir);
  }

  /** The latest signed checkpoint on file, checked against the log key; undefined before the first. */
  async signed(logKey: NoteVerifier): Promise<WitnessedCheckpoint | undefined> {
    const text = await this.read('signed.json');
    if (text === undefined) return undefined;
    try {
      const stored = JSON.parse(text) as { note: string };
      const opened = openCheckpoint(stored.note, logKey);
      return { size: opened.size, root: opened.root, note: stored.note };
    } catch (cause) {
      throw new WitnessUnreadable('the witnessed checkpoint does not verify', { cause });
    }
  }

  /**
   * Makes `checkpoint` durable before resolving. Concurrent calls coalesce: the
   * largest checkpoint asked for is written, one write at a time, and a call
   * resolves once a checkpoint at least as large as its own is on disk.
   */
  async recordSigned(checkpoint: WitnessedCheckpoint): Promise<void> {
    if (checkpoint.size <= this.written) return;
    if (!this.wanted || checkpoint.size > this.wanted.size) this.wanted = checkpoint;
    while (this.written < checkpoint.size) {
      if (!this.writing) {
        const next = this.wanted as WitnessedCheckpoint;
        this.writing = writeDurably(
          path.join(this.dir, 'signed.json'),
          JSON.stringify({ size: next.size, root: toBase64(next.root), note: next.note }),
        )
          .then(() => {
            this.written = Math.max(this.written, next.size);
          })
          .finally(() => {
            this.writing = undefined;
          });
      }
      await this.writing;
    }
  }

  /** Replaces the witnessed checkpoint even with a smaller one: only after a recorded rollback. */
  async replaceSigned(checkpoint: WitnessedCheckpoint): Promise<void> {
    await this.writing?.catch(() => {});
    this.written = -1;
    this.wanted = undefined;
    await this.recordSigned(checkpoint);
  }

  /** Where the stored checkpoint chain was last verified up to; undefined when never. */
  async verified(): Promise<VerifiedPoint | undefined> {
    const text = await this.read('verified.json');
    if (text === undefined) return undefined;
    try {
      const stored = JSON.parse(text) as { size: number; root: string; checkpoints: number; digest: string };
      if (!Number.isSafeInteger(stored.size) || stored.size < 0) throw new Error('bad size');
      if (!Number.isSafeInteger(stored.checkpoints) || typeof stored.digest !== 'string')
        throw new Error('bad fingerprint');
      return {
        size: stored.size,
        root: fromBase64(stored.root),
        checkpoints: stored.checkpoints,
        digest: stored.digest,
      };
    } catch (cause) {
      throw new WitnessUnreadable('the verified point is unreadable', { cause });
    }
  }

  async recordVerified(point: VerifiedPoint): Promise<void> {
    await writeDurably(
      path.join(this.dir, 'verified.json'),
      JSON.stringify({
        size: point.size,
        root: toBase64(point.root),
        checkpoints: point.checkpoints,
        digest: point.digest,
      }),
    );
  }

  private async read(name: string): Promise<string | undefined> {
    try {
      return await readFile(path.join(this.dir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

/**
 * Replaces `file` atomically and durably: a temporary file written and fsynced,
 * renamed over the old one, then the directory fsynced so the rename survives a
 * power loss. A reader sees the old content or the new, never a torn write.
 */
async function writeDurably(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
