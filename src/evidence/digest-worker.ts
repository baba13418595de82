import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { DigestAlgorithm } from './digests';

/**
 * Worker thread entry for `Digester` (digests.ts): hashes the chunks it is sent,
 * in order, with one node:crypto hash, so that a second core does the work.
 */

/** Given as `workerData` when the worker is started. */
export interface DigestWorkerData {
  readonly algorithm: DigestAlgorithm;
}

export type ToDigestWorker =
  | { readonly type: 'chunk'; readonly bytes: Uint8Array }
  | { readonly type: 'finish' };

/** `hashed` acknowledges each chunk, so that the sender can bound what is still queued here. */
export type FromDigestWorker =
  | { readonly type: 'hashed'; readonly bytes: number }
  | { readonly type: 'digest'; readonly hex: string };

const port = parentPort;
if (!port) throw new Error('digest-worker runs only as a worker thread');

const hash = createHash((workerData as DigestWorkerData).algorithm);

const reply = (message: FromDigestWorker): void => port.postMessage(message);

port.on('message', (message: ToDigestWorker) => {
  if (message.type === 'chunk') {
    hash.update(message.bytes);
    reply({ type: 'hashed', bytes: message.bytes.byteLength });
  } else {
    reply({ type: 'digest', hex: hash.digest('hex') });
  }
});
