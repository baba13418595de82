import { randomUUID } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { LogRepository } from '../../src/db/log.repository';
import {
  type Checkpoint,
  inclusionProof,
  openCheckpoint,
  parseVerifierKey,
  toBase64,
  treeRoot,
  verifyInclusion,
} from '../../src/ledger';
import { S3PublishTarget, TilePublisher, tilesToPublish } from '../../src/log/tile-publisher';
import { TILE_WIDTH, TileReader, tileAt, tileNodeReader, tilePath } from '../../src/log/tiles';
import { createLogger } from '../../src/logger';
import { testDatabase } from '../support/database';
import { growLog, logSize } from '../support/grow-log';
import { type S3Server, startS3Server } from '../support/s3-server';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The publishing target's settings for `prefix` on `server`, as the service reads them from its environment. */
function publishSettings(server: S3Server, prefix: string) {
  const config = loadConfig({ ...server.env(), TILES_PUBLISH: 's3', TILES_S3_PREFIX: prefix });
  if (!config.tilePublishing) throw new Error('tile publishing is not configured');
  return config.tilePublishing;
}

/** The publish target, with the paths it was asked to write in order (the bucket is real). */
function recordingTarget(server: S3Server, prefix: string) {
  const target = new S3PublishTarget(publishSettings(server, prefix).target);
  const written: string[] = [];
  return {
    written,
    target: {
      read: (path: string) => target.read(path),
      async write(path: string, body: Uint8Array, contentType: string, cacheControl: string) {
        await target.write(path, body, contentType, cacheControl);
        written.push(path);
      },
    },
    destroy: () => target.destroy(),
  };
}

