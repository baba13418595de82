import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type DisclosableFact, type DisclosureAudience } from '../access/disclosure-scope';
import { type CaseStanding, caseAllows, caseRole, serviceAllows, serviceRole } from '../access/permissions';
import type { Principal, Role } from '../access/roles';
import type { CaseRepository } from '../db/case.repository';
import {
  DisclosureAlreadyRevokedError,
  type DisclosureRecord,
  type DisclosureRepository,
} from '../db/disclosure.repository';
import type { EvidenceRecord } from '../db/evidence.repository';
import type { LogRepository } from '../db/log.repository';
import type { VisibleOrder } from '../db/order.repository';
import { ConflictError, LedgerError, NotFoundError, ValidationError } from '../errors';
import type { EvidenceService, PackagedContent } from '../evidence/evidence-service';
import { type EntryValue, utf8 } from '../ledger';
import type { CustodyLog } from '../log/custody-log';
import { type DomainWriter, domainWrite, inLockOrder } from '../log/domain-write';
import { supplierConditions } from '../orders/onward-transfer';
import { HANDOVER, type OrderService } from '../orders/order-service';
import { type ReceiptSigningKey } from '../receipts/receipt';
import { type TagFile, writeBag } from './bagit';
import { custodyGraph } from './case-graph';
import { checkingFiles } from './court-report';
import type { CustodyReport, CustodyReports } from './custody-report';
import type { ReportLanguage } from './messages';
import { packageReadme } from './package-readme';
import { renderReportPdf } from './report-pdf';

/** A disclosure as one reader reads it: whether as a member of its case, and its order if the reader may know it. */
export interface ReadDisclosure {
  readonly record: DisclosureRecord;
  readonly member: boolean;
  readonly order: VisibleOrder | undefined;
}

export interface DisclosureInput {
  readonly recipientAgency: string;
  readonly evidenceIds: readonly string[];
  readonly orderId?: string | undefined;
  readonly conditions?: string | undefined;
  readonly facts?: readonly DisclosableFact[] | undefined;
}

/** A disclosure as one caller may use it: as the recipient agency, or as a member of the disclosing case. */
export interface AccessibleDisclosure {
  readonly record: DisclosureRecord;
  /** The caller's standing in the disclosing case; undefined for the recipient who is not a member. */
  readonly standing: CaseStanding | undefined;
  readonly recipient: boolean;
}

/** A path segment made of safe characters only: exhibit numbers become directory names in the bag. */
const segment = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';

export interface PackageMaterial {
  readonly jwks: () => Promise<unknown>;
  readonly vkey: string;
  readonly receiptKey: () => ReceiptSigningKey;
}

/**
 * Disclosures of evidence to another agency, and the BagIt package (formats.md
 * §6) the recipient downloads: the bytes, a custody report per item, a receipt
 * and a tlog-proof for every entry of every item, the JWKS and the log's vkey.
 * Creating, and each download, are entries on the case's chain; each item's
 * chain records that it was disclosed.
 */
export class DisclosureService {
  /** Revocations update their rows in id order, whatever order the requests came in (see `inLockOrder`). */
  private readonly revocations: DomainWriter<{ id: string; by: string; at: Date }> = {
    writeAll: (tx, revocations) =>
      this.disclosures.revocationWriter.writeAll(
        tx,
        inLockOrder(revocations, (revocation) => revocation.id),
      ),
  };

  constructor(
    private readonly disclosures: DisclosureRepository,
    private readonly cases: CaseRepository,
    private readonly evidence: EvidenceService,
    private readonly orders: OrderService,
    private readonly reports: CustodyReports,
    private readonly entries: LogRepository,
    private readonly log: CustodyLog,
    private readonly material: PackageMaterial,
    /**
     * The language of the reports' PDFs, the verification page they point to, and that page itself
     * (the built `verify.html`, self-contained), which every package carries; absent when not built.
     */
    private readonly documents: {
      readonly language: ReportLanguage;
      readonly verifyUrl: string;
      readonly verifierPage?: Uint8Array | undefined;
    },
  ) {}

