import type { DataSource, EntityManager } from 'typeorm';
import type { IdempotencyRepository } from '../db/idempotency.repository';
import type { LogHead, LogRepository } from '../db/log.repository';
import { isLockConflict } from '../db/pg-errors';
import { LedgerError, PushbackError } from '../errors';
import { faultPoint } from '../faults';
import {
  type Actor,
  appendLeaves,
  type CompactRange,
  compactRangeIds,
  compactRoot,
  type EntryDisclosure,
  emptyRoot,
  equalBytes,
  inclusionProof,
  type LogEntry,
  type NodeId,
  type NoteSigner,
  openCheckpoint,
  parseEntry,
  SD_ALG_KEY,
  SD_KEY,
  type StoredNode,
  signCheckpoint,
  toBase64,
  toHex,
  treeRoot,
  unstorableStrings,
} from '../ledger';
import type { Logger } from '../logger';
import { type CheckpointWitness, type TreePoint, WitnessUnreadable } from './checkpoint-witness';
import type { DomainWrite, DomainWriter } from './domain-write';
import { isWellFormedEntry } from './entry-check';
import { type IdempotencyClaim, takeIdempotencyClaim } from './idempotency-claim';
import { checkAgainstWitness, type HaltReason, LogHalt, verifyCheckpointChain } from './log-integrity';
import {
  type EntryRequest,
  type SequencedEntry,
  sequenceEntries,
  storedEntryOf,
  type WithheldRequest,
  withhold,
} from './sequence';

export type { EntryRequest } from './sequence';

/** A request to append, with the domain write that must commit with its entry or not at all. */
export interface AppendRequest extends EntryRequest {
  /** Runs inside the batch transaction, grouped with the batch's other writes of its writer. */
  readonly write?: DomainWrite;
}

/** An appended entry with what its receipt needs: its index and an inclusion proof under a signed checkpoint. */
export interface Appended {
  readonly entry: LogEntry;
  /** The entry's withheld fields as disclosures: for the writer, who may see all of them. */
  readonly disclosures: readonly EntryDisclosure[];
  readonly index: number;
  readonly leafHash: Uint8Array;
  readonly treeSize: number;
  readonly proof: Uint8Array[];
  /** The signed checkpoint note the proof is against. */
  readonly checkpoint: string;
}

export interface SequencerOptions {
  /** Most requests in one transaction. */
  readonly maxBatch: number;
  /** Most requests waiting; beyond it appends are refused with PUSHBACK (HTTP 503 + Retry-After). */
  readonly maxQueue: number;
  readonly now?: () => Date;
  /**
   * The checkpoint kept outside the database (DATA_DIR). With it, the sequencer
   * refuses to sign over a database that is behind or beside what it signed
   * before, and verifies the checkpoint chain incrementally at open.
   */
  readonly witness?: CheckpointWitness;
  /**
   * Where a request's Idempotency-Key is claimed, in the transaction of its first
   * entry. Without it, claims are not kept (tools that append outside requests).
   */
  readonly idempotency?: IdempotencyRepository;
}

/** What a rollback lost: the checkpoint signed before, and the log the database holds instead. */
export interface RollbackEvidence {
  readonly reason: Extract<HaltReason, 'LOG_ROLLED_BACK' | 'SPLIT_VIEW'>;
  readonly lost: TreePoint;
}

interface Pending {
  readonly request: AppendRequest & WithheldRequest;
  /** Whether the answer carries an inclusion proof (a receipt needs one; an audit record does not). */
  readonly proved: boolean;
  /** The change it belongs to, when that change writes several entries: they commit together or not at all. */
  readonly change?: object;
  /** The request's Idempotency-Key, claimed with this entry. */
  readonly claim?: IdempotencyClaim;
  resolve(appended: Appended): void;
  reject(error: unknown): void;
}

/**
 * The log writer. Appends are queued and committed in groups: one transaction per
 * batch locks the log head (so several processes can share one database),
 * sequences the entries, integrates them into the tree, and signs a checkpoint.
 * Every request is answered only after that commit, with an inclusion proof.
 */
export class Sequencer {
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  private settled: Array<() => void> = [];
  /** The compact range after this process's last batch; reused when no other process appended since. */
  private range: CompactRange | undefined;
  private haltReason: HaltReason | undefined;
  /** The largest checkpoint known signed: the database must never fall behind or beside it. */
  private lastSigned: TreePoint | undefined;
  private rollback: RollbackEvidence | undefined;
  /** Set while recording a rollback: the next witness write may go backwards. */
  private replacingWitness = false;

