import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DigestWorkerData, FromDigestWorker, ToDigestWorker } from './digest-worker';

export const DIGEST_ALGORITHMS = ['sha256', 'sha512', 'md5', 'sha1'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];
/** Lowercase hex digests by algorithm. */
export type DigestSet = Partial<Record<DigestAlgorithm, string>>;

export interface DigesterOptions {
  /**
   * Bytes a worker may have been sent but not yet hashed; update() waits beyond
   * that. Bounds the memory a slow worker can pin (default 16 MiB).
   */
  readonly maxPendingBytesPerWorker?: number;
  /** The worker entry to run; tests substitute one that fails. */
  readonly workerFile?: string;
}

const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;
/**
 * Largest piece posted to a worker at once: large enough that messaging costs
 * little, small enough that a worker still has queued work while update() waits.
 */
const MAX_PIECE_BYTES = 1024 * 1024;
const DIGEST_WORKER_FILE = join(__dirname, 'digest-worker.js');

/** update() or finish() on a digester that was finished or destroyed. */
export class DigesterClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A digest worker failed or stopped before it delivered its digest. */
export class DigestWorkerError extends Error {
  readonly algorithm: DigestAlgorithm;

  constructor(algorithm: DigestAlgorithm, message: string, options?: { cause?: unknown }) {
    super(`${algorithm} digest worker ${message}`, options);
    this.name = new.target.name;
    this.algorithm = algorithm;
  }
}

interface DigestWorkerEvents {
  onHashed(): void;
  onFailure(error: DigestWorkerError): void;
}

/** One worker thread computing one digest, and the bytes it has been sent but not yet hashed. */
class DigestWorker {
  readonly algorithm: DigestAlgorithm;
  pendingBytes = 0;
  running = true;
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** Set once we stop the worker ourselves, so that its exit is not taken for a failure. */
  private terminating = false;
  private deliverDigest: ((hex: string) => void) | undefined;

  constructor(algorithm: DigestAlgorithm, file: string, events: DigestWorkerEvents) {
    this.algorithm = algorithm;
    const workerData: DigestWorkerData = { algorithm };
    // A small heap: the worker holds only one digest state and the chunks in flight,
    // and frequent scavenges return transferred chunks promptly (peak RSS stays low).
    this.worker = new Worker(file, {
      workerData,
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 },
    });
    this.worker.on('message', (message: FromDigestWorker) => {
      if (message.type === 'hashed') {
        this.pendingBytes -= message.bytes;
        events.onHashed();
      } else {
        this.deliverDigest?.(message.hex);
      }
    });
    this.worker.on('error', (error) =>
      events.onFailure(new DigestWorkerError(algorithm, 'failed', { cause: error })),
    );
    this.worker.on('messageerror', (error) =>
      events.onFailure(new DigestWorkerError(algorithm, 'got an unreadable message', { cause: error })),
    );
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.running = false;
        if (!this.terminating) events.onFailure(new DigestWorkerError(algorithm, `exited with code ${code}`));
        resolve();
      });
    });
  }

  /**
   * Posts a private copy and transfers it: the caller may reuse its buffer once
   * update() resolves, and cloning a view would copy its whole backing ArrayBuffer.
   */
  post(piece: Uint8Array): void {
    const copy = new Uint8Array(piece);
    this.pendingBytes += piece.byteLength;
    this.send({ type: 'chunk', bytes: copy }, [copy.buffer]);
  }

  /** Resolves with the digest once every chunk posted before is hashed; never rejects (failures go to onFailure). */
  requestDigest(): Promise<string> {
    return new Promise((resolve) => {
      this.deliverDigest = resolve;
      this.send({ type: 'finish' });
    });
  }

  /** Stops the thread; resolves once it has exited. */
  terminate(): Promise<void> {
    if (!this.terminating) {
      this.terminating = true;
      void this.worker.terminate();
    }
    return this.exited;
  }

  private send(message: ToDigestWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }
}

/**
 * Computes several digests of one byte stream. SHA-256 on the calling thread
 * (node:crypto), every other algorithm on its own worker thread, so that the
 * stream is read once while the digests are computed on several cores.
 */
export class Digester {
  private readonly sha256 = createHash('sha256');
  private readonly workers: readonly DigestWorker[];
  private readonly maxPendingBytes: number;
  private readonly pieceBytes: number;
  private fedBytes = 0;
  private finishing = false;
  /** The first worker failure, or the destroy() that ended the digester. */
  private failure: Error | undefined;
  /** Rejects with `failure`; every wait races against it, so that none outlives a failed worker. */
  private readonly failed: Promise<never>;
  /** Assigned by the Promise executor in the constructor, which runs at once. */
  private rejectFailed!: (error: Error) => void;
  /** The last update() in line: updates run one after another, so chunks reach the hashes in order. */
  private queue: Promise<void> = Promise.resolve();
  private roomWaiter: { readonly bytes: number; readonly resolve: () => void } | undefined;