  /** Records a disclosure of items of one case to another agency: an entry on the case's and each item's chain. */
  async create(
    principal: Principal,
    caseId: string,
    input: DisclosureInput,
  ): Promise<{ value: DisclosureRecord; receipt: string }> {
    const target = await this.cases.findAccessible(caseId, principal);
    if (!target) throw new NotFoundError('case');
    const role = caseRole(target.standing, 'disclosure.create');
    const items = await Promise.all(input.evidenceIds.map((id) => this.evidence.access(principal, id)));
    const foreign = items.findIndex(({ item }) => item.caseId !== target.record.id);
    if (foreign >= 0)
      throw new ValidationError([{ pointer: `/evidenceIds/${foreign}`, reason: 'not_in_this_case' }]);
    const receivedUnder = await this.checkLegalBasis(
      principal,
      input,
      items.map(({ item }) => item.id),
    );
    const record: DisclosureRecord = {
      id: randomUUID(),
      caseId: target.record.id,
      recipientAgency: input.recipientAgency,
      orderId: input.orderId ?? null,
      conditions: input.conditions ?? null,
      facts: [...new Set(input.facts ?? [])],
      evidenceIds: items.map(({ item }) => item.id),
      createdBy: principal.sub,
      createdAt: new Date(),
      revokedAt: null,
    };
    const actor = { sub: principal.sub, agency: principal.agency, role };
    const summary = {
      disclosure: record.id,
      recipient: record.recipientAgency,
      ...(record.orderId ? { order: record.orderId } : {}),
      ...(record.conditions ? { conditions: record.conditions } : {}),
      ...(receivedUnder.length > 0 ? { receivedUnder } : {}),
      facts: [...record.facts],
    };
    // The case's entry and every item's commit together: no item is left without its record of the disclosure.
    // That item entry is the one record of this hand-over; the order's own move writes none (legal row 74).
    const [created] = await this.log.recordAll([
      {
        subject: { type: 'case', id: record.caseId },
        type: 'disclosure.created',
        actor,
        data: { ...summary, evidence: [...record.evidenceIds] },
        write: domainWrite(this.disclosures.writer, record),
      },
      ...items.map(({ item }) => ({
        subject: { type: 'evidence' as const, id: item.id },
        type: 'evidence.disclosed',
        actor,
        data: summary,
      })),
    ]);
    return { value: record, receipt: created.receipt };
  }

  /**
   * The legal basis of a hand-over: preservation does not authorise one, a
   * decided request does (UN 42(1) against 44; Bud 29 against 31). The order
   * must be one the caller handles, in a state that hands data over, requested
   * by the recipient, and linked to every item; and no item may have come in
   * under a request whose supplier forbade passing it on (UN 36(3)), unless
   * that supplier authorised the transfer to this very agency and state.
   * Returns, for the requests of ours the items came in under, the
   * supplier's conditions and authorisation: they travel with the data.
   */
  private async checkLegalBasis(
    principal: Principal,
    input: DisclosureInput,
    itemIds: readonly string[],
  ): Promise<EntryValue[]> {
    if (!input.orderId)
      throw new LedgerError(
        'LEGAL_BASIS_REQUIRED',
        'Name the order that authorises handing these items over',
      );
    const order = await this.orders.get(principal, input.orderId);
    // The requesting side's status view is no standing to hand anything over.
    if (order.statusOnly) throw new NotFoundError('order');
    // A preservation that reached `produced` did so under its MLA request: that request is the basis to cite.
    if (order.kind === 'preservation' || !HANDOVER.includes(order.status))
      throw new LedgerError(
        'LEGAL_BASIS_INVALID',
        `A ${order.kind} order that is ${order.status} does not hand data over`,
      );
    if (order.submittedByAgency !== input.recipientAgency)
      throw new LedgerError('LEGAL_BASIS_INVALID', 'The order was not requested by the recipient agency');
    const linked = await this.disclosures.ordersOfItems(itemIds);
    if (itemIds.some((id) => !linked.some((link) => link.evidenceId === id && link.orderId === order.id)))
      throw new LedgerError(
        'LEGAL_BASIS_INVALID',
        'The order does not cover every item: link them to it first',
      );
    return supplierConditions(linked, input.recipientAgency, order.requestingState);
  }

  /**
   * The disclosure, for the recipient agency's partners until it is revoked,
   * and for the disclosing case's members. The record and the caller's
   * membership are looked up together, and every refusal is the same 404.
   */
  async access(principal: Principal, id: string): Promise<AccessibleDisclosure> {
    const [record, inCase] = await Promise.all([
      this.disclosures.find(id),
      this.cases.findAccessibleOfDisclosure(id, principal),
    ]);
    const recipient =
      record !== undefined &&
      record.revokedAt === null &&
      record.recipientAgency === principal.agency &&
      serviceAllows(principal, 'disclosure.fetch');
    const member = inCase !== undefined && caseAllows(inCase.standing, 'case.read');
    if (!record || (!recipient && !member)) throw new NotFoundError('disclosure');
    return { record, standing: member ? inCase?.standing : undefined, recipient };
  }

  /** The disclosure, and whether the caller reads it as a member of the disclosing case (else as its recipient). */
  async get(principal: Principal, id: string): Promise<ReadDisclosure> {
    const { record, standing } = await this.access(principal, id);
    const [read] = await this.withOrders(principal, [{ record, member: standing !== undefined }]);
    return read as ReadDisclosure;
  }