  private constructor(
    private readonly db: DataSource,
    private readonly log: LogRepository,
    private readonly signer: NoteSigner,
    private readonly options: SequencerOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * Opens the log: creates the empty log on first use, and otherwise checks that
   * the stored tree matches the last signed checkpoint, that the stored
   * checkpoint chain is complete and consistent (from the point verified last),
   * and that the database is not behind or beside the checkpoint kept outside
   * it. On any mismatch the sequencer halts and refuses to sign (the log must not fork).
   */
  static async open(
    db: DataSource,
    log: LogRepository,
    signer: NoteSigner,
    options: SequencerOptions,
    logger: Logger,
  ): Promise<Sequencer> {
    const sequencer = new Sequencer(db, log, signer, options, logger);
    let head = await log.head();
    if (!head) {
      const root = emptyRoot();
      await log.createHead(db, {
        origin: signer.name,
        size: 0,
        root,
        checkpoint: signCheckpoint({ origin: signer.name, size: 0, root }, signer),
      });
      head = (await log.head()) as LogHead;
    }
    try {
      await sequencer.checkStoredTree(head);
      await sequencer.checkIntegrity(head);
    } catch (error) {
      if (!(error instanceof LogHalt)) throw error;
      sequencer.haltReason = error.reason;
      logger.fatal(
        { err: error, reason: error.reason, ...error.evidence },
        'the stored log does not match what was signed; refusing to sign',
      );
    }
    return sequencer;
  }

  /** Why the sequencer refuses to append, if it does: a stable reason code. */
  get halted(): HaltReason | undefined {
    return this.haltReason;
  }

  /** The rollback or split view found at open, if that is why the sequencer halted. */
  get rolledBack(): RollbackEvidence | undefined {
    return this.haltReason === 'LOG_ROLLED_BACK' || this.haltReason === 'SPLIT_VIEW'
      ? this.rollback
      : undefined;
  }

  /**
   * The operator's recovery from a rollback: checks the surviving log from
   * scratch, then appends a `log.rolled_back` entry (subject `key`, the log key)
   * naming the lost checkpoint's size and root and the log found instead, and
   * signs again from there. The checkpoint kept outside the database moves back
   * to the new head: the rollback is now part of the log itself.
   */
  async recordRollback(actor: Actor): Promise<Appended> {
    const rollback = this.rolledBack;
    if (!rollback) throw new LedgerError('CONFLICT', 'there is no rollback to record');
    const head = (await this.log.head()) as LogHead;
    await this.checkStoredTree(head);
    await verifyCheckpointChain(this.log, this.signer, head, undefined);
    this.haltReason = undefined;
    this.lastSigned = undefined;
    this.replacingWitness = true;
    return this.append({
      subject: { type: 'key', id: `log:${toHex(this.signer.keyId)}` },
      type: 'log.rolled_back',
      actor,
      data: {
        reason: rollback.reason,
        lost: { size: rollback.lost.size, root: toBase64(rollback.lost.root) },
        found: { size: head.size, root: toBase64(head.root) },
      },
    });
  }

  /** Queues an entry; resolves once it is committed under a signed checkpoint, with its inclusion proof. */
  append(request: AppendRequest): Promise<Appended> {
    return this.enqueue(request, true);
  }

  /**
   * Queues an entry that is answered without a receipt (an audit record);
   * resolves once it is committed, without computing its inclusion proof.
   */
  async record(request: EntryRequest): Promise<void> {
    await this.enqueue(request, false);
  }

  /**
   * Queues the entries of one change that touches several subjects (a
   * disclosure on its case and on each item): they commit in one batch, all
   * of them or none, and resolve in order.
   */
  appendAll(requests: readonly AppendRequest[]): Promise<Appended[]> {
    const change = {};
    const refusal = this.refusal(requests.length) ?? this.firstUnloggable(requests);
    if (refusal) return Promise.reject(refusal);
    const withheld = requests.map((request) => withhold(request));
    const claim = takeIdempotencyClaim();
    const appended = withheld.map(
      (request, i) =>
        new Promise<Appended>((resolve, reject) =>
          this.queue.push({
            request,
            proved: true,
            change,
            ...(i === 0 && claim ? { claim } : {}),
            resolve,
            reject,
          }),
        ),
    );
    this.schedule();
    return Promise.all(appended);
  }

  private enqueue(request: AppendRequest, proved: boolean): Promise<Appended> {
    const refusal = this.refusal(1) ?? this.firstUnloggable([request]);
    if (refusal) return Promise.reject(refusal);
    const withheld = withhold(request);
    // Audit records carry no claim: the key belongs to the request's change.
    const claim = proved ? takeIdempotencyClaim() : undefined;
    return new Promise((resolve, reject) => {
      this.queue.push({ request: withheld, proved, ...(claim ? { claim } : {}), resolve, reject });
      this.schedule();
    });
  }

  /** Why `count` more entries cannot be queued now, if they cannot. */
  private refusal(count: number): LedgerError | undefined {
    if (this.haltReason) return new LedgerError('LOG_INCONSISTENT', 'The log refuses to sign');
    if (this.queue.length + count > this.options.maxQueue) return new PushbackError(1);
    return undefined;
  }

  /**
   * A request whose entry could never be logged is refused alone, before it
   * joins a batch whose other members its failure would take down with it.
   */
  private firstUnloggable(requests: readonly EntryRequest[]): LedgerError | undefined {
    for (const request of requests) {
      const why = unloggable(request, this.signer.name);
      if (why) return new LedgerError('ENTRY_INVALID', why);
    }
    return undefined;
  }

  /** Resolves when every queued request has been answered. */
  settle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.settled.push(resolve));
  }

  /** Starts batches on the next turn, so that requests arriving in the same tick share one. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /**
   * Keeps up to PIPELINE batches in flight: while one holds the log head and
   * commits, the next already runs its domain writes, then waits for the head.
   */
  private pump(): void {
    while (this.inFlight < PIPELINE && this.queue.length > 0) {
      const batch = this.queue.splice(0, batchEnd(this.queue, this.options.maxBatch));
      this.inFlight++;
      this.commitBatch(batch)
        .catch((error: unknown) => {
          for (const pending of batch) pending.reject(error);
        })
        .finally(() => {
          this.inFlight--;
          if (this.queue.length > 0) this.pump();
          else if (this.inFlight === 0) for (const resolve of this.settled.splice(0)) resolve();
        });
    }
  }

  /**
   * One transaction for the batch: domain writes (they need no lock, so they
   * overlap the previous batch's commit), then sequencing under the head lock,
   * integration and signing. A request whose domain write fails is answered with
   * that failure; the others go on.
   */
  private async commitBatch(batch: Pending[]): Promise<void> {
    // Members answered along the way (a failed domain write) never run again on a retry.
    const answered = new Set<Pending>();
    let pending = batch.map((member) => {
      const tracked: Pending = {
        ...member,
        reject: (error) => {
          answered.add(tracked);
          member.reject(error);
        },
      };
      return tracked;
    });
    for (let conflicts = 0; ; ) {
      try {
        await this.commitOnce(pending);
        return;
      } catch (error) {
        // A batch that lost a deadlock (or a serialization failure) rolled back whole: it runs again, a few times.
        if (isLockConflict(error) && ++conflicts < LOCK_CONFLICT_ATTEMPTS) {
          this.logger.warn(
            { err: error, attempt: conflicts },
            'batch lost a lock conflict; running it again',
          );
          await new Promise((resolve) => setTimeout(resolve, conflicts * 10 * (1 + Math.random())));
          pending = pending.filter((member) => !answered.has(member));
          continue;
        }
        if (!(error instanceof ChangeFailed)) throw error;
        // A change lost one of its writes: it fails whole, and the batch runs again without it.
        for (const [member, cause] of error.failures) member.reject(cause);
        pending = pending.filter((member) => !error.failures.has(member));
      }
    }
  }

  private async commitOnce(batch: Pending[]): Promise<void> {
    let signed: { size: number; root: Uint8Array; note: string } | undefined;
    const results = await this.db.transaction(async (tx) => {
      const accepted = await applyDomainWrites(tx, batch);
      if (accepted.length === 0) return [];
      const head = await this.log.lockHead(tx);
      if (!head) throw new LedgerError('LOG_INCONSISTENT', 'the log head is missing');
      this.refuseToSignBeside(head);

      const sequenced = await this.sequence(tx, head, accepted);
      await this.claimKeys(tx, accepted, sequenced);
      const frontier = await this.frontier(tx, head);
      const integrated = appendLeaves(
        frontier,
        sequenced.map((s) => s.leafHash),
      );
      const size = integrated.range.size;
      const checkpoint = signCheckpoint(
        { origin: this.signer.name, size, root: integrated.root },
        this.signer,
      );
      await this.log.appendBatch(tx, sequenced.map(storedEntryOf), integrated.created, {
        origin: head.origin,
        size,
        root: integrated.root,
        checkpoint,
      });

      // Proofs come from the nodes at hand: the old compact range and what this batch created.
      const reader = memoryReader([...frontier.nodes, ...integrated.created]);
      const proofs = await Promise.all(
        sequenced.map((s, i) => (accepted[i]?.proved ? inclusionProof(reader, s.index, size) : [])),
      );
      this.range = integrated.range;
      signed = { size, root: integrated.root, note: checkpoint };
      return sequenced.map((s, i) => ({
        pending: accepted[i] as Pending,
        appended: {
          entry: s.entry,
          disclosures: s.disclosures,
          index: s.index,
          leafHash: s.leafHash,
          treeSize: size,
          proof: proofs[i] ?? [],
          checkpoint,
        },
      }));
    });
    if (signed) await this.witnessSigned(signed);
    await faultPoint('log.after-commit'); // tests: a crash with the batch committed and nobody answered
    for (const { pending, appended } of results) {
      if (pending.claim) pending.claim.entryIndex = appended.index;
      pending.resolve(appended);
    }
  }

  /**
   * Claims the batch's idempotency keys with their entries' indexes. A key that
   * another process committed first fails its request (and the rest of its
   * change); the batch then runs again without them.
   */
  private async claimKeys(
    tx: EntityManager,
    accepted: Pending[],
    sequenced: SequencedEntry[],
  ): Promise<void> {
    const store = this.options.idempotency;
    if (!store) return;
    const claims = accepted.flatMap((pending, i) =>
      pending.claim ? [{ claim: pending.claim, entryIndex: (sequenced[i] as SequencedEntry).index }] : [],
    );
    const lost = await store.claim(tx, claims);
    if (lost.size === 0) return;
    const inUse = new LedgerError(
      'IDEMPOTENCY_KEY_IN_USE',
      'Another request with this idempotency key was committed first',
    );
    const losers = accepted.filter((pending) => pending.claim && lost.has(pending.claim));
    // The batch is sequenced already: it runs again without the losers, even when none belongs to a change.
    throw changeFailed(accepted, new Map(losers.map((pending) => [pending, inUse])));
  }

  /**
   * Before signing on top of `head`: the database must not be behind, or at the
   * same size beside, a checkpoint already signed (a backup restored while running).
   */
  private refuseToSignBeside(head: LogHead): void {
    const last = this.lastSigned;
    if (!last) return;
    const behind = head.size < last.size;
    if (!behind && (head.size > last.size || equalBytes(head.root, last.root))) return;
    const reason = behind ? 'LOG_ROLLED_BACK' : 'SPLIT_VIEW';
    this.haltReason = reason;
    this.rollback = { reason, lost: last };
    this.logger.fatal({ reason, signed: last.size, found: head.size }, 'the log went back; refusing to sign');
    throw new LogHalt(reason, 'the log is not the one signed before', {
      expected: `${last.size} ${toBase64(last.root)}`,
      actual: `${head.size} ${toBase64(head.root)}`,
    });
  }

  /**
   * After the commit, before anyone is answered: the new checkpoint goes to the
   * witness file. If that fails the batch still stands (the file may lag the
   * database), but nothing more is signed without the protection.
   */
  private async witnessSigned(signed: { size: number; root: Uint8Array; note: string }): Promise<void> {
    if (!this.lastSigned || signed.size > this.lastSigned.size) this.lastSigned = signed;
    const witness = this.options.witness;
    if (!witness) return;
    try {
      if (this.replacingWitness) {
        this.replacingWitness = false;
        await witness.replaceSigned(signed);
      } else {
        await witness.recordSigned(signed);
      }
    } catch (error) {
      this.haltReason = 'WITNESS_UNWRITABLE';
      this.logger.fatal(
        { err: error },
        'cannot keep the signed checkpoint outside the database; refusing to sign',
      );
    }
  }

  /** Sequencing: indexes and chain links for the accepted requests. */
  private async sequence(tx: EntityManager, head: LogHead, accepted: Pending[]): Promise<SequencedEntry[]> {
    const subjects = accepted.map((p) => p.request.subject);
    const heads = await this.log.subjectHeads(tx, subjects);
    const now = this.options.now?.() ?? new Date();
    return sequenceEntries(
      this.signer.name,
      head.size,
      accepted.map((p) => p.request),
      heads.get,
      now,
    );
  }

  /**
   * The compact range of the tree at `head`, checked against the head's root
   * before anything is signed on top of it.
   */
  private async frontier(tx: EntityManager, head: LogHead): Promise<CompactRange> {
    const cached = this.range;
    if (cached && cached.size === head.size && equalBytes(compactRoot(cached), head.root)) return cached;
    const ids = compactRangeIds(head.size);
    const hashes = await this.log.readNodes(tx, ids);
    const range = { size: head.size, nodes: ids.map((id, i) => ({ ...id, hash: hashes[i] as Uint8Array })) };
    const root = compactRoot(range);
    if (!equalBytes(root, head.root)) {
      this.haltReason = 'TREE_MISMATCH';
      throw new LogHalt(this.haltReason, 'the stored tree does not match the log head', {
        expected: toBase64(head.root),
        actual: toBase64(root),
      });
    }
    return range;
  }

  /** Start-up check: the head's checkpoint verifies with our key and the stored nodes give its root. */
  private async checkStoredTree(head: LogHead): Promise<void> {
    if (head.origin !== this.signer.name) {
      throw new LogHalt('ORIGIN_MISMATCH', 'the configured origin is not the log origin', {
        expected: head.origin,
        actual: this.signer.name,
      });
    }
    let checkpoint: ReturnType<typeof openCheckpoint>;
    try {
      checkpoint = openCheckpoint(head.checkpoint, this.signer);
    } catch {
      throw new LogHalt('CHECKPOINT_INVALID', 'the head checkpoint is not signed by the log key');
    }
    if (checkpoint.size !== head.size || !equalBytes(checkpoint.root, head.root))
      throw new LogHalt('HEAD_MISMATCH', 'the head columns differ from its checkpoint');
    let stored: Uint8Array;
    try {
      stored = await treeRoot(this.log.nodeReader(), head.size);
    } catch {
      throw new LogHalt('TREE_MISMATCH', 'a stored tree node is missing');
    }
    if (!equalBytes(stored, head.root)) {
      throw new LogHalt('TREE_MISMATCH', 'the stored tree does not match the last checkpoint', {
        expected: toBase64(checkpoint.root),
        actual: toBase64(stored),
      });
    }
    this.logger.info({ size: head.size }, 'log verified against its last checkpoint');
  }

  /**
   * Start-up check of the checkpoint chain (from the point verified last) and
   * of the database against the witness file.
   * On first start with an existing database and no file, the file is created
   * from the head, which was just verified.
   */
  private async checkIntegrity(head: LogHead): Promise<void> {
    const witness = this.options.witness;
    const [verifiedBefore, witnessed] = await readWitness(async () => [
      await witness?.verified(),
      await witness?.signed(this.signer),
    ]);
    // The larger of what was signed and what was verified: the database must reach it.
    const signedBefore =
      verifiedBefore && (!witnessed || verifiedBefore.size > witnessed.size) ? verifiedBefore : witnessed;
    try {
      const verified = await verifyCheckpointChain(this.log, this.signer, head, verifiedBefore);
      await checkAgainstWitness(this.log, head, signedBefore);
      this.lastSigned = signedBefore;
      if (!witness) return;
      await witness.recordVerified(verified).catch((error: unknown) => {
        throw new LogHalt(
          'WITNESS_UNWRITABLE',
          `cannot record the verified point: ${(error as Error).message}`,
        );
      });
      if (!witnessed || witnessed.size < head.size)
        await this.witnessSigned({ size: head.size, root: head.root, note: head.checkpoint });
    } catch (error) {
      if (error instanceof LogHalt && (error.reason === 'LOG_ROLLED_BACK' || error.reason === 'SPLIT_VIEW'))
        this.rollback = { reason: error.reason, lost: signedBefore ?? { size: head.size, root: head.root } };
      throw error;
    }
  }
}

