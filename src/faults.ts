/**
 * Named fault points, for tests and benchmarks only: a crash (`kill`) or a
 * slow disk (`delay:<ms>`) at a named place in the service, armed solely by the
 * FAULT_POINTS environment variable (read and validated by config.ts, which
 * refuses it when NODE_ENV=production), e.g.
 *
 *   FAULT_POINTS="blob.before-rename=kill"
 *   FAULT_POINTS="blob.fsync=delay:2000,log.after-commit=kill"
 *
 * Unarmed, `faultPoint` returns undefined at once: nothing is scheduled and
 * nothing allocated, so the points cost nothing in production.
 */

/** Every fault point, with where it sits. A crash-recovery test names its point from here. */
export const FAULT_POINTS = {
  /**
   * Where a received file becomes durable, and where its copy under its content address does: a slow
   * disk (fs) or bucket (s3). A delay is all that makes sense here: a kill is the point before or after.
   */
  'blob.fsync':
    'storage/fs-blob-store.ts: FsStagingFile.finish and FsBlobStore.commit, before each fsync; ' +
    'storage/s3-blob-store.ts: S3StagingFile.finish, before the last part and the completion (or the one ' +
    'PutObject), and S3BlobStore.commit, after the copy to sha256/, before the staging object is deleted',
  /** The bytes are whole in staging (fsynced; or a completed S3 object), not yet under their content address. */
  'blob.before-rename':
    'storage/fs-blob-store.ts: FsBlobStore.commit, before the link into sha256/; ' +
    'storage/s3-blob-store.ts: S3BlobStore.commit, before the server-side copy to sha256/',
  /**
   * The blob is stored under its content address and its staging is gone (both stores); no log entry
   * or evidence row exists yet.
   */
  'blob.after-rename': 'evidence/evidence-service.ts: intake, after blobs.commit, before log.record',
  /** A resumable upload's bytes are hashed into staging; nothing of its intake is stored yet. */
  'upload.before-intake': 'uploads/upload-service.ts: completeTaken, after the digests, before the intake',
  /** A resumable upload's item and entry are committed; its row still says `completing`. */
  'upload.after-intake':
    'uploads/upload-service.ts: completeTaken, after the intake, before the row is marked',
  /** The batch's transaction has committed; no request of the batch has been answered. */
  'log.after-commit': 'log/sequencer.ts: commitOnce, after the transaction, before the requests are resolved',
} as const;

export type FaultPoint = keyof typeof FAULT_POINTS;

/** `kill`: SIGKILL to this process (a real crash: nothing flushed, no handler runs). `delay`: wait `ms`. */
export type FaultAction = { readonly kind: 'kill' } | { readonly kind: 'delay'; readonly ms: number };

export type FaultPlan = ReadonlyMap<FaultPoint, FaultAction>;

/** Longest delay a point accepts: ten minutes, longer than any test or benchmark should wait. */
const MAX_DELAY_MS = 600_000;

export type FaultSpecCode = 'UNKNOWN_POINT' | 'UNKNOWN_ACTION' | 'DUPLICATE_POINT' | 'MALFORMED';

/** A FAULT_POINTS value that cannot be armed; `code` says why (tests branch on it, never on the message). */
export class FaultSpecError extends Error {
  constructor(
    readonly code: FaultSpecCode,
    message: string,
  ) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

const isPoint = (name: string): name is FaultPoint => Object.hasOwn(FAULT_POINTS, name);

/**
 * Parses `point=action[,point=action...]` (spaces around items allowed); the
 * empty string is the empty plan. Throws FaultSpecError on the first bad item.
 */
export function parseFaultPoints(spec: string): FaultPlan {
  const plan = new Map<FaultPoint, FaultAction>();
  if (spec.trim() === '') return plan;
  for (const item of spec.split(',').map((part) => part.trim())) {
    const match = /^([^=\s]+)=(\S+)$/.exec(item);
    if (!match) throw new FaultSpecError('MALFORMED', `"${item}" is not point=action`);
    const [, name = '', action = ''] = match;
    if (!isPoint(name)) {
      throw new FaultSpecError(
        'UNKNOWN_POINT',
        `unknown fault point "${name}" (known: ${Object.keys(FAULT_POINTS).join(', ')})`,
      );
    }
    if (plan.has(name)) throw new FaultSpecError('DUPLICATE_POINT', `fault point "${name}" is named twice`);
    plan.set(name, parseAction(name, action));
  }
  return plan;
}

function parseAction(point: FaultPoint, action: string): FaultAction {
  if (action === 'kill') return { kind: 'kill' };
  const delay = /^delay:(\d{1,6})$/.exec(action);
  const ms = Number(delay?.[1]);
  if (!delay || ms > MAX_DELAY_MS) {
    throw new FaultSpecError(
      'UNKNOWN_ACTION',
      `fault point "${point}": "${action}" is neither kill nor delay:<ms> (0 to ${MAX_DELAY_MS})`,
    );
  }
  return { kind: 'delay', ms };
}

let armed: FaultPlan | undefined;

/** Arms the points of `plan` for this process (main.ts, from the configuration); an empty plan disarms. */
export function armFaultPoints(plan: FaultPlan): void {
  armed = plan.size > 0 ? plan : undefined;
}

/**
 * Acts at `point` if it is armed: `await faultPoint('blob.before-rename')`.
 * Returns undefined when it is not (the common case: no promise, no timer).
 * A kill never returns: the process is gone before the next statement.
 */
export function faultPoint(point: FaultPoint): Promise<void> | undefined {
  const action = armed?.get(point);
  if (!action) return undefined;
  if (action.kind === 'kill') {
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL to oneself is delivered before kill(2) returns; should it not be, nothing may go on.
    return new Promise<void>(() => {});
  }
  return new Promise<void>((resolve) => setTimeout(resolve, action.ms));
}