  /**
   * Each disclosure with its authorising order as the order scope lets the
   * caller know it (none where it may not): reading a disclosure widens nothing.
   */
  private async withOrders(
    principal: Principal,
    read: ReadonlyArray<{ record: DisclosureRecord; member: boolean }>,
  ): Promise<ReadDisclosure[]> {
    const orders = await this.orders.visibleAmong(
      principal,
      read.flatMap(({ record }) => (record.orderId ? [record.orderId] : [])),
    );
    return read.map((item) => ({
      ...item,
      order: item.record.orderId ? orders.get(item.record.orderId) : undefined,
    }));
  }

  /**
   * One page, newest first, of the disclosures the caller may read (the same
   * rule as `access`): those its agency received, to its partners while not
   * revoked, and those of the cases it may read, by `direction` if given, of
   * one case if given (404 when the caller may not know that case).
   */
  async list(
    principal: Principal,
    query: {
      readonly direction?: 'received' | 'sent' | undefined;
      readonly caseId?: string | undefined;
      readonly limit: number;
      readonly after?: { readonly createdAt: Date; readonly id: string } | undefined;
    },
  ): Promise<{
    items: ReadDisclosure[];
    next: DisclosureRecord | undefined;
  }> {
    if (query.caseId !== undefined) {
      const target = await this.cases.findAccessible(query.caseId, principal);
      if (!target) throw new NotFoundError('case');
      caseRole(target.standing, 'case.read');
    }
    const received = query.direction !== 'sent' && serviceAllows(principal, 'disclosure.fetch');
    const sent = query.direction !== 'received';
    const rows = await this.disclosures.list(principal, {
      received,
      sent,
      caseId: query.caseId,
      after: query.after,
      limit: query.limit + 1,
    });
    const readable = rows.slice(0, query.limit).flatMap(({ record, standing }) => {
      const member = sent && standing !== undefined && caseAllows(standing, 'case.read');
      const recipient = received && record.recipientAgency === principal.agency && record.revokedAt === null;
      return member || recipient ? [{ record, member }] : [];
    });
    const items = await this.withOrders(principal, readable);
    return { items, next: rows.length > query.limit ? rows[query.limit - 1]?.record : undefined };
  }

  /**
   * Revokes a disclosure: from the next request on, the recipient gets 404 for
   * it and its package. An entry on the case's chain.
   */
  async revoke(principal: Principal, id: string): Promise<{ value: DisclosureRecord; receipt: string }> {
    const { record, standing } = await this.access(principal, id);
    if (!standing) throw new NotFoundError('disclosure');
    const role = caseRole(standing, 'disclosure.create');
    if (record.revokedAt !== null) throw new ConflictError('CONFLICT', 'The disclosure is already revoked');
    const at = new Date();
    try {
      const { receipt } = await this.log.record({
        subject: { type: 'case', id: record.caseId },
        type: 'disclosure.revoked',
        actor: { sub: principal.sub, agency: principal.agency, role },
        data: { disclosure: record.id, recipient: record.recipientAgency },
        write: domainWrite(this.revocations, { id: record.id, by: principal.sub, at }),
      });
      return { value: { ...record, revokedAt: at }, receipt };
    } catch (error) {
      if (error instanceof DisclosureAlreadyRevokedError) {
        throw new ConflictError('CONFLICT', 'The disclosure is already revoked');
      }
      throw error;
    }
  }

