import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { EvidenceRepository } from '../../src/db/evidence.repository';
import { OrphanReconciler } from '../../src/evidence/orphan-reconciler';
import { createLogger } from '../../src/logger';
import { FsBlobStore } from '../../src/storage/fs-blob-store';
import { S3BlobStore } from '../../src/storage/s3-blob-store';
import { testDatabase } from '../support/database';
import { type S3Server, s3StoreOptions, startS3Server } from '../support/s3-server';
import { blobStoreContract } from './blob-store-contract';

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('the filesystem blob store', () => {
  let root: string;
  const opened: string[] = [];

  describe('as every blob store', () => {
    blobStoreContract({
      partBytes: 0,
      async open() {
        root = await mkdtemp(path.join(os.tmpdir(), 'custody-store-'));
        opened.push(root);
        return FsBlobStore.open(root);
      },
      async close() {
        for (const directory of opened.splice(0)) await rm(directory, { recursive: true, force: true });
      },
      async strayStaging(owner) {
        const pid = owner === 'dead' ? 999_999_999 : process.ppid;
        const file = path.join(root, 'staging', `${pid}-${randomUUID()}.part`);
        await writeFile(file, 'an upload of another process');
        return () => rm(file, { force: true });
      },
      heldUploads: async () => [],
    });
  });

  describe('on its own', () => {
    beforeEach(async () => {
      root = await mkdtemp(path.join(os.tmpdir(), 'custody-store-'));
    });
    afterEach(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('when bytes are committed, then their file is read-only', async () => {
      const store = await FsBlobStore.open(root);
      const bytes = randomBytes(10_000);
      const sha = sha256Of(bytes);
      const staging = await store.stage();
      await staging.write(bytes);
      await staging.finish();
      await store.commit(staging, sha);
      expect(
        (await stat(path.join(root, 'sha256', sha.slice(0, 2), sha.slice(2, 4), sha))).mode & 0o777,
      ).to.equal(0o400);
    });
  });
});

describe('the S3 blob store', function () {
  this.timeout(60_000);
  let server: S3Server;
  const stores: S3BlobStore[] = [];
  let prefix: string;

  before(async () => {
    server = await startS3Server();
  });
  after(async () => {
    await server?.stop();
  });

  /** A store on the test server; each test has its own key prefix, so tests see only their own objects. */
  function s3Store(overrides: Parameters<typeof s3StoreOptions>[2] = {}): S3BlobStore {
    const store = new S3BlobStore(s3StoreOptions(server, prefix, overrides));
    stores.push(store);
    return store;
  }

  describe('as every blob store', () => {
    blobStoreContract({
      partBytes: 5 * 1024 * 1024,
      async open() {
        prefix = `t-${randomUUID()}/`;
        return s3Store();
      },
      async close() {
        for (const store of stores.splice(0)) store.destroy();
      },
      async strayStaging(owner) {
        const other = s3Store({ pid: owner === 'dead' ? 999_999_999 : process.ppid });
        const staging = await other.stage();
        await staging.write(randomBytes(100));
        await staging.finish();
        return () => other.discard(staging);
      },
      heldUploads: async () => server.incompleteUploads(prefix),
    });
  });

  describe('on its own', () => {
    beforeEach(() => {
      prefix = `t-${randomUUID()}/`;
    });
    afterEach(() => {
      for (const store of stores.splice(0)) store.destroy();
    });

    it('when an upload runs past the parts of one size, then its parts double in size, and the stored bytes read back whole and in ranges across parts', async () => {
      const MIB = 1024 * 1024;
      // 5, 5, 10, 10 and 3 MiB: five parts where one size would need seven.
      const bytes = randomBytes(33 * MIB);
      const sha256 = sha256Of(bytes);
      const partsOf = async (store: S3BlobStore, sizeBound?: number) => {
        const staging = await store.stage(sizeBound);
        for (let offset = 0; offset < bytes.length; offset += 3 * MIB + 17) {
          await staging.write(bytes.subarray(offset, offset + 3 * MIB + 17));
        }
        await staging.finish();
        const sent = (staging as unknown as { partsSent: number }).partsSent;
        return { staging, sent };
      };
      const growing = s3Store({ partsPerSizeStep: 2 });
      const { staging, sent } = await partsOf(growing);
      expect(sent).to.equal(5);
      expect(await growing.commit(staging, sha256)).to.deep.equal({ created: true });
      expect(await growing.size(sha256)).to.equal(bytes.length);
      const hash = createHash('sha256');
      for await (const chunk of growing.read(sha256)) hash.update(chunk);
      expect(hash.digest('hex')).to.equal(sha256);
      // Across the ends of the second part (10 MiB) and of the fourth (30 MiB).
      for (const start of [10 * MIB - 5, 30 * MIB - 5]) {
        const read: Buffer[] = [];
        for await (const chunk of growing.read(sha256, { start, end: start + 9 })) read.push(chunk);
        expect(Buffer.concat(read).equals(bytes.subarray(start, start + 10))).to.equal(true);
      }

      // At the default step the same file goes in seven parts of one size.
      const steady = s3Store();
      const fixed = await partsOf(steady);
      expect(fixed.sent).to.equal(7);
      await steady.discard(fixed.staging);

      // A known bound sizes the parts up front: one size throughout, however short the step.
      const bounded = await partsOf(growing, bytes.length);
      expect(bounded.sent).to.equal(7);
      await growing.discard(bounded.staging);
    });

    it('when an upload declares far more bytes than it sends, then the store holds memory for what arrived, not for the declared size', async () => {
      const store = s3Store();
      const bytes = randomBytes(100_000);
      const before = process.memoryUsage().arrayBuffers;
      // 2 TiB declared: parts of 210 MiB each, were they allocated up front.
      const staging = await store.stage(2 * 1024 ** 4);
      await staging.write(bytes);
      expect(process.memoryUsage().arrayBuffers - before).to.be.below(16 * 1024 * 1024);
      await staging.finish();
      const sha256 = sha256Of(bytes);
      await store.commit(staging, sha256);
      const read: Buffer[] = [];
      for await (const chunk of store.read(sha256)) read.push(chunk);
      expect(Buffer.concat(read).equals(bytes)).to.equal(true);
    });

    it('when the orphan reconciler runs on the bucket, then old unreferenced bytes go, and reused ones stay until their reuse is old', async () => {
      const HOUR = 3_600_000;
      const store = s3Store();
      const reconcilerAt = (now: number) =>
        new OrphanReconciler(
          store,
          new EvidenceRepository(testDatabase().db),
          testDatabase().db,
          createLogger('silent'),
          { graceMs: HOUR, now: () => now },
        );
      const commit = async (bytes: Uint8Array) => {
        const staging = await store.stage();
        await staging.write(bytes);
        await staging.finish();
        return store.commit(staging, sha256Of(bytes));
      };
      const orphan = randomBytes(700);
      const reused = randomBytes(800);
      await commit(orphan);
      await commit(reused);
      const written = (await store.modifiedAt(sha256Of(reused))) as Date;
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the bucket's one-second clock
      expect(await commit(reused)).to.deep.equal({ created: false });
      const reusedAt = (await store.modifiedAt(sha256Of(reused))) as Date;
      expect(reusedAt.getTime()).to.be.greaterThan(written.getTime());

      // Both written over an hour ago; one reused within the hour: only the other goes.
      expect(await reconcilerAt(reusedAt.getTime() + HOUR - 1).reconcile()).to.deep.equal({
        removed: 1,
        kept: 1,
      });
      expect(await store.list()).to.deep.equal([sha256Of(reused)]);
      // Once the reuse is old too, it goes with its marker (nothing is left on the server's disk).
      expect(await reconcilerAt(reusedAt.getTime() + HOUR + 1).reconcile()).to.deep.equal({
        removed: 1,
        kept: 0,
      });
      expect(await store.list()).to.deep.equal([]);
      const left = await readdir(path.join(server.directory, server.bucket, prefix, 'sha256')).catch(
        () => [],
      );
      expect(left).to.deep.equal([]);
      expect(await commit(reused)).to.deep.equal({ created: true });
    });

    it('when another host left staging, then a sweep takes it only once it is older than the staging age', async () => {
      const otherHost = s3Store({ host: 'other-host' });
      const staging = await otherHost.stage();
      await staging.write(randomBytes(100));
      await staging.finish();
      const now = s3Store({ stagingMaxAgeMs: 3_600_000 });
      expect(await now.sweepStaging()).to.equal(0);
      expect(await now.listStaging()).to.have.length(1);
      expect((await now.listStaging())[0]).to.match(/^other-host\//);
      const later = s3Store({ stagingMaxAgeMs: 3_600_000, now: () => Date.now() + 2 * 3_600_000 });
      expect(await later.sweepStaging()).to.equal(1);
      expect(await later.listStaging()).to.deep.equal([]);
    });

    it('when the server is not reachable, then every call fails as DEPENDENCY_UNAVAILABLE and the store says it is unwritable', async () => {
      const unreachable = s3Store({ endpoint: 'http://127.0.0.1:9', requestTimeoutMs: 2_000 });
      const failures = await Promise.all([
        unreachable.exists('0'.repeat(64)).catch((error: { code?: string }) => error.code),
        unreachable.list().catch((error: { code?: string }) => error.code),
        unreachable.sweepStaging().catch((error: { code?: string }) => error.code),
        (async () => {
          const staging = await unreachable.stage();
          await staging.write(randomBytes(10));
          return staging.finish().catch((error: { code?: string }) => error.code);
        })(),
        new Promise((resolve) => {
          unreachable.read('0'.repeat(64)).on('error', (error: { code?: string }) => resolve(error.code));
        }),
      ]);
      expect(failures).to.deep.equal(Array(5).fill('DEPENDENCY_UNAVAILABLE'));
      expect(await unreachable.unwritable()).to.equal('STORAGE_UNAVAILABLE');
      expect(await s3Store().unwritable()).to.equal(undefined);
    });

    it('when the bucket does not exist, then calls fail as a dependency fault, not as a missing blob', async () => {
      const lost = s3Store({ bucket: 'no-such-bucket' });
      const failure = await lost.list().then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error,
      );
      expect(failure?.code).to.equal('DEPENDENCY_UNAVAILABLE');
    });
  });
});
