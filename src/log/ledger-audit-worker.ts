import { parentPort } from 'node:worker_threads';
import { CLOSE_WORKER, checkEntries } from './entry-check';

/** A page of entries for the per-entry checks, as the audit posts it. */
export interface EntryCheckRequest {
  readonly id: number;
  readonly fixed: Uint8Array;
  readonly hashes: Uint8Array;
  /** base64 (`LogRepository.auditEntries`). */
  readonly data: string;
  /** The page's columns as JSON text: one string clones faster than ten thousand arrays. */
  readonly columns: string;
  /** Per entry, the disclosures kept with it, as JSON text. */
  readonly disclosures: string;
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Worker thread of the ledger audit: checks one page of entries at a time and answers its first failure. */
parentPort?.on('message', (request: EntryCheckRequest | typeof CLOSE_WORKER) => {
  if (request === CLOSE_WORKER) {
    parentPort?.close();
    return;
  }
  const failure = checkEntries({
    fixed: asBuffer(request.fixed),
    hashes: asBuffer(request.hashes),
    data: Buffer.from(request.data, 'base64'),
    columns: JSON.parse(request.columns),
    disclosures: JSON.parse(request.disclosures),
  });
  parentPort?.postMessage({ id: request.id, failure });
});
