import type { Readable } from 'node:stream';

/** A file being received, on the same filesystem as the store so that committing it is a rename. */
export interface StagingFile {
  /** Appends bytes; resolves when the operating system has them. */
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes to disk (fsync) and closes; after this the file can be committed. */
  finish(): Promise<void>;
  readonly bytesWritten: number;
}

/** Inclusive byte range, as HTTP Range uses it. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A stored blob and when its bytes were last written or reused (the orphan reconciler's clock). */
export interface StoredBlob {
  readonly sha256: string;
  readonly modifiedAt: Date;
}

/**
 * Content-addressed storage of evidence bytes, keyed by SHA-256 (lowercase hex).
 * Identical bytes are stored once; stored blobs are never modified.
 */
export interface BlobStore {
  /**
   * A new staging file; `sizeBound`, when known, is the most bytes it will
   * receive (the S3 store then sizes its parts for it up front).
   */
  stage(sizeBound?: number): Promise<StagingFile>;
  /**
   * Moves a finished staging file under its SHA-256; `created` is false when
   * those bytes were already stored, and their modification time is then set
   * to now: an intake is about to reference them, so the orphan reconciler's
   * grace period starts again.
   */
  commit(staging: StagingFile, sha256: string): Promise<{ created: boolean }>;
  /** Removes a staging file, finished or not. Never throws for a file already gone. */
  discard(staging: StagingFile): Promise<void>;
  exists(sha256: string): Promise<boolean>;
  size(sha256: string): Promise<number>;
  read(sha256: string, range?: ByteRange): Readable;
  /** Deletes a stored blob (only for bytes that no evidence row references). */
  remove(sha256: string): Promise<void>;
  /** Deletes staging leftovers of a crash; returns how many. */
  sweepStaging(): Promise<number>;
  /** Every stored blob with its modification time, a directory at a time (for the orphan reconciler). */
  stored(): AsyncIterable<StoredBlob>;
  /** When a stored blob was last written or reused; undefined when it is not stored. */
  modifiedAt(sha256: string): Promise<Date | undefined>;
  /** Every stored SHA-256 (for audits and tests). */
  list(): Promise<string[]>;
  /** Staging files present (for audits and tests). */
  listStaging(): Promise<string[]>;
}
