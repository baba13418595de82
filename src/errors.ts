/**
 * The closed set of error codes the service can answer with. Every code maps to
 * exactly one HTTP status, problem `type` and title in `http/problem.ts`; tests
 * and clients branch on the code, never on message text.
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'MALFORMED_JSON',
  'VALIDATION_FAILED',
  'INVALID_PARAMETER',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'INVALID_TOKEN',
  'FORBIDDEN_ROLE',
  'NOT_FOUND',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'CASE_REFERENCE_TAKEN',
  'EXHIBIT_NUMBER_TAKEN',
  'HASH_MISMATCH',
  // Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header).
  'IDEMPOTENCY_KEY_INVALID',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_KEY_IN_USE',
  'UPLOAD_INVALID',
  // Resumable uploads (tus): the offset sent is not the one stored; too many open; not all bytes in yet.
  'UPLOAD_OFFSET_MISMATCH',
  'UPLOAD_LIMIT_REACHED',
  'UPLOAD_INCOMPLETE',
  'TUS_VERSION_UNSUPPORTED',
  'RANGE_NOT_SATISFIABLE',
  'STORAGE_FULL',
  'CUSTODY_TRANSITION_INVALID',
  'CUSTODY_CLOSED',
  // The item's stored state contradicts its signed `evidence.acquired` entry.
  'EVIDENCE_RECORD_TAMPERED',
  'EVIDENCE_CONTENT_CORRUPT',
  'ORDER_TRANSITION_INVALID',
  // An order move made after the deadline it had to beat, or before the one it must wait for.
  'ORDER_DEADLINE_PASSED',
  'ORDER_DEADLINE_NOT_REACHED',
  // A supplement to an order that is finished (only closing it remains).
  'ORDER_CLOSED',
  // Forwarding an order that has nothing left to execute (refused, executed, withdrawn, closed ...).
  'ORDER_ENDED',
  // A disclosure without the order that authorises it, under one that does not, or against a condition of the data.
  'LEGAL_BASIS_REQUIRED',
  'LEGAL_BASIS_INVALID',
  'CONDITION_FORBIDS',
  // A refusal ground the request cannot rest on (no reservation, a Convention offence), or one stated before consulting.
  'GROUND_NOT_AVAILABLE',
  'CONSULTATION_REQUIRED',
  'SERVICE_UNAVAILABLE',
  'PUSHBACK',
  'DEPENDENCY_UNAVAILABLE',
  'RATE_LIMITED',
  'INTERNAL',
  // Verification of ledger artefacts (ledger/, receipts/): attacker-controlled input.
  'ENCODING_INVALID',
  'ENTRY_INVALID',
  // A disclosure of a withheld entry field (formats.md §1.1): malformed, or matching no digest of its entry.
  'DISCLOSURE_INVALID',
  'DISCLOSURE_UNMATCHED',
  'PROOF_INVALID',
  'NOTE_INVALID',
  'SIGNATURE_INVALID',
  'CHECKPOINT_INVALID',
  'RECEIPT_INVALID',
  'CHAIN_BROKEN',
  'CHAIN_FORK',
  'LOG_INCONSISTENT',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * One field that failed validation: a JSON Pointer (RFC 6901), a machine reason,
 * and, when the field takes one of a closed set of values, the values it takes.
 */
export interface FieldError {
  pointer: string;
  reason: string;
  allowed?: readonly string[];
}

/**
 * Base of every error the service raises on purpose. The `message` is for logs
 * and for the problem `detail`; it must never carry secrets, SQL or paths.
 */
export class LedgerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The resource does not exist, or the caller may not know that it exists (need-to-know). */
export class NotFoundError extends LedgerError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

/** A uniqueness or state conflict the caller can resolve. */
export class ConflictError extends LedgerError {
  constructor(code: 'CONFLICT' | 'CASE_REFERENCE_TAKEN' | 'EXHIBIT_NUMBER_TAKEN', message: string) {
    super(code, message);
  }
}

