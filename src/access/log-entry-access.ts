import { NotFoundError } from '../errors';
import type { LogEntry, SubjectType } from '../ledger';
import type { Principal } from './roles';

/** Whether a principal may see a subject; each subject's own service knows the rule. */
export type SubjectVisibility = (principal: Principal, id: string) => Promise<boolean>;

/**
 * Who may read an entry's content (`GET /v1/log/entries/:index`): whoever may
 * see its subject. Key rotations are public facts; a subject type without a
 * rule is hidden (404).
 */
export class LogEntryAccess {
  constructor(private readonly rules: Partial<Record<SubjectType, SubjectVisibility>>) {}

  async assertVisible(principal: Principal, entry: LogEntry): Promise<void> {
    const { type, id } = entry.subject;
    if (type === 'key') return;
    const visible = this.rules[type];
    if (visible && (await visible(principal, id))) return;
    throw new NotFoundError('log entry');
  }
}

/** Adapts a "get or throw NotFound" lookup into a visibility rule. */
export function visibleIfFound(
  get: (principal: Principal, id: string) => Promise<unknown>,
): SubjectVisibility {
  return async (principal, id) => {
    try {
      await get(principal, id);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  };
}