/** Reads the witness files; an unreadable one is a halt, not a crash. */
async function readWitness<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof WitnessUnreadable) throw new LogHalt('WITNESS_INVALID', error.message);
    throw error;
  }
}

/** Why a request could never be logged (unstorable text, a malformed entry), if so. */
function unloggable(request: EntryRequest, origin: string): string | undefined {
  const probe = {
    v: 1,
    log: origin,
    subject: request.subject,
    seq: 1,
    prev: null,
    type: request.type,
    at: new Date().toISOString(),
    actor: request.actor,
    data: request.data,
  };
  if (unstorableStrings(probe).length > 0) return 'the entry holds text that cannot be stored as sent';
  // Version 2 entries carry their digests under these names (formats.md §1.1).
  if (Object.hasOwn(request.data, SD_KEY) || Object.hasOwn(request.data, SD_ALG_KEY))
    return 'the entry data may not use the names of selective-disclosure digests';
  // The audit's fast check says yes to what parseEntry accepts (a property test holds them alike); only a no asks zod.
  if (isWellFormedEntry(probe)) return undefined;
  try {
    parseEntry(probe);
  } catch {
    return 'the entry would not be well formed';
  }
  return undefined;
}

/** Batches in flight at once (see `pump`). */
const PIPELINE = 2;