/** The request body or query failed schema validation; `fields` names every failing field. */
export class ValidationError extends LedgerError {
  readonly fields: readonly FieldError[];

  constructor(fields: readonly FieldError[]) {
    super('VALIDATION_FAILED', 'The request does not match the schema');
    this.fields = fields;
  }
}

/** A path or query parameter is malformed (a bad number, an unknown cursor). */
export class InvalidParameterError extends LedgerError {
  readonly fields: readonly FieldError[];

  constructor(fields: readonly FieldError[]) {
    super('INVALID_PARAMETER', 'A query parameter is invalid');
    this.fields = fields;
  }
}

/**
 * A bearer token was missing or failed verification. The reason is kept for the
 * log only: every token failure looks the same to the caller (no oracle).
 */
export class InvalidTokenError extends LedgerError {
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super('INVALID_TOKEN', 'The access token is missing or invalid', options);
    this.reason = reason;
  }
}

/** The caller is authenticated and in scope but its roles do not allow this action; `needed` names those that would. */
export class ForbiddenRoleError extends LedgerError {
  readonly needed: readonly string[];

  constructor(needed: readonly string[] = []) {
    super('FORBIDDEN_ROLE', 'None of your roles permits this action');
    this.needed = needed;
  }
}

/** Ledger verification failed; `expected` and `actual` carry the evidence when there is some. */
export class VerificationError extends LedgerError {
  readonly expected: string | undefined;
  readonly actual: string | undefined;

  constructor(
    code: Extract<
      ErrorCode,
      | 'ENCODING_INVALID'
      | 'ENTRY_INVALID'
      | 'DISCLOSURE_INVALID'
      | 'DISCLOSURE_UNMATCHED'
      | 'PROOF_INVALID'
      | 'NOTE_INVALID'
      | 'SIGNATURE_INVALID'
      | 'CHECKPOINT_INVALID'
      | 'RECEIPT_INVALID'
      | 'LOG_INCONSISTENT'
    >,
    message: string,
    evidence: { expected?: string; actual?: string } = {},
  ) {
    super(code, message);
    this.expected = evidence.expected;
    this.actual = evidence.actual;
  }
}

/** A subject's hash chain does not link: a gap, a fork, or a `prev` that names the wrong entry. */
export class ChainIntegrityError extends LedgerError {
  readonly seq: number;
  readonly expected: string | undefined;
  readonly actual: string | undefined;

  constructor(
    code: 'CHAIN_BROKEN' | 'CHAIN_FORK',
    message: string,
    evidence: { seq: number; expected?: string; actual?: string },
  ) {
    super(code, message);
    this.seq = evidence.seq;
    this.expected = evidence.expected;
    this.actual = evidence.actual;
  }
}

/** Too much work waiting (the log's queue, uploads at once); the caller should retry after `retryAfterSeconds`. */
export class PushbackError extends LedgerError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'The log is busy; retry shortly',
  ) {
    super('PUSHBACK', message);
  }
}

/**
 * The database or the evidence store failed in a way that passes (it is down,
 * restarting, stalled, full of connections, or a deadlock was broken): the
 * request did not complete, and a retry after the given time may.
 */
export class DependencyUnavailableError extends LedgerError {
  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('DEPENDENCY_UNAVAILABLE', 'A service the ledger depends on is unavailable; retry shortly', options);
  }
}

/** Too many requests from one principal or address, or too many failures; retry after the given time. */
export class RateLimitedError extends LedgerError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', 'Too many requests; retry later');
  }
}

/** A custody event that the item's current state does not allow; carries the state and the event. */
export class CustodyTransitionError extends LedgerError {
  constructor(
    code: 'CUSTODY_TRANSITION_INVALID' | 'CUSTODY_CLOSED',
    message: string,
    readonly from: string,
    readonly event: string,
  ) {
    super(code, message);
  }
}
