import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A request's Idempotency-Key, claimed in the transaction of the first log entry
 * the request appends: the key commits with the write or not at all, so after a
 * crash between commit and answer a retry still finds what was written.
 */
export interface IdempotencyClaim {
  /** The caller (a principal's subject): keys are scoped to the caller that sent them. */
  readonly principal: string;
  readonly key: string;
  /** SHA-256 of the request (method, target, body): a key reused for another request is refused. */
  readonly fingerprint: Uint8Array;
  /** Set by the sequencer once the claim is committed: the index of the entry it was claimed with. */
  entryIndex?: number;
  /** Whether an append has taken the claim (only a request's first append carries it). */
  taken?: boolean;
}

const current = new AsyncLocalStorage<IdempotencyClaim>();

/** Runs `body` (the rest of the request) with `claim` available to the log's appends. */
export function withIdempotencyClaim<T>(claim: IdempotencyClaim, body: () => T): T {
  return current.run(claim, body);
}

/** The running request's claim, once: the first append of the request takes it. */
export function takeIdempotencyClaim(): IdempotencyClaim | undefined {
  const claim = current.getStore();
  if (!claim || claim.taken) return undefined;
  claim.taken = true;
  return claim;
}