/** How many times a batch runs before a lock conflict fails its members (503, as a transient fault). */
const LOCK_CONFLICT_ATTEMPTS = 5;

/**
 * How many queued requests the next batch takes: up to `maxBatch`, and on to
 * the end of a change that would otherwise be split across two batches.
 */
function batchEnd(queue: readonly Pending[], maxBatch: number): number {
  let end = Math.min(maxBatch, queue.length);
  while (
    end < queue.length &&
    queue[end]?.change !== undefined &&
    queue[end]?.change === queue[end - 1]?.change
  )
    end++;
  return end;
}

/** A change whose writes did not all succeed; its members (and the requests that failed) with their causes. */
class ChangeFailed extends Error {
  constructor(readonly failures: ReadonlyMap<Pending, unknown>) {
    super('a change failed in part');
  }
}

/** `failed`, widened to whole changes: every other member of a change one of them belongs to fails with its cause. */
function changeFailed(batch: readonly Pending[], failed: ReadonlyMap<Pending, unknown>): ChangeFailed {
  const failures = new Map(failed);
  for (const pending of batch) {
    if (!pending.change || failures.has(pending)) continue;
    const sibling = [...failed].find(([member]) => member.change === pending.change);
    if (sibling) failures.set(pending, sibling[1]);
  }
  return new ChangeFailed(failures);
}