  /** Logs the download on the case's chain, then streams the bag. */
  async openPackage(principal: Principal, id: string): Promise<{ name: string; stream: Readable }> {
    const { record: disclosure, standing, recipient } = await this.access(principal, id);
    if (disclosure.revokedAt !== null) throw new NotFoundError('disclosure');
    const role: Role = recipient
      ? serviceRole(principal, 'disclosure.fetch')
      : caseRole(standing as CaseStanding, 'evidence.content');
    await this.log.record({
      subject: { type: 'case', id: disclosure.caseId },
      type: 'disclosure.fetched',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: { disclosure: disclosure.id },
    });
    // The recipient may not see the case; the disclosure itself is what entitles it to these items.
    const items = await Promise.all(
      disclosure.evidenceIds.map((itemId) => this.evidence.findDisclosed(itemId)),
    );
    // Every item's record is checked against its intake entry before a byte is packed; each mismatch
    // is recorded on its item's chain, and the package is refused (EVIDENCE_RECORD_TAMPERED).
    const actor = { sub: principal.sub, agency: principal.agency, role };
    const checked = await Promise.allSettled(items.map((item) => this.evidence.packagedContent(item, actor)));
    const refused = checked.find((result) => result.status === 'rejected');
    if (refused) throw refused.reason;
    const contents = checked.map((result) => (result as PromiseFulfilledResult<PackagedContent>).value);
    const tags: TagFile[] = [];
    const reader = this.entries.nodeReader();
    // The package is what its recipient receives, whoever downloads it: a member sees what goes out.
    const audience = recipientAudience(disclosure);
    const reports: CustodyReport[] = [];
    const signed: string[] = [];
    for (const item of items) {
      const { report, jws } = await this.reports.issueFor(principal, item, role, 'json', audience);
      reports.push(report);
      tags.push({ path: `reports/${item.id}.json`, bytes: utf8(`${JSON.stringify(report, null, 2)}\n`) });
      tags.push({ path: `reports/${item.id}.jws`, bytes: utf8(`${jws}\n`) });
      signed.push(jws);
    }
    // Receipts for exactly the entries each signed report lists, against the checkpoint current now,
    // and a consistency proof from each report's checkpoint to it (checkingFiles): a verifier sees one
    // history. Each report's PDF carries the same receipts, proofs, disclosures and keys the bag holds.
    const head = await this.entries.head();
    if (!head) throw new NotFoundError('log');
    const written = new Set<string>();
    for (const [i, report] of reports.entries()) {
      const files = await checkingFiles(report, head, reader, this.material);
      for (const file of files) {
        if (written.has(file.name)) continue;
        written.add(file.name);
        tags.push({ path: file.name, bytes: file.bytes });
      }
      const jws = signed[i] as string;
      tags.push({
        path: `reports/${report.item.id}.pdf`,
        bytes: await collect(
          renderReportPdf(report, jws.length, {
            language: this.documents.language,
            jws,
            attachments: files,
            verifyUrl: this.documents.verifyUrl,
          }),
        ),
      });
    }
    // The payload directory names the item in full: a verifier checks its bytes against that item's
    // intake entry. Its exhibit number and file name appear only when they are disclosed facts.
    const disclosed = new Set<string>(disclosure.facts);
    const payloadPathOf = (item: EvidenceRecord) => {
      const directory = disclosed.has('exhibitNumber')
        ? `${segment(item.exhibitNumber)}-${item.id}`
        : item.id;
      const file = disclosed.has('filename') && item.originalFilename ? item.originalFilename : 'content.bin';
      return `${directory}/${segment(file)}`;
    };
    const graphItems = items.map((item, i) => ({
      item: (reports[i] as CustodyReport).item,
      payloadPath: `data/${payloadPathOf(item)}`,
      entries: (reports[i] as CustodyReport).entries,
    }));
    tags.push({
      path: 'custody.jsonld',
      bytes: utf8(`${JSON.stringify(custodyGraph(graphItems, head.origin), null, 2)}\n`),
    });
    const payload = items.map((item: EvidenceRecord, i) => {
      const content = contents[i] as PackagedContent;
      return {
        path: payloadPathOf(item),
        size: content.size,
        sha256: content.sha256,
        sha512: content.sha512,
        open: () => content.open(),
      };
    });
    // The browser verifier, a tag file at the top of the bag (formats.md §6 allows further tag files):
    // opened from the unzipped folder, it checks the package with the network off.
    if (this.documents.verifierPage) tags.push({ path: 'verify.html', bytes: this.documents.verifierPage });
    const name = `disclosure-${disclosure.id}`;
    // The README is a tag file like any other: listed in the tag manifest, so it is checked with the rest.
    // Written last, after every other tag file: it says which of them (verify.html) the bag holds.
    tags.push({
      path: 'README.txt',
      bytes: utf8(
        packageReadme({
          bagName: name,
          disclosureId: disclosure.id,
          recipientAgency: disclosure.recipientAgency,
          origin: head.origin,
          logSize: head.size,
          itemCount: items.length,
          exampleIndex: reports[0]?.entries[0]?.index,
          browserVerifier: tags.some((tag) => tag.path === 'verify.html'),
        }),
      ),
    });
    const stream = writeBag(name, payload, tags, {
      sourceOrganization: head.origin,
      externalIdentifier: disclosure.id,
      baggingDate: new Date().toISOString().slice(0, 10),
      extra: [
        ['Recipient-Agency', disclosure.recipientAgency],
        ['Log-Origin', head.origin],
      ],
    });
    return { name, stream };
  }
}

/** What a disclosure's recipient receives of the items' chains (access/disclosure-scope.ts). */
function recipientAudience(disclosure: DisclosureRecord): DisclosureAudience {
  return {
    kind: 'recipient',
    agency: disclosure.recipientAgency,
    disclosureId: disclosure.id,
    orderId: disclosure.orderId,
    facts: disclosure.facts,
  };
}

/** A tag file's bytes must be hashed before it enters the bag, so a (small) report PDF is collected first. */
async function collect(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
