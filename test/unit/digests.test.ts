import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import {
  DIGEST_ALGORITHMS,
  type DigestAlgorithm,
  Digester,
  DigesterClosedError,
  type DigesterOptions,
  DigestWorkerError,
  digestFile,
} from '../../src/evidence/digests';

const MiB = 1024 * 1024;
const DEFAULT_BOUND = 16 * MiB;

const WORKER_ALGORITHMS = DIGEST_ALGORITHMS.filter((algorithm) => algorithm !== 'sha256');
/** Every requestable set: sha256 plus each subset of the others. */
const ALGORITHM_SETS: DigestAlgorithm[][] = Array.from(
  { length: 2 ** WORKER_ALGORITHMS.length },
  (_, mask) => ['sha256', ...WORKER_ALGORITHMS.filter((_, bit) => mask & (1 << bit))],
);

/** What node:crypto computes in one call, for each algorithm. */
function oneShotDigests(data: Uint8Array, algorithms: readonly DigestAlgorithm[]): Record<string, string> {
  return Object.fromEntries(
    algorithms.map((algorithm) => [algorithm, createHash(algorithm).update(data).digest('hex')]),
  );
}

/**
 * Chunk sizes that add up to `total`, from a fixed seed: empty chunks, many
 * 1-byte chunks, small ones, and ones larger than a worker message (1 MiB).
 */