/**
 * Runs the batch's domain writes, one statement per writer. If a writer's
 * statement fails (a duplicate reference, say), its requests are retried one by
 * one, each under a savepoint, to answer exactly the failing ones with their
 * error. Returns the requests whose writes succeeded.
 */
async function applyDomainWrites(tx: EntityManager, batch: readonly Pending[]): Promise<Pending[]> {
  const groups = new Map<DomainWriter<never>, Pending[]>();
  for (const pending of batch) {
    const write = pending.request.write;
    if (write) groups.set(write.writer, [...(groups.get(write.writer) ?? []), pending]);
  }
  const failed = new Map<Pending, unknown>();
  for (const [writer, members] of groups) {
    const attempt = async (group: readonly Pending[]) => {
      await tx.query('SAVEPOINT domain_write');
      try {
        await writer.writeAll(
          tx,
          group.map((pending) => pending.request.write?.value as never),
        );
        await tx.query('RELEASE SAVEPOINT domain_write');
        return undefined;
      } catch (error) {
        // Retried member by member, a lost deadlock would fail whoever lost it; the whole batch runs again instead.
        if (isLockConflict(error)) throw error;
        await tx.query('ROLLBACK TO SAVEPOINT domain_write');
        return { error };
      }
    };
    if (!(await attempt(members))) continue;
    for (const pending of members) {
      const outcome = await attempt([pending]);
      if (outcome) failed.set(pending, outcome.error);
    }
  }
  // A change's other members' writes are in this transaction already: only a rollback undoes them.
  if ([...failed.keys()].some((pending) => pending.change)) throw changeFailed(batch, failed);
  for (const [pending, error] of failed) pending.reject(error);
  return batch.filter((pending) => !failed.has(pending));
}

function memoryReader(nodes: readonly StoredNode[]) {
  const byId = new Map(nodes.map((node) => [`${node.level}/${node.index}`, node.hash]));
  return {
    readNodes: async (ids: readonly NodeId[]) =>
      ids.map((id) => {
        const hash = byId.get(`${id.level}/${id.index}`);
        if (!hash) throw new Error(`node ${id.level}/${id.index} is not in the batch`);
        return hash;
      }),
  };
}