  private constructor(workerAlgorithms: readonly DigestAlgorithm[], options: DigesterOptions) {
    this.maxPendingBytes = options.maxPendingBytesPerWorker ?? DEFAULT_MAX_PENDING_BYTES;
    this.pieceBytes = Math.min(this.maxPendingBytes, MAX_PIECE_BYTES);
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    // Only races observe `failed`; a failure while nothing waits must not count as unhandled.
    this.failed.catch(() => undefined);
    const events: DigestWorkerEvents = {
      onHashed: () => this.wakeRoomWaiter(),
      onFailure: (error) => this.fail(error),
    };
    const file = options.workerFile ?? DIGEST_WORKER_FILE;
    this.workers = workerAlgorithms.map((algorithm) => new DigestWorker(algorithm, file, events));
  }

  /** `algorithms` must include 'sha256'; duplicates are ignored. Only a request for SHA-256 alone starts no worker. */
  static create(algorithms: readonly DigestAlgorithm[], options: DigesterOptions = {}): Digester {
    const requested = new Set(algorithms);
    for (const algorithm of requested) {
      if (!DIGEST_ALGORITHMS.includes(algorithm)) {
        throw new RangeError(`unknown digest algorithm ${JSON.stringify(algorithm)}`);
      }
    }
    if (!requested.has('sha256')) throw new RangeError('sha256 must be among the requested digests');
    const maxPending = options.maxPendingBytesPerWorker;
    if (maxPending !== undefined && (!Number.isSafeInteger(maxPending) || maxPending < 1)) {
      throw new RangeError('maxPendingBytesPerWorker must be a positive integer');
    }
    requested.delete('sha256');
    return new Digester([...requested], options);
  }

  /** Bytes fed so far. */
  get bytes(): number {
    return this.fedBytes;
  }

  /** The most bytes any worker has been sent but not yet hashed: never above the configured bound. */
  get pendingBytes(): number {
    return Math.max(0, ...this.workers.map((worker) => worker.pendingBytes));
  }

  /** Worker threads not yet exited: 0 after finish() or destroy() has resolved. */
  get runningWorkers(): number {
    return this.workers.filter((worker) => worker.running).length;
  }

  /**
   * Feeds the next chunk. Resolves once the chunk is handed over (copied for the
   * workers), at once unless a worker is too far behind: await it for backpressure.
   * The caller must not change the chunk before then.
   */
  update(chunk: Uint8Array): Promise<void> {
    if (this.finishing) return Promise.reject(new DigesterClosedError('update() after finish()'));
    const fed = this.queue.then(() => this.feed(chunk));
    this.queue = fed.catch(() => undefined);
    return fed;
  }

  /** All digests, after the last chunk; terminates the workers. */
  async finish(): Promise<DigestSet & { sha256: string }> {
    if (this.finishing) throw new DigesterClosedError('finish() called twice');
    this.finishing = true;
    await this.queue;
    this.throwIfFailed();
    const workerDigests = await Promise.race([
      Promise.all(
        this.workers.map(async (worker) => [worker.algorithm, await worker.requestDigest()] as const),
      ),
      this.failed,
    ]);
    await this.terminateWorkers();
    const digests: DigestSet & { sha256: string } = { sha256: this.sha256.digest('hex') };
    for (const [algorithm, hex] of workerDigests) digests[algorithm] = hex;
    return digests;
  }

  /** Abandons the computation and terminates the workers (idempotent, never throws). */
  async destroy(): Promise<void> {
    this.fail(new DigesterClosedError('the digester was destroyed'));
    await this.terminateWorkers();
  }

  private async feed(chunk: Uint8Array): Promise<void> {
    this.throwIfFailed();
    for (let offset = 0; offset < chunk.byteLength; offset += this.pieceBytes) {
      const piece = chunk.subarray(offset, offset + this.pieceBytes);
      if (!this.hasRoomFor(piece.byteLength)) await this.roomFor(piece.byteLength);
      for (const worker of this.workers) worker.post(piece);
      this.sha256.update(piece);
      this.fedBytes += piece.byteLength;
    }
  }

  private hasRoomFor(bytes: number): boolean {
    return this.workers.every((worker) => worker.pendingBytes + bytes <= this.maxPendingBytes);
  }

  private async roomFor(bytes: number): Promise<void> {
    const room = new Promise<void>((resolve) => {
      this.roomWaiter = { bytes, resolve };
    });
    await Promise.race([room, this.failed]);
    // The room may have come just before a failure or destroy() did.
    this.throwIfFailed();
  }

  private wakeRoomWaiter(): void {
    const waiter = this.roomWaiter;
    if (waiter && this.hasRoomFor(waiter.bytes)) {
      this.roomWaiter = undefined;
      waiter.resolve();
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
    void this.terminateWorkers();
  }

  private async terminateWorkers(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** Bytes read from disk at a time by digestFile. */
const FILE_CHUNK_BYTES = 1024 * 1024;

/** Streams a file from disk through a Digester (for fixity checks); memory stays bounded. */
export async function digestFile(
  path: string,
  algorithms: readonly DigestAlgorithm[],
): Promise<DigestSet & { sha256: string; size: number }> {
  const digester = Digester.create(algorithms);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES })) {
      await digester.update(chunk as Buffer);
    }
    const digests = await digester.finish();
    return { ...digests, size: digester.bytes };
  } finally {
    await digester.destroy();
  }
}
