import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { BlobStore, ByteRange, StagingFile } from '../../src/storage/blob-store';

/** What the contract needs from each kind of store. */
export interface BlobStoreHarness {
  /** A store with nothing in it, of the part size given (stores without parts ignore it). */
  open(): Promise<BlobStore>;
  /** Releases what `open` made. */
  close(): Promise<void>;
  /** Part size of the stores `open` makes, where bytes are sent in parts (0: not). */
  readonly partBytes: number;
  /**
   * Leaves a finished staging upload of another process of this host, as a
   * crash leaves it: of a process that is gone, or of one that still runs.
   * Returns a function that removes it.
   */
  strayStaging(owner: 'dead' | 'live'): Promise<() => Promise<void>>;
  /**
   * What the store's server still holds of unfinished uploads that the store's
   * API cannot list (s3rver: multipart uploads); [] where there is no such thing.
   */
  heldUploads(): Promise<string[]>;
}

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function readAll(store: BlobStore, sha256: string, range?: ByteRange): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.read(sha256, range)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function staged(store: BlobStore, bytes: Uint8Array, chunk = 64 * 1024): Promise<StagingFile> {
  const staging = await store.stage();
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    await staging.write(bytes.subarray(offset, offset + chunk));
  }
  await staging.finish();
  return staging;
}

