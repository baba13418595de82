import type { PrincipalRecord, PrincipalRepository } from '../db/principal.repository';
import { NotFoundError } from '../errors';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { domainWrite } from '../log/domain-write';
import { serviceRole } from './permissions';
import type { Principal } from './roles';

/**
 * Principals as operators manage them: an administrator disables a principal
 * (a leaver, a lost device, a compromised account) and every process refuses
 * its tokens from its next request (the change is announced through
 * PostgreSQL NOTIFY); re-enabling restores it. Each change is an entry on the
 * principal's `access` chain.
 */
export class PrincipalService {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly log: CustodyLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async setDisabled(
    admin: Principal,
    sub: string,
    disabled: boolean,
    reason: string,
  ): Promise<Receipted<PrincipalRecord>> {
    const role = serviceRole(admin, 'principal.manage');
    const target = await this.principals.find(sub);
    if (!target) throw new NotFoundError('principal');
    const at = this.now();
    const { receipt } = await this.log.record({
      subject: { type: 'access', id: `principal:${target.sub}`.slice(0, 128) },
      type: disabled ? 'principal.disabled' : 'principal.enabled',
      actor: { sub: admin.sub, agency: admin.agency, role },
      data: { sub: target.sub, agency: target.agency, reason },
      write: domainWrite(this.principals.statusWriter, { sub: target.sub, disabled, by: admin.sub, at }),
    });
    return { value: { ...target, disabledAt: disabled ? at : null }, receipt };
  }
}
