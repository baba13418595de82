import type { CaseRepository } from '../db/case.repository';
import { NotFoundError } from '../errors';
import type { LogEntry } from '../ledger';
import type { Principal } from './roles';
import { caseScopeOf } from './scope';

/**
 * Who may read an entry's content (`GET /v1/log/entries/:index`): whoever may
 * see the subject. Case and access entries follow the case's need-to-know; key
 * rotations are public facts. Subjects without a rule yet are hidden (404).
 */
export class LogEntryAccess {
  constructor(private readonly cases: CaseRepository) {}

  async assertVisible(principal: Principal, entry: LogEntry): Promise<void> {
    const { type, id } = entry.subject;
    if (type === 'key') return;
    if ((type === 'case' || type === 'access') && (await this.cases.findVisible(id, caseScopeOf(principal))))
      return;
    throw new NotFoundError('log entry');
  }
}
