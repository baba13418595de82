import type { Principal } from '../access/roles';
import type { Sequencer } from './sequencer';

/** A look at case-bound data, or a refusal, in the words of the audit entry. */
export interface AuditEvent {
  readonly principal: Principal;
  /** What was asked, as method and route: `GET /v1/evidence/:id`. */
  readonly action: string;
  /** What it was asked of; an id of an unexpected shape is recorded as `malformed`, never as sent. */
  readonly object: { readonly type: string; readonly id: string };
  readonly outcome: 'read' | 'not_found' | 'forbidden';
  readonly requestId: string;
  /** The source address of the request. */
  readonly source: string | undefined;
}

/** Ids recorded as sent: UUIDs, log indexes and agency codes; anything else is `malformed`. */
const PLAIN_ID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9]{1,16}|[A-Z0-9][A-Z0-9-]{1,31})$/i;

/**
 * Every read of case-bound data and every refusal, as entries of the one
 * verifiable log (subject type `audit`, one chain per object), batched by the
 * sequencer like any write but answered without a receipt. A read waits for
 * its record and for nothing else: if the record cannot be written, the read
 * fails.
 */
export class AuditTrail {
  constructor(private readonly sequencer: Pick<Sequencer, 'record'>) {}

  async record(event: AuditEvent): Promise<void> {
    const id = PLAIN_ID.test(event.object.id) ? event.object.id : 'malformed';
    await this.sequencer.record({
      subject: { type: 'audit', id: `${event.object.type}:${id}` },
      type: event.outcome === 'read' ? 'audit.read' : 'audit.denied',
      actor: {
        sub: event.principal.sub,
        agency: event.principal.agency,
        role: event.principal.roles[0] ?? 'none',
      },
      data: {
        action: event.action,
        object: { type: event.object.type, id },
        outcome: event.outcome,
        roles: [...event.principal.roles],
        requestId: event.requestId,
        source: event.source ?? null,
      },
    });
  }
}
