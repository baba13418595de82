import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DataSource } from 'typeorm';
import type { TilePublishSettings } from '../config';
import type { LogHead } from '../db/log.repository';
import { type NoteVerifier, openCheckpoint } from '../ledger';
import type { Logger } from '../logger';
import { createS3Client } from '../storage/s3-client';
import { TILE_CACHE_CONTROL, TILE_WIDTH, type TileId, type TileReader, tileAt, tilePath } from './tiles';

/** Arbitrary but fixed: one publishing process per database at a time. */
const PUBLISH_LOCK = 6_962_003;
/** Tiles sent at once: enough to hide the bucket's latency, few enough not to crowd the pool. */
const PARALLEL_PUTS = 8;

/** The checkpoint moves with the log: a cache must ask again each time. */
export const CHECKPOINT_CACHE_CONTROL = 'no-cache';
export const TILE_CONTENT_TYPE = 'application/octet-stream';
export const CHECKPOINT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** Where the published objects go; keys are C2SP paths below the target's prefix. */
export interface PublishTarget {
  /** The object's text, or undefined when there is none. */
  read(path: string): Promise<string | undefined>;
  write(path: string, body: Uint8Array, contentType: string, cacheControl: string): Promise<void>;
}

/** A bucket (AWS S3 or a compatible server) as the publish target. */
export class S3PublishTarget implements PublishTarget {
  private readonly client: S3Client;

  constructor(private readonly settings: TilePublishSettings['target']) {
    this.client = createS3Client(settings);
  }

  async read(path: string): Promise<string | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.settings.prefix + path }),
      );
      return await object.Body?.transformToString('utf8');
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw error;
    }
  }

  async write(path: string, body: Uint8Array, contentType: string, cacheControl: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.settings.prefix + path,
        Body: body,
        ContentType: contentType,
        CacheControl: cacheControl,
      }),
    );
  }

  destroy(): void {
    this.client.destroy();
  }
}

/**
 * The tiles a reader of a tree of `size` leaves needs that a reader of
 * `published` leaves did not: every tile that became full in between, and the
 * right-edge partial tile of each level when it differs from the one before.
 * Each tile is immutable, so none of the earlier tree's tiles is written again.
 */
export function tilesToPublish(published: number, size: number): TileId[] {
  const tiles: TileId[] = [];
  for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level++) {
    const before = Math.floor(published / TILE_WIDTH ** level);
    const now = Math.floor(size / TILE_WIDTH ** level);
    if (now === before) continue;
    for (let index = Math.floor(before / TILE_WIDTH); index < Math.floor(now / TILE_WIDTH); index++) {
      tiles.push({ level, index, width: TILE_WIDTH });
    }
    if (now % TILE_WIDTH !== 0) tiles.push(tileAt(size, level, Math.floor(now / TILE_WIDTH)));
  }
  return tiles;
}

/**
 * Publishes the log's hash tiles and signed checkpoint to an object store
 * under their C2SP tlog-tiles paths, so that a CDN or any static web server
 * can serve proofs without the service or its database. Each round writes the
 * tiles the tree gained since the published checkpoint, then the checkpoint
 * last: a reader never finds a checkpoint whose tiles are missing. Entry
 * bundles are never published (entries hold confidential case data).
 *
 * Among several processes the one holding an advisory lock publishes; a failed
 * round is logged and the next one starts again from the published checkpoint.
 * The publisher only reads the log, so it can never hold up a write.
 */
export class TilePublisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly log: { head(): Promise<LogHead | undefined> },
    private readonly tiles: Pick<TileReader, 'read'>,
    private readonly target: PublishTarget,
    private readonly logKey: NoteVerifier,
    private readonly logger: Logger,
  ) {}

  /** Publishes every `intervalMs`, the first round right away. */
  start(intervalMs: number): void {
    const round = () => {
      this.running ??= this.publish().finally(() => {
        this.running = undefined;
      });
    };
    round();
    this.timer = setInterval(round, intervalMs);
    this.timer.unref();
  }

  /** Stops scheduling and waits for a round in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * One round: the size now published and how many tiles it wrote; undefined
   * when another process holds the lock or the round failed (logged).
   */
  async publish(): Promise<{ size: number; tiles: number } | undefined> {
    try {
      const lock = this.db.createQueryRunner();
      try {
        const [{ locked }] = await lock.query('SELECT pg_try_advisory_lock($1) AS locked', [PUBLISH_LOCK]);
        if (!locked) return undefined;
        try {
          return await this.round();
        } finally {
          await lock.query('SELECT pg_advisory_unlock($1)', [PUBLISH_LOCK]);
        }
      } finally {
        await lock.release();
      }
    } catch (error) {
      this.logger.error({ err: error }, 'publishing the log’s tiles failed');
      return undefined;
    }
  }

  private async round(): Promise<{ size: number; tiles: number }> {
    const head = await this.log.head();
    if (!head) return { size: 0, tiles: 0 };
    const publishedNote = await this.target.read('checkpoint');
    if (publishedNote === head.checkpoint) return { size: head.size, tiles: 0 };
    const published = this.publishedSize(publishedNote, head.size);
    const tiles = tilesToPublish(published, head.size);
    let next = 0;
    const worker = async () => {
      for (let tile = tiles[next++]; tile; tile = tiles[next++]) {
        const hashes = await this.tiles.read(tile);
        await this.target.write(tilePath(tile), hashes, TILE_CONTENT_TYPE, TILE_CACHE_CONTROL);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PUTS, tiles.length) }, worker));
    // Last: only once every tile it needs is in place.
    await this.target.write(
      'checkpoint',
      Buffer.from(head.checkpoint, 'utf8'),
      CHECKPOINT_CONTENT_TYPE,
      CHECKPOINT_CACHE_CONTROL,
    );
    this.logger.info({ from: published, size: head.size, tiles: tiles.length }, 'published the log’s tiles');
    return { size: head.size, tiles: tiles.length };
  }

  /**
   * The tree size whose tiles are already published: the published checkpoint's
   * when it is this log's (it verifies with the log key); 0 when there is none
   * or it is another's, and everything is published again. One ahead of the log
   * (a database restored from an older backup) is never replaced by an older
   * one: readers would see the log shrink.
   */
  private publishedSize(note: string | undefined, headSize: number): number {
    if (note === undefined) return 0;
    let size: number;
    try {
      size = openCheckpoint(note, this.logKey).size;
    } catch (error) {
      this.logger.warn({ err: error }, 'the published checkpoint is not this log’s: publishing every tile');
      return 0;
    }
    if (size > headSize) {
      throw new Error(`the published checkpoint (size ${size}) is ahead of the log (size ${headSize})`);
    }
    return size;
  }
}
