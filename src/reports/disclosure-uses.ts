import { randomUUID } from 'node:crypto';
import { CASE_PERMISSIONS, caseRole, SERVICE_PERMISSIONS, serviceRole } from '../access/permissions';
import type { Principal } from '../access/roles';
import type { DisclosureUse, DisclosureUseRepository } from '../db/disclosure-use.repository';
import { ForbiddenRoleError, ValidationError } from '../errors';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { domainWrite } from '../log/domain-write';
import type { DisclosureService } from './disclosures';

/**
 * The use ledger of a disclosure: data supplied on condition that they are
 * used only for the request's proceedings (Budapest Art. 28(2)(b); UN Art. 40
 * speciality) may be asked about: the supplying side records a use inquiry,
 * the recipient answers with a use report (Art. 28(4)). Both are entries on
 * the disclosing case's chain, with their rows in the same commit, and both
 * sides read the ledger.
 */
export class DisclosureUses {
  constructor(
    private readonly disclosures: DisclosureService,
    private readonly uses: DisclosureUseRepository,
    private readonly log: CustodyLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The supplying side (members of the disclosing case who may disclose) asks how the data were used. */
  async inquire(
    principal: Principal,
    disclosureId: string,
    question: string,
  ): Promise<Receipted<DisclosureUse>> {
    const { record, standing } = await this.disclosures.access(principal, disclosureId);
    if (!standing) throw new ForbiddenRoleError(CASE_PERMISSIONS['disclosure.create']);
    const role = caseRole(standing, 'disclosure.create');
    const use = this.draft(principal, record.id, 'inquiry', question, null);
    const { receipt } = await this.log.record({
      subject: { type: 'case', id: record.caseId },
      type: 'disclosure.use_inquired',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: { disclosure: record.id, use: use.id, question },
      write: domainWrite(this.uses.writer, use),
    });
    return { value: use, receipt };
  }

  /** The recipient reports the use it made of the data, answering an inquiry or of its own accord. */
  async report(
    principal: Principal,
    disclosureId: string,
    input: { report: string; inquiryId?: string | undefined },
  ): Promise<Receipted<DisclosureUse>> {
    const { record, recipient } = await this.disclosures.access(principal, disclosureId);
    if (!recipient) throw new ForbiddenRoleError(SERVICE_PERMISSIONS['disclosure.fetch']);
    const role = serviceRole(principal, 'disclosure.fetch');
    if (input.inquiryId !== undefined) {
      const inquiries = (await this.uses.ofDisclosure(record.id)).filter((use) => use.kind === 'inquiry');
      if (!inquiries.some((inquiry) => inquiry.id === input.inquiryId))
        throw new ValidationError([{ pointer: '/inquiryId', reason: 'no_such_inquiry' }]);
    }
    const use = this.draft(principal, record.id, 'report', input.report, input.inquiryId ?? null);
    const { receipt } = await this.log.record({
      subject: { type: 'case', id: record.caseId },
      type: 'disclosure.use_reported',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: {
        disclosure: record.id,
        use: use.id,
        ...(use.inquiryId ? { inquiry: use.inquiryId } : {}),
        report: input.report,
      },
      write: domainWrite(this.uses.writer, use),
    });
    return { value: use, receipt };
  }

  /** The ledger, oldest first, for both sides: the disclosing case's members and the recipient. */
  async list(principal: Principal, disclosureId: string): Promise<DisclosureUse[]> {
    const { record } = await this.disclosures.access(principal, disclosureId);
    return this.uses.ofDisclosure(record.id);
  }

  private draft(
    principal: Principal,
    disclosureId: string,
    kind: DisclosureUse['kind'],
    text: string,
    inquiryId: string | null,
  ): DisclosureUse {
    return {
      id: randomUUID(),
      disclosureId,
      kind,
      inquiryId,
      text,
      agency: principal.agency,
      recordedBy: principal.sub,
      recordedAt: this.now(),
    };
  }
}