/** The behaviour every BlobStore has, whatever keeps the bytes. */
export function blobStoreContract(harness: BlobStoreHarness): void {
  let store: BlobStore;
  beforeEach(async () => {
    store = await harness.open();
  });
  afterEach(async () => {
    await harness.close();
  });

  /** Nothing of any upload is left: no staging entry, nothing the server holds. */
  async function expectNoStaging(): Promise<void> {
    expect(await store.listStaging()).to.deep.equal([]);
    expect(await harness.heldUploads()).to.deep.equal([]);
  }

  it('when bytes are committed twice, then they are stored once and staging is empty', async () => {
    const bytes = randomBytes(10_000);
    const sha = sha256Of(bytes);
    const first = await staged(store, bytes);
    expect(first.bytesWritten).to.equal(bytes.length);
    expect(await store.commit(first, sha)).to.deep.equal({ created: true });
    expect(await store.commit(await staged(store, bytes), sha)).to.deep.equal({ created: false });
    expect(await store.list()).to.deep.equal([sha]);
    expect((await readAll(store, sha)).equals(bytes)).to.equal(true);
    await expectNoStaging();
  });

  it('when a range is read, then exactly its bytes come back; the first, the last and a single byte too', async () => {
    const bytes = randomBytes(10_000);
    const sha = sha256Of(bytes);
    await store.commit(await staged(store, bytes), sha);
    for (const range of [
      { start: 10, end: 19 },
      { start: 0, end: 0 },
      { start: 9_999, end: 9_999 },
      { start: 0, end: 9_999 },
    ]) {
      const read = await readAll(store, sha, range);
      expect(read.equals(bytes.subarray(range.start, range.end + 1)), JSON.stringify(range)).to.equal(true);
    }
  });

  it('when blobs are stored and removed, then exists and size follow, and reading a removed one fails with ENOENT', async () => {
    const bytes = randomBytes(3_000);
    const sha = sha256Of(bytes);
    const empty = sha256Of(new Uint8Array(0));
    expect(await store.exists(sha)).to.equal(false);
    expect(await store.modifiedAt(sha)).to.equal(undefined);
    await store.commit(await staged(store, bytes), sha);
    await store.commit(await staged(store, new Uint8Array(0)), empty);
    expect(await store.exists(sha)).to.equal(true);
    expect(await store.size(sha)).to.equal(3_000);
    expect(await store.size(empty)).to.equal(0);
    expect((await readAll(store, empty)).length).to.equal(0);
    expect(await store.list()).to.deep.equal([sha, empty].sort());

    await store.remove(sha);
    await store.remove(sha); // gone already: no error
    expect(await store.exists(sha)).to.equal(false);
    expect(await store.modifiedAt(sha)).to.equal(undefined);
    expect(await store.list()).to.deep.equal([empty]);
    const failure = await readAll(store, sha).then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error,
    );
    expect(failure?.code).to.equal('ENOENT');
    const sizeFailure = await store.size(sha).then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error,
    );
    expect(sizeFailure?.code).to.equal('ENOENT');
    await expectNoStaging();
  });

  it('when a finished staging file is discarded, then nothing of it is left, and a second discard is harmless', async () => {
    const staging = await staged(store, randomBytes(2 * Math.max(harness.partBytes, 1000) + 1));
    expect(await store.listStaging()).to.have.length(1);
    await store.discard(staging);
    await store.discard(staging);
    expect(await store.list()).to.deep.equal([]);
    await expectNoStaging();
  });

  // Whether the server then still holds the parts of an S3 upload is not checked: s3rver cannot abort one.
  it('when an unfinished staging file is discarded, then nothing of it is left', async () => {
    const staging = await store.stage();
    await staging.write(randomBytes(2 * Math.max(harness.partBytes, 1000) + 1));
    await store.discard(staging);
    expect(await store.list()).to.deep.equal([]);
    expect(await store.listStaging()).to.deep.equal([]);
  });

  it('when the service starts after a crash, then staging of dead processes and its own goes, and of live ones stays', async () => {
    const removeDead = await harness.strayStaging('dead');
    const removeLive = await harness.strayStaging('live');
    // At start-up nothing of this process is in flight yet, so its own staging counts as a leftover too.
    await staged(store, randomBytes(100));
    expect(await store.listStaging()).to.have.length(3);
    expect(await store.sweepStaging()).to.equal(2);
    expect(await store.listStaging()).to.have.length(1);
    await removeLive();
    await removeDead(); // gone already: harmless
    await expectNoStaging();
  });

  it('when bytes are stored, then stored() and modifiedAt() give their time, and reusing them makes them younger', async () => {
    const bytes = randomBytes(500);
    const sha = sha256Of(bytes);
    const before = Date.now();
    await store.commit(await staged(store, bytes), sha);
    const written = await store.modifiedAt(sha);
    expect(written).to.be.instanceOf(Date);
    // Object stores keep whole seconds.
    expect((written as Date).getTime()).to.be.within(before - 2_000, Date.now() + 2_000);
    const listed = [];
    for await (const blob of store.stored()) listed.push(blob);
    expect(listed).to.deep.equal([{ sha256: sha, modifiedAt: written }]);

    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the clock's resolution
    expect(await store.commit(await staged(store, bytes), sha)).to.deep.equal({ created: false });
    const reused = (await store.modifiedAt(sha)) as Date;
    expect(reused.getTime()).to.be.greaterThan((written as Date).getTime());
    const relisted = [];
    for await (const blob of store.stored()) relisted.push(blob);
    expect(relisted).to.deep.equal([{ sha256: sha, modifiedAt: reused }]);
    expect(await store.list()).to.deep.equal([sha]);
    await expectNoStaging();
  });

  it('when a file spans many parts, then it is stored whole: it hashes back to its address, ranges across parts too', async function () {
    this.timeout(120_000);
    const bytes = randomBytes(40 * 1024 * 1024);
    const sha = sha256Of(bytes);
    // Odd-sized writes, so that parts fill across write boundaries.
    const staging = await staged(store, bytes, 1_000_003);
    expect(staging.bytesWritten).to.equal(bytes.length);
    expect(await store.commit(staging, sha)).to.deep.equal({ created: true });
    expect(await store.size(sha)).to.equal(bytes.length);
    expect(sha256Of(await readAll(store, sha))).to.equal(sha);
    const boundary = harness.partBytes || 1024 * 1024;
    const across = { start: boundary - 10, end: boundary + 9 };
    expect((await readAll(store, sha, across)).equals(bytes.subarray(across.start, across.end + 1))).to.equal(
      true,
    );
    await store.remove(sha);
    await expectNoStaging();
  });

  it('when a name is not a SHA-256, then the store refuses to build a key from it', async () => {
    expect(() => store.read('../../etc/passwd')).to.throw();
    const refused = await store.exists('A'.repeat(64)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(Error);
  });
}