describe('publishing the log’s tiles and checkpoint to a bucket (TILES_PUBLISH=s3)', function () {
  this.timeout(120_000);
  let server: S3Server;
  let service: TestService;
  let token: string;
  let bucket: S3Client;
  let logKey: ReturnType<typeof parseVerifierKey>;
  const own: number[] = [];

  before(async () => {
    server = await startS3Server('published');
    service = await startTestService();
    token = await service.token(uniqueSub('pub'), uniqueAgency(), 'investigator');
    bucket = new S3Client({
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    logKey = parseVerifierKey((await service.call('GET', '/v1/log/info')).body.vkey);
  });
  after(async () => {
    bucket?.destroy();
    await service?.stop();
    await server?.stop();
  });

  /** Grows the log to at least `size`, never to a multiple of 256 (so a partial level-0 tile exists). */
  async function grow(size: number): Promise<void> {
    own.push(...(await growLog(service, token, size)));
    if ((await logSize(service)) % TILE_WIDTH === 0) own.push(...(await growLog(service, token, size + 1)));
  }

  function publisherFor(target: ConstructorParameters<typeof TilePublisher>[3]): TilePublisher {
    const { db } = testDatabase();
    const log = new LogRepository(db);
    return new TilePublisher(db, log, new TileReader(log), target, logKey, createLogger('silent'));
  }

  async function object(key: string) {
    const got = await bucket.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
    return {
      bytes: await (got.Body as NonNullable<typeof got.Body>).transformToByteArray(),
      contentType: got.ContentType,
      cacheControl: got.CacheControl,
    };
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await bucket.send(
        new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix, ContinuationToken }),
      );
      keys.push(...(page.Contents ?? []).map(({ Key }) => (Key as string).slice(prefix.length)));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return keys.sort();
  }

  /** The published checkpoint, read from the bucket and opened with the log key. */
  async function publishedCheckpoint(prefix: string): Promise<{ note: string; checkpoint: Checkpoint }> {
    const note = Buffer.from((await object(`${prefix}checkpoint`)).bytes).toString('utf8');
    return { note, checkpoint: openCheckpoint(note, logKey) };
  }

  it('when a round publishes a log past one full tile, then the bucket’s checkpoint is the service’s and its tiles give the root and the inclusion proofs', async () => {
    await grow(Math.max(300, (await logSize(service)) + 30));
    const prefix = `tiles-${randomUUID()}/`;
    const { target, written, destroy } = recordingTarget(server, prefix);
    try {
      const result = await publisherFor(target).publish();
      const served = (await service.call('GET', '/v1/log/checkpoint')).text;
      const { note, checkpoint } = await publishedCheckpoint(prefix);
      expect(note).to.equal(served);
      expect(result).to.deep.equal({
        size: checkpoint.size,
        tiles: tilesToPublish(0, checkpoint.size).length,
      });
      expect(checkpoint.size).to.be.greaterThan(TILE_WIDTH);
      // The checkpoint is written once, after every tile.
      expect(written.indexOf('checkpoint')).to.equal(written.length - 1);
      expect(written.filter((path) => path === 'checkpoint')).to.have.length(1);

      const meta = await object(`${prefix}checkpoint`);
      expect(meta.contentType).to.equal('text/plain; charset=utf-8');
      expect(meta.cacheControl).to.equal('no-cache');

      const { size, root } = checkpoint;
      const reader = tileNodeReader(size, async (tile) => (await object(prefix + tilePath(tile))).bytes);
      expect(toBase64(await treeRoot(reader, size))).to.equal(toBase64(root));
      const mine = own.filter((index) => index < size);
      for (const index of [0, 255, 256, size - 1, mine[0], mine[mine.length - 1]] as number[]) {
        const fromTiles = await inclusionProof(reader, index, size);
        const proof = await service.call('GET', `/v1/log/proof/inclusion?index=${index}&size=${size}`);
        expect(fromTiles.map(toBase64), `index ${index}`).to.deep.equal(proof.body.proof);
        const leafTile = (await object(prefix + tilePath(tileAt(size, 0, Math.floor(index / TILE_WIDTH)))))
          .bytes;
        const leaf = leafTile.subarray((index % TILE_WIDTH) * 32, ((index % TILE_WIDTH) + 1) * 32);
        verifyInclusion(index, size, leaf, fromTiles, root);
      }

      const full = await object(`${prefix}tile/0/000`);
      expect(full.bytes.length).to.equal(TILE_WIDTH * 32);
      expect(full.contentType).to.equal('application/octet-stream');
      expect(full.cacheControl).to.equal(IMMUTABLE);
      const edge = tileAt(size, 0, Math.floor(size / TILE_WIDTH));
      expect(edge.width).to.be.within(1, TILE_WIDTH - 1);
      expect((await object(prefix + tilePath(edge))).cacheControl).to.equal(IMMUTABLE);

      // Hash tiles and the checkpoint, nothing else: never an entry bundle.
      const keys = await keysUnder(prefix);
      expect(keys).to.include('checkpoint');
      expect(keys.filter((key) => key !== 'checkpoint').every((key) => /^tile\/[0-9]+\//.test(key))).to.equal(
        true,
      );
      expect(keys.some((key) => key.startsWith('tile/entries'))).to.equal(false);
      expect(keys.sort()).to.deep.equal(['checkpoint', ...written.filter((p) => p !== 'checkpoint')].sort());
    } finally {
      destroy();
    }
  });

  it('when the log grows and another round runs, then full tiles are not written again and the new checkpoint comes after its new tiles', async () => {
    const prefix = `tiles-${randomUUID()}/`;
    const first = recordingTarget(server, prefix);
    const first0 = await (async () => {
      try {
        await publisherFor(first.target).publish();
        return await bucket.send(
          new HeadObjectCommand({ Bucket: server.bucket, Key: `${prefix}tile/0/000` }),
        );
      } finally {
        first.destroy();
      }
    })();
    const before = (await publishedCheckpoint(prefix)).checkpoint;
    // LastModified has one-second resolution: let a rewrite show.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await grow(before.size + TILE_WIDTH + 10);

    // A new publisher, as after a restart: it learns what is published from the bucket's checkpoint.
    const second = recordingTarget(server, prefix);
    try {
      await publisherFor(second.target).publish();
      const after = (await publishedCheckpoint(prefix)).checkpoint;
      expect(after.size).to.equal(await logSize(service));
      // Tiles go up in parallel, in any order; the checkpoint after all of them.
      expect(second.written.slice(0, -1).sort()).to.deep.equal(
        tilesToPublish(before.size, after.size).map(tilePath).sort(),
      );
      expect(second.written[second.written.length - 1]).to.equal('checkpoint');
      expect(first.written).to.not.include.members(
        second.written.filter((path) => path !== 'checkpoint' && !path.includes('.p/')),
      );
      expect(second.written).to.not.include('tile/0/000');
      const again = await bucket.send(
        new HeadObjectCommand({ Bucket: server.bucket, Key: `${prefix}tile/0/000` }),
      );
      expect(again.LastModified?.getTime()).to.equal(first0.LastModified?.getTime());
      expect(again.ETag).to.equal(first0.ETag);

      // The new tree's root, and the older checkpoint's, from the published tiles.
      const reader = tileNodeReader(
        after.size,
        async (tile) => (await object(prefix + tilePath(tile))).bytes,
      );
      expect(toBase64(await treeRoot(reader, after.size))).to.equal(toBase64(after.root));
      expect(toBase64(await treeRoot(reader, before.size))).to.equal(toBase64(before.root));

      // Nothing new in the log: the round writes nothing.
      second.written.length = 0;
      expect(await publisherFor(second.target).publish()).to.deep.equal({ size: after.size, tiles: 0 });
      expect(second.written).to.deep.equal([]);
    } finally {
      second.destroy();
    }
  });

  it('when another process holds the publishing lock, then a round writes nothing and says so', async () => {
    const prefix = `tiles-${randomUUID()}/`;
    const holder = new Client({ connectionString: testDatabase().url });
    await holder.connect();
    const { target, written, destroy } = recordingTarget(server, prefix);
    try {
      await holder.query('SELECT pg_advisory_lock(6962003)');
      expect(await publisherFor(target).publish()).to.equal(undefined);
      expect(written).to.deep.equal([]);
      await holder.query('SELECT pg_advisory_unlock(6962003)');
      expect((await publisherFor(target).publish())?.size).to.equal(await logSize(service));
    } finally {
      destroy();
      await holder.end();
    }
  });

  it('when the bucket cannot be reached, then the round fails without throwing and the log keeps taking writes', async () => {
    const stopped = { ...publishSettings(server, 'tiles-down/').target, endpoint: 'http://127.0.0.1:9' };
    const target = new S3PublishTarget({ ...stopped, requestTimeoutMs: 1000 });
    try {
      expect(await publisherFor(target).publish()).to.equal(undefined);
      const size = await logSize(service);
      await grow(size + 1);
      expect(await logSize(service)).to.be.greaterThan(size);
    } finally {
      target.destroy();
    }
  });

  it('when the bucket holds a checkpoint that is not this log’s, then every tile is published again', async () => {
    const prefix = `tiles-${randomUUID()}/`;
    await bucket.send(
      new PutObjectCommand({
        Bucket: server.bucket,
        Key: `${prefix}checkpoint`,
        Body: 'another.example/log\n1000000\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— x y\n',
      }),
    );
    const { target, written, destroy } = recordingTarget(server, prefix);
    try {
      const result = await publisherFor(target).publish();
      expect(result?.tiles).to.equal(tilesToPublish(0, await logSize(service)).length);
      expect(written).to.include('tile/0/000');
      expect((await publishedCheckpoint(prefix)).note).to.equal(
        (await service.call('GET', '/v1/log/checkpoint')).text,
      );
    } finally {
      destroy();
    }
  });

  it('when the service runs with TILES_PUBLISH=s3, then it publishes the checkpoint and its tiles by itself', async () => {
    const prefix = `tiles-${randomUUID()}/`;
    const publishing = await startTestService({
      ...server.env(),
      BLOB_STORE: 'fs',
      TILES_PUBLISH: 's3',
      TILES_S3_PREFIX: prefix,
      TILES_PUBLISH_INTERVAL_MS: '1000',
    });
    try {
      const expected = (await service.call('GET', '/v1/log/checkpoint')).text;
      const deadline = Date.now() + 30_000;
      let note: string | undefined;
      while (note !== expected && Date.now() < deadline) {
        note = await publishedCheckpoint(prefix).then(
          (published) => published.note,
          () => undefined,
        );
        if (note !== expected) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(note).to.equal(expected);
      const { size, root } = openCheckpoint(expected, logKey);
      const reader = tileNodeReader(size, async (tile) => (await object(prefix + tilePath(tile))).bytes);
      expect(toBase64(await treeRoot(reader, size))).to.equal(toBase64(root));
    } finally {
      await publishing.stop();
    }
  });
});

describe('the tiles a publishing round writes', () => {
  it('when nothing is published yet, then they are every full tile and the right edge of each level', () => {
    expect(tilesToPublish(0, 70_000).map(tilePath)).to.deep.equal([
      ...Array.from({ length: 273 }, (_, index) => tilePath({ level: 0, index, width: TILE_WIDTH })),
      'tile/0/273.p/112',
      'tile/1/000',
      'tile/1/001.p/17',
      'tile/2/000.p/1',
    ]);
  });

  it('when the tree grew within one tile, then only the changed right edges are written', () => {
    expect(tilesToPublish(300, 310).map(tilePath)).to.deep.equal(['tile/0/001.p/54']);
    expect(tilesToPublish(300, 512).map(tilePath)).to.deep.equal(['tile/0/001', 'tile/1/000.p/2']);
    expect(tilesToPublish(512, 512)).to.deep.equal([]);
  });
});
