import { NotFoundError } from '../errors';
import type { LogEntry, SubjectType } from '../ledger';
import { type DisclosureAudience, MEMBER_AUDIENCE, PUBLIC_AUDIENCE } from './disclosure-scope';
import type { Principal } from './roles';

/**
 * Whether a principal may see a subject, and as whom (which of its entries'
 * withheld fields it receives); undefined when it may not. Each subject's own
 * service knows the rule.
 */
export type SubjectVisibility = (principal: Principal, id: string) => Promise<DisclosureAudience | undefined>;

/**
 * Who may read an entry (`GET /v1/log/entries/:index`): whoever may see its
 * subject, receiving the disclosures its standing allows. Key rotations are
 * public facts (their public fields only); a subject type without a rule is
 * hidden (404).
 */
export class LogEntryAccess {
  constructor(private readonly rules: Partial<Record<SubjectType, SubjectVisibility>>) {}

  async audience(principal: Principal, entry: LogEntry): Promise<DisclosureAudience> {
    const { type, id } = entry.subject;
    if (type === 'key') return PUBLIC_AUDIENCE;
    const audience = await this.rules[type]?.(principal, id);
    if (audience) return audience;
    throw new NotFoundError('log entry');
  }
}

/**
 * Adapts a "get or throw NotFound" lookup into a visibility rule: found means
 * visible, as the audience the lookup returns (a member, unless it says otherwise).
 */
export function visibleIfFound(
  get: (principal: Principal, id: string) => Promise<DisclosureAudience | undefined | undefined>,
): SubjectVisibility {
  return async (principal, id) => {
    try {
      return (await get(principal, id)) ?? MEMBER_AUDIENCE;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  };
}
