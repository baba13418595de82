import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { FsBlobStore } from '../../src/storage/fs-blob-store';

describe('the filesystem blob store', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'custody-store-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function stageBytes(store: FsBlobStore, bytes: Uint8Array) {
    const staging = await store.stage();
    await staging.write(bytes);
    await staging.finish();
    return staging;
  }

  it('when bytes are committed twice, then they are stored once, read-only, and staging is empty', async () => {
    const store = await FsBlobStore.open(root);
    const bytes = randomBytes(10_000);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(await store.commit(await stageBytes(store, bytes), sha)).to.deep.equal({ created: true });
    expect(await store.commit(await stageBytes(store, bytes), sha)).to.deep.equal({ created: false });
    expect(await store.list()).to.deep.equal([sha]);
    expect(await store.listStaging()).to.deep.equal([]);
    expect(
      (await stat(path.join(root, 'sha256', sha.slice(0, 2), sha.slice(2, 4), sha))).mode & 0o777,
    ).to.equal(0o400);
    const read: Buffer[] = [];
    for await (const chunk of store.read(sha, { start: 10, end: 19 })) read.push(chunk as Buffer);
    expect(Buffer.concat(read).equals(bytes.subarray(10, 20))).to.equal(true);
  });

  it('when the service starts after a crash, then staging files of dead processes go and those of live ones stay', async () => {
    const store = await FsBlobStore.open(root);
    const dead = path.join(root, 'staging', '999999999-0a1b.part');
    const live = path.join(root, 'staging', `${process.ppid}-2c3d.part`);
    const mine = await store.stage();
    await writeFile(dead, 'half an upload');
    await writeFile(live, 'an upload in another process');
    // At start-up nothing of this process is in flight yet, so its own files count as leftovers too.
    expect(await store.sweepStaging()).to.equal(2);
    expect(await store.listStaging()).to.deep.equal([path.basename(live)]);
    await store.discard(mine);
  });

  it('when a name is not a SHA-256, then the store refuses to build a path from it', async () => {
    const store = await FsBlobStore.open(root);
    expect(() => store.read('../../etc/passwd')).to.throw();
    let refused: unknown;
    await store.exists('A'.repeat(64)).catch((error: unknown) => {
      refused = error;
    });
    expect(refused).to.be.instanceOf(Error);
  });
});
