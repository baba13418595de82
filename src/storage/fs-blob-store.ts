import { randomUUID } from 'node:crypto';
import { createReadStream, promises as fs, constants as fsConstants, type promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { faultPoint } from '../faults';
import { isAlive } from '../processes';
import type { BlobStore, ByteRange, StagingFile, StoredBlob } from './blob-store';

const SHA256_HEX = /^[0-9a-f]{64}$/;

class FsStagingFile implements StagingFile {
  bytesWritten = 0;

  constructor(
    readonly path: string,
    private handle: fsp.FileHandle | undefined,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (!this.handle) throw new Error('staging file is closed');
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset);
      offset += bytesWritten;
    }
    this.bytesWritten += chunk.length;
  }

  async finish(): Promise<void> {
    if (!this.handle) return;
    await faultPoint('blob.fsync'); // tests and benchmarks: a slow disk (src/faults.ts)
    await this.handle.sync();
    await this.close();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/**
 * The filesystem blob store under one directory:
 *   staging/<pid>-<uuid>.part   files being received, by the process <pid>
 *   sha256/ab/cd/<hex>      stored blobs, read-only
 * Commit is link + unlink (atomic, never overwrites), then fsync of the
 * directory, so a blob that the database references survives a power cut.
 */
export class FsBlobStore implements BlobStore {
  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<FsBlobStore> {
    await fs.mkdir(path.join(root, 'staging'), { recursive: true, mode: 0o700 });
    await fs.mkdir(path.join(root, 'sha256'), { recursive: true, mode: 0o700 });
    return new FsBlobStore(root);
  }

  private blobPath(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error('not a SHA-256 hex digest');
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /**
   * Why a write could not succeed now, if it could not: the volume is
   * read-only (or gone), or has less than `minFreeBytes` free.
   */
  async unwritable(minFreeBytes: number): Promise<'STORAGE_READ_ONLY' | 'STORAGE_FULL' | undefined> {
    try {
      await fs.access(path.join(this.root, 'staging'), fsConstants.W_OK);
      const volume = await fs.statfs(this.root);
      return volume.bavail * volume.bsize < minFreeBytes ? 'STORAGE_FULL' : undefined;
    } catch {
      return 'STORAGE_READ_ONLY';
    }
  }

  /** Staging names carry the receiving process's id, so a sweep never touches a live upload of another process. */
  async stage(): Promise<StagingFile> {
    const file = path.join(this.root, 'staging', `${process.pid}-${randomUUID()}.part`);
    return new FsStagingFile(file, await fs.open(file, 'wx', 0o600));
  }

  async commit(staging: StagingFile, sha256: string): Promise<{ created: boolean }> {
    const source = (staging as FsStagingFile).path;
    const target = this.blobPath(sha256);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    let created = true;
    try {
      await faultPoint('blob.before-rename'); // tests: a crash with the bytes only in staging
      await fs.link(source, target);
      await fs.chmod(target, 0o400);
      await faultPoint('blob.fsync'); // tests and benchmarks: a slow disk (src/faults.ts)
      await syncDirectory(path.dirname(target));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      created = false;
      await this.touch(source, target);
    }
    await fs.unlink(source);
    return { created };
  }

  /**
   * Reused bytes are young again, so the orphan reconciler leaves them alone
   * while the intake commits its row. Gone in between (reconciled as an orphan,
   * or cleaned up by a failed intake): they are stored afresh from staging.
   */
  private async touch(source: string, target: string): Promise<void> {
    const now = new Date();
    try {
      await fs.utimes(target, now, now);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await fs.link(source, target);
      await fs.chmod(target, 0o400);
      await syncDirectory(path.dirname(target));
    }
  }

  async discard(staging: StagingFile): Promise<void> {
    const file = staging as FsStagingFile;
    await file.close().catch(() => {});
    await fs.rm(file.path, { force: true });
  }

  async exists(sha256: string): Promise<boolean> {
    return fs.access(this.blobPath(sha256)).then(
      () => true,
      () => false,
    );
  }

  async size(sha256: string): Promise<number> {
    return (await fs.stat(this.blobPath(sha256))).size;
  }

  read(sha256: string, range?: ByteRange): Readable {
    return createReadStream(this.blobPath(sha256), range ? { start: range.start, end: range.end } : {});
  }

  async remove(sha256: string): Promise<void> {
    await fs.rm(this.blobPath(sha256), { force: true });
  }

  async sweepStaging(): Promise<number> {
    const leftovers = (await this.listStaging()).filter((name) => {
      const owner = Number.parseInt(name.split('-')[0] ?? '', 10);
      return owner === process.pid || !isAlive(owner);
    });
    await Promise.all(leftovers.map((name) => fs.rm(path.join(this.root, 'staging', name), { force: true })));
    return leftovers.length;
  }

  async *stored(): AsyncIterable<StoredBlob> {
    const base = path.join(this.root, 'sha256');
    for (const first of await fs.readdir(base)) {
      for (const second of await fs.readdir(path.join(base, first))) {
        const directory = path.join(base, first, second);
        for (const name of await fs.readdir(directory)) {
          if (!SHA256_HEX.test(name)) continue;
          const stats = await fs.stat(path.join(directory, name)).catch(() => undefined);
          if (stats) yield { sha256: name, modifiedAt: stats.mtime };
        }
      }
    }
  }

  async modifiedAt(sha256: string): Promise<Date | undefined> {
    return fs.stat(this.blobPath(sha256)).then(
      (stats) => stats.mtime,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
  }

  async list(): Promise<string[]> {
    const found: string[] = [];
    const base = path.join(this.root, 'sha256');
    for (const first of await fs.readdir(base)) {
      for (const second of await fs.readdir(path.join(base, first))) {
        found.push(...(await fs.readdir(path.join(base, first, second))));
      }
    }
    return found.sort();
  }

  async listStaging(): Promise<string[]> {
    return (await fs.readdir(path.join(this.root, 'staging'))).sort();
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