function chunkSizes(total: number, seed: number): number[] {
  let state = seed;
  const next = (below: number): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state % below;
  };
  const sizes: number[] = [];
  for (let left = total; left > 0; ) {
    const kind = next(10);
    let size: number;
    if (kind === 0) size = 0;
    else if (kind < 4) size = 1;
    else if (kind < 7) size = 1 + next(4096);
    else if (kind < 9) size = 1 + next(256 * 1024);
    else size = MiB + next(2 * MiB);
    size = Math.min(size, left);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('evidence digests', () => {
  const created: Digester[] = [];
  let tempDir = '';

  /** A digester that afterEach destroys, so that a failing test leaves no worker behind. */
  function digester(algorithms: readonly DigestAlgorithm[], options?: DigesterOptions): Digester {
    const made = Digester.create(algorithms, options);
    created.push(made);
    return made;
  }

  before(async () => {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'custody-digests-'));
  });

  afterEach(async () => {
    await Promise.all(created.splice(0).map((made) => made.destroy()));
  });

  after(async () => {
    await rm(tempDir, { recursive: true, force: true });
  });

  describe('digests of a stream', () => {
    const data = randomBytes(3 * MiB + 17);

    for (const algorithms of ALGORITHM_SETS) {
      const name = algorithms.join('+');

      it(`when ${name} digests empty input, then each digest equals node:crypto's and no worker is left`, async () => {
        const made = digester(algorithms);
        expect(await made.finish()).to.deep.equal(oneShotDigests(new Uint8Array(0), algorithms));
        expect(made.bytes).to.equal(0);
        expect(made.runningWorkers).to.equal(0);
      });

      it(`when ${name} digests 1 byte, then each digest equals node:crypto's`, async () => {
        const made = digester(algorithms);
        await made.update(Uint8Array.of(0x5a));
        expect(await made.finish()).to.deep.equal(oneShotDigests(Uint8Array.of(0x5a), algorithms));
        expect(made.bytes).to.equal(1);
      });

      it(`when ${name} digests 3 MiB in chunks of random size, then each digest equals node:crypto's`, async () => {
        const made = digester(algorithms);
        let offset = 0;
        for (const size of chunkSizes(data.length, algorithms.length * 7919)) {
          await made.update(data.subarray(offset, offset + size));
          offset += size;
        }
        expect(await made.finish()).to.deep.equal(oneShotDigests(data, algorithms));
        expect(made.bytes).to.equal(data.length);
        expect(made.runningWorkers).to.equal(0);
      });
    }

    it('when the caller reuses one buffer for every chunk, then the digests cover the bytes as fed and the buffer stays usable', async () => {
      const made = digester(DIGEST_ALGORITHMS);
      const scratch = new Uint8Array(300_000);
      for (let offset = 0; offset < data.length; offset += scratch.length) {
        const size = Math.min(scratch.length, data.length - offset);
        scratch.set(data.subarray(offset, offset + size));
        await made.update(scratch.subarray(0, size));
        expect(scratch.byteLength).to.equal(300_000);
      }
      expect(await made.finish()).to.deep.equal(oneShotDigests(data, DIGEST_ALGORITHMS));
    });

    it('when "abc" is digested, then the well-known test vectors come out', async () => {
      const made = digester(DIGEST_ALGORITHMS);
      await made.update(new TextEncoder().encode('abc'));
      expect(await made.finish()).to.deep.equal({
        sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        sha512:
          'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a' +
          '2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
        md5: '900150983cd24fb0d6963f7d28e17f72',
        sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
      });
    });
  });

  describe('creation', () => {
    it('when only sha256 is requested, then no worker is started', async () => {
      const made = digester(['sha256']);
      expect(made.runningWorkers).to.equal(0);
      await made.update(Uint8Array.of(1, 2, 3));
      expect(await made.finish()).to.deep.equal(oneShotDigests(Uint8Array.of(1, 2, 3), ['sha256']));
    });

    it('when an algorithm is requested twice, then it gets one worker and one digest', async () => {
      const made = digester(['sha1', 'sha256', 'sha1', 'sha256']);
      expect(made.runningWorkers).to.equal(1);
      expect(Object.keys(await made.finish())).to.have.members(['sha256', 'sha1']);
    });

    it('when sha256 is not requested, then creation fails', () => {
      expect(() => Digester.create(['sha512'])).to.throw(RangeError);
    });

    it('when the bound is not a positive integer, then creation fails', () => {
      expect(() => Digester.create(['sha256', 'md5'], { maxPendingBytesPerWorker: 0 })).to.throw(RangeError);
      expect(() => Digester.create(['sha256', 'md5'], { maxPendingBytesPerWorker: 1.5 })).to.throw(
        RangeError,
      );
    });
  });

  describe('backpressure', () => {
    it('when 100 MiB are fed as fast as update() allows, then no worker ever has more than 16 MiB outstanding', async () => {
      const made = digester(DIGEST_ALGORITHMS);
      const chunk = randomBytes(MiB);
      let highest = 0;
      for (let fed = 0; fed < 100; fed++) {
        await made.update(chunk);
        highest = Math.max(highest, made.pendingBytes);
      }
      expect(highest).to.be.at.most(DEFAULT_BOUND);
      // Copying is far faster than hashing, so the workers fall behind: the bound, not luck, held them.
      expect(highest).to.be.above(DEFAULT_BOUND / 2);
      await made.finish();
    });

    it('when chunks are larger than the bound, then they are split and the bound still holds', async () => {
      const bound = 256 * 1024;
      const made = digester(['sha256', 'sha512'], { maxPendingBytesPerWorker: bound });
      const chunk = randomBytes(MiB + 5);
      let highest = 0;
      for (let fed = 0; fed < 4; fed++) {
        await made.update(chunk);
        highest = Math.max(highest, made.pendingBytes);
      }
      expect(highest).to.be.at.most(bound);
      expect(await made.finish()).to.deep.equal(
        oneShotDigests(Buffer.concat([chunk, chunk, chunk, chunk]), ['sha256', 'sha512']),
      );
    });
  });

  describe('lifecycle', () => {
    it('when finish() has resolved, then no worker runs and later calls reject', async () => {
      const made = digester(DIGEST_ALGORITHMS);
      await made.update(randomBytes(MiB));
      await made.finish();
      expect(made.runningWorkers).to.equal(0);
      expect(await rejectionOf(made.update(Uint8Array.of(1)))).to.be.instanceOf(DigesterClosedError);
      expect(await rejectionOf(made.finish())).to.be.instanceOf(DigesterClosedError);
    });

    it('when destroy() is called mid-stream, then the workers are gone and later calls reject', async () => {
      const made = digester(DIGEST_ALGORITHMS);
      const chunk = randomBytes(MiB);
      for (let fed = 0; fed < 8; fed++) await made.update(chunk);
      await made.destroy();
      expect(made.runningWorkers).to.equal(0);
      expect(await rejectionOf(made.update(chunk))).to.be.instanceOf(DigesterClosedError);
      expect(await rejectionOf(made.update(new Uint8Array(0)))).to.be.instanceOf(DigesterClosedError);
      expect(await rejectionOf(made.finish())).to.be.instanceOf(DigesterClosedError);
      await made.destroy();
    });

    it('when destroy() is called while an update waits for the workers, then that update rejects', async () => {
      const made = digester(['sha256', 'md5'], { maxPendingBytesPerWorker: 64 * 1024 });
      const waiting = made.update(randomBytes(8 * MiB));
      await new Promise(setImmediate);
      expect(made.bytes)
        .to.be.above(0)
        .and.below(8 * MiB);
      await made.destroy();
      expect(await rejectionOf(waiting)).to.be.instanceOf(DigesterClosedError);
      expect(made.runningWorkers).to.equal(0);
    });
  });

  describe('worker failures', () => {
    /** Writes a stand-in worker entry that misbehaves as `body` says when it gets its first message. */
    async function misbehavingWorker(name: string, body: string): Promise<string> {
      const file = path.join(tempDir, `${name}.js`);
      await writeFile(
        file,
        `require('node:worker_threads').parentPort.once('message', () => { ${body} });\n`,
      );
      return file;
    }

    it('when a worker throws, then the digester rejects with a DigestWorkerError and cleans up', async () => {
      const workerFile = await misbehavingWorker('throws', "throw new Error('hash failed');");
      const made = digester(['sha256', 'sha512'], { workerFile });
      const error = await rejectionOf(made.update(Uint8Array.of(1)).then(() => made.finish()));
      expect(error).to.be.instanceOf(DigestWorkerError);
      expect((error as DigestWorkerError).algorithm).to.equal('sha512');
      await made.destroy();
      expect(made.runningWorkers).to.equal(0);
    });

    it('when a worker exits before its digest, then finish() rejects with a DigestWorkerError', async () => {
      const workerFile = await misbehavingWorker('exits', 'process.exit(3);');
      const made = digester(['sha256', 'md5', 'sha1'], { workerFile });
      const error = await rejectionOf(made.update(Uint8Array.of(1)).then(() => made.finish()));
      expect(error).to.be.instanceOf(DigestWorkerError);
      await made.destroy();
      expect(made.runningWorkers).to.equal(0);
    });

    it('when a worker exits while an update waits for it, then that update rejects', async () => {
      // Never acknowledges a chunk, so the second piece must wait; then exits.
      const workerFile = await misbehavingWorker('stalls', 'setTimeout(() => process.exit(1), 50);');
      const made = digester(['sha256', 'sha1'], { workerFile, maxPendingBytesPerWorker: MiB });
      expect(await rejectionOf(made.update(randomBytes(4 * MiB)))).to.be.instanceOf(DigestWorkerError);
      expect(made.bytes).to.equal(MiB);
      await made.destroy();
      expect(made.runningWorkers).to.equal(0);
    });
  });

  describe('digestFile', () => {
    it('when a file is digested, then the digests equal node:crypto and the size is reported', async () => {
      const data = randomBytes(5 * MiB + 3);
      const file = path.join(tempDir, 'evidence.bin');
      await writeFile(file, data);
      expect(await digestFile(file, DIGEST_ALGORITHMS)).to.deep.equal({
        ...oneShotDigests(data, DIGEST_ALGORITHMS),
        size: data.length,
      });
    });

    it('when the file is empty, then the digests are those of no bytes and the size is 0', async () => {
      const file = path.join(tempDir, 'empty.bin');
      await writeFile(file, new Uint8Array(0));
      expect(await digestFile(file, ['sha256', 'md5'])).to.deep.equal({
        ...oneShotDigests(new Uint8Array(0), ['sha256', 'md5']),
        size: 0,
      });
    });

    it('when the file does not exist, then digestFile rejects with ENOENT', async () => {
      const error = await rejectionOf(digestFile(path.join(tempDir, 'missing.bin'), DIGEST_ALGORITHMS));
      expect(error).to.have.property('code', 'ENOENT');
    });

    it('when sha256sum and sha512sum are installed, then digestFile agrees with them on a 20 MB file', async function () {
      const tools = { sha256: '/usr/bin/sha256sum', sha512: '/usr/bin/sha512sum' } as const;
      // coreutils is on every Debian machine, CI's included; only a machine without it has nothing to compare with.
      if (!existsSync(tools.sha256) || !existsSync(tools.sha512)) this.skip();
      const file = path.join(tempDir, 'twenty-mb.bin');
      await writeFile(file, randomBytes(20_000_000));
      const toolDigest = async (tool: string): Promise<string | undefined> =>
        (await promisify(execFile)(tool, [file])).stdout.split(' ')[0];
      const digests = await digestFile(file, ['sha256', 'sha512']);
      expect(digests.sha256).to.equal(await toolDigest(tools.sha256));
      expect(digests.sha512).to.equal(await toolDigest(tools.sha512));
      expect(digests.size).to.equal(20_000_000);
    });
  });
});
