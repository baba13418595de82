import type { Response } from 'express';
import {
  CustodyTransitionError,
  type ErrorCode,
  type FieldError,
  ForbiddenRoleError,
  InvalidParameterError,
  type LedgerError,
  ValidationError,
} from '../errors';
import { GroundNotAvailableError } from '../orders/grounds';
import { OrderTransitionError } from '../orders/lifecycle';
import { OrderDeadlineError } from '../orders/move-timing';

interface ProblemKind {
  readonly status: number;
  readonly title: string;
}

/** The one table from error code to HTTP status and problem title (RFC 9457). */
const PROBLEMS: Record<ErrorCode, ProblemKind> = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  INVALID_PARAMETER: { status: 400, title: 'Invalid parameter' },
  VALIDATION_FAILED: { status: 422, title: 'Request body failed validation' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  INVALID_TOKEN: { status: 401, title: 'Invalid access token' },
  FORBIDDEN_ROLE: { status: 403, title: 'Role not permitted' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  CASE_REFERENCE_TAKEN: { status: 409, title: 'Case reference already in use' },
  EXHIBIT_NUMBER_TAKEN: { status: 409, title: 'Exhibit number already in use in this case' },
  HASH_MISMATCH: { status: 422, title: 'The uploaded bytes do not match the declared hash' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'Malformed Idempotency-Key header' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key already used for another request' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'A request with this idempotency key is in progress' },
  UPLOAD_INVALID: { status: 400, title: 'Malformed evidence upload' },
  UPLOAD_OFFSET_MISMATCH: { status: 409, title: 'Upload-Offset is not the offset the server holds' },
  UPLOAD_LIMIT_REACHED: { status: 409, title: 'Too many open uploads: finish or delete one first' },
  UPLOAD_INCOMPLETE: { status: 409, title: 'The upload has not received all its bytes' },
  TUS_VERSION_UNSUPPORTED: { status: 412, title: 'Tus-Resumable missing or of an unsupported version' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'Range not satisfiable' },
  STORAGE_FULL: { status: 507, title: 'The evidence store is full' },
  CUSTODY_TRANSITION_INVALID: { status: 409, title: 'Custody event not allowed in the current state' },
  CUSTODY_CLOSED: { status: 409, title: 'The item was released or disposed of' },
  // 409 like CHAIN_BROKEN: the item's current state conflicts with its log; retrying will not help.
  EVIDENCE_RECORD_TAMPERED: { status: 409, title: 'The evidence record no longer matches its intake entry' },
  EVIDENCE_CONTENT_CORRUPT: { status: 409, title: 'The stored bytes do not match the intake digests' },
  ORDER_TRANSITION_INVALID: { status: 409, title: 'Order transition not allowed' },
  ORDER_DEADLINE_PASSED: { status: 409, title: 'The deadline for this order move has passed' },
  ORDER_DEADLINE_NOT_REACHED: { status: 409, title: 'This order move must wait for its deadline' },
  ORDER_CLOSED: { status: 409, title: 'The order is finished: nothing more can be supplied' },
  ORDER_ENDED: { status: 409, title: 'The order has ended: nothing is left to execute' },
  LEGAL_BASIS_REQUIRED: { status: 422, title: 'A hand-over needs the order that authorises it' },
  LEGAL_BASIS_INVALID: { status: 409, title: 'The order does not authorise this hand-over' },
  CONDITION_FORBIDS: { status: 409, title: 'A condition attached to the data forbids this hand-over' },
  GROUND_NOT_AVAILABLE: { status: 409, title: 'This ground of refusal is not available for this request' },
  CONSULTATION_REQUIRED: { status: 409, title: 'The requesting state must be consulted first' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  PUSHBACK: { status: 503, title: 'Busy: retry after the time given' },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'Dependency unavailable' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL: { status: 500, title: 'Internal error' },
  ENCODING_INVALID: { status: 400, title: 'Invalid encoding' },
  ENTRY_INVALID: { status: 400, title: 'Invalid log entry' },
  DISCLOSURE_INVALID: { status: 400, title: 'Invalid disclosure' },
  DISCLOSURE_UNMATCHED: { status: 400, title: 'Disclosure matches no digest of its entry' },
  PROOF_INVALID: { status: 400, title: 'Invalid proof' },
  NOTE_INVALID: { status: 400, title: 'Invalid signed note' },
  SIGNATURE_INVALID: { status: 400, title: 'Invalid signature' },
  CHECKPOINT_INVALID: { status: 400, title: 'Invalid checkpoint' },
  RECEIPT_INVALID: { status: 400, title: 'Invalid receipt' },
  CHAIN_BROKEN: { status: 409, title: 'Custody chain broken' },
  CHAIN_FORK: { status: 409, title: 'Custody chain fork' },
  LOG_INCONSISTENT: { status: 500, title: 'Log inconsistent' },
};

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Problem `type` URIs are URNs: stable names that do not pretend to be web pages. */
export function problemType(code: ErrorCode): string {
  return `urn:custody-ledger:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function statusOf(code: ErrorCode): number {
  return PROBLEMS[code].status;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: readonly FieldError[];
  /** For a refused state change: the state it was refused from and the state or event it asked for. */
  from?: string;
  to?: string;
  /** For an order move refused for its timing: the deadline it missed or waits for. */
  deadline?: { rule: string; at: string | null } | null;
  /** For a refused role: the roles that would have been allowed. */
  needed?: readonly string[];
}

/** Builds the problem body for a LedgerError. Its message is written for callers, so it may be shown. */
export function problemFor(error: LedgerError, requestId: string): ProblemBody {
  const kind = PROBLEMS[error.code];
  const body: ProblemBody = {
    type: problemType(error.code),
    title: kind.title,
    status: kind.status,
    detail: error.message,
    code: error.code,
    requestId,
  };
  if (error instanceof ValidationError || error instanceof InvalidParameterError) body.errors = error.fields;
  if (error instanceof GroundNotAvailableError) body.errors = error.fields;
  if (error instanceof OrderTransitionError) Object.assign(body, { from: error.from, to: error.to });
  if (error instanceof OrderDeadlineError) {
    const { rule, at } = error.deadline ?? {};
    Object.assign(body, {
      from: error.from,
      to: error.to,
      deadline: rule ? { rule, at: at?.toISOString() ?? null } : null,
    });
  }
  if (error instanceof CustodyTransitionError) Object.assign(body, { from: error.from, to: error.event });
  if (error instanceof ForbiddenRoleError && error.needed.length > 0) body.needed = error.needed;
  return body;
}

export function sendProblem(res: Response, body: ProblemBody): void {
  res
    .status(body.status)
    .type(PROBLEM_MEDIA_TYPE)
    .set('Cache-Control', 'no-store')
    .send(JSON.stringify(body));
}
