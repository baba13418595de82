import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DataSource, EntityManager } from 'typeorm';
import { type Principal, type Role } from '../access/roles';
import type { CaseService } from '../cases/case-service';
import type { EvidenceRecord } from '../db/evidence.repository';
import type { LogRepository } from '../db/log.repository';
import { ForbiddenRoleError, NotFoundError, ValidationError } from '../errors';
import type { EvidenceService } from '../evidence/evidence-service';
import { encodeTlogProof, fromUtf8, inclusionProof, parseEntry, utf8 } from '../ledger';
import type { CustodyLog } from '../log/custody-log';
import { type DomainWriter, domainWrite } from '../log/domain-write';
import type { OrderService } from '../orders/order-service';
import { type ReceiptSigningKey, signReceipt } from '../receipts/receipt';
import type { BlobStore } from '../storage/blob-store';
import { type TagFile, writeBag } from './bagit';
import { custodyGraph } from './case-graph';
import type { CustodyReports } from './custody-report';
import { renderReportPdf } from './report-pdf';

export interface DisclosureRecord {
  readonly id: string;
  readonly caseId: string;
  readonly recipientAgency: string;
  readonly orderId: string | null;
  readonly conditions: string | null;
  readonly evidenceIds: readonly string[];
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface DisclosureInput {
  readonly recipientAgency: string;
  readonly evidenceIds: readonly string[];
  readonly orderId?: string | undefined;
  readonly conditions?: string | undefined;
}

const DISCLOSERS: readonly Role[] = ['prosecutor', 'investigator'];

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
  private readonly writer: DomainWriter<DisclosureRecord>;

  constructor(
    private readonly db: DataSource,
    private readonly cases: CaseService,
    private readonly evidence: EvidenceService,
    private readonly orders: OrderService,
    private readonly reports: CustodyReports,
    private readonly entries: LogRepository,
    private readonly blobs: BlobStore,
    private readonly log: CustodyLog,
    private readonly material: PackageMaterial,
  ) {
    this.writer = {
      writeAll: async (tx: EntityManager, records) => {
        for (const r of records) {
          await tx.query(
            `INSERT INTO disclosures (id, case_id, recipient_agency, order_id, conditions, evidence_ids, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [
              r.id,
              r.caseId,
              r.recipientAgency,
              r.orderId,
              r.conditions,
              r.evidenceIds,
              r.createdBy,
              r.createdAt,
            ],
          );
        }
      },
    };
  }

  async create(
    principal: Principal,
    caseId: string,
    input: DisclosureInput,
  ): Promise<{ value: DisclosureRecord; receipt: string }> {
    const target = await this.cases.get(principal, caseId);
    const role = principal.roles.find((candidate) => DISCLOSERS.includes(candidate));
    if (target.agency !== principal.agency || !role) throw new ForbiddenRoleError();
    const items = await Promise.all(input.evidenceIds.map((id) => this.evidence.get(principal, id)));
    const foreign = items.findIndex((item) => item.caseId !== target.id);
    if (foreign >= 0)
      throw new ValidationError([{ pointer: `/evidenceIds/${foreign}`, reason: 'not_in_this_case' }]);
    if (input.orderId) await this.orders.get(principal, input.orderId);
    const record: DisclosureRecord = {
      id: randomUUID(),
      caseId: target.id,
      recipientAgency: input.recipientAgency,
      orderId: input.orderId ?? null,
      conditions: input.conditions ?? null,
      evidenceIds: items.map((item) => item.id),
      createdBy: principal.sub,
      createdAt: new Date(),
    };
    const actor = { sub: principal.sub, agency: principal.agency, role };
    const summary = {
      disclosure: record.id,
      recipient: record.recipientAgency,
      ...(record.orderId ? { order: record.orderId } : {}),
      ...(record.conditions ? { conditions: record.conditions } : {}),
    };
    const { receipt } = await this.log.record({
      subject: { type: 'case', id: target.id },
      type: 'disclosure.created',
      actor,
      data: { ...summary, evidence: [...record.evidenceIds] },
      write: domainWrite(this.writer, record),
    });
    for (const item of items) {
      await this.log.record({
        subject: { type: 'evidence', id: item.id },
        type: 'evidence.disclosed',
        actor,
        data: summary,
      });
    }
    return { value: record, receipt };
  }

  /** The disclosure, for its recipient agency or for whoever may see the case. */
  async get(principal: Principal, id: string): Promise<DisclosureRecord> {
    const rows = await this.db.query(
      'SELECT id, case_id, recipient_agency, order_id, conditions, evidence_ids, created_by, created_at FROM disclosures WHERE id = $1',
      [id],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('disclosure');
    const record: DisclosureRecord = {
      id: row.id,
      caseId: row.case_id,
      recipientAgency: row.recipient_agency,
      orderId: row.order_id,
      conditions: row.conditions,
      evidenceIds: row.evidence_ids,
      createdBy: row.created_by,
      createdAt: row.created_at,
    };
    const recipient =
      record.recipientAgency === principal.agency && principal.roles.some((role) => role !== 'admin');
    if (recipient) return record;
    await this.cases.get(principal, record.caseId);
    return record;
  }

  /** Logs the download on the case's chain, then streams the bag. */
  async openPackage(principal: Principal, id: string): Promise<{ name: string; stream: Readable }> {
    const disclosure = await this.get(principal, id);
    const role = principal.roles.find((candidate) => candidate !== 'admin') as Role;
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
    const tags: TagFile[] = [
      { path: 'jwks.json', bytes: utf8(`${JSON.stringify(await this.material.jwks(), null, 2)}\n`) },
      { path: 'log.vkey', bytes: utf8(`${this.material.vkey}\n`) },
    ];
    const head = await this.entries.head();
    if (!head) throw new NotFoundError('log');
    const reader = this.entries.nodeReader();
    for (const item of items) {
      const { report, jws } = await this.reports.issueFor(principal, item, 'json');
      tags.push({ path: `reports/${item.id}.json`, bytes: utf8(`${JSON.stringify(report, null, 2)}\n`) });
      tags.push({ path: `reports/${item.id}.jws`, bytes: utf8(`${jws}\n`) });
      tags.push({
        path: `reports/${item.id}.pdf`,
        bytes: await collect(renderReportPdf(report, jws.length)),
      });
    }
    // Receipts are issued afresh for every entry, against the checkpoint current now.
    const latest = (await this.entries.head()) ?? head;
    for (const item of items) {
      for (const stored of await this.entries.chain('evidence', item.id)) {
        if (stored.index >= latest.size) continue;
        const entry = parseEntry(JSON.parse(fromUtf8(stored.leafData)));
        const proof = await inclusionProof(reader, stored.index, latest.size);
        const receipt = await signReceipt(this.material.receiptKey(), {
          entry,
          index: stored.index,
          proof,
          checkpoint: latest.checkpoint,
        });
        tags.push({ path: `receipts/${stored.index}.jws`, bytes: utf8(`${receipt}\n`) });
        tags.push({
          path: `proofs/${stored.index}.tlog-proof`,
          bytes: utf8(encodeTlogProof({ index: stored.index, proof, checkpoint: latest.checkpoint })),
        });
      }
    }
    const payloadPathOf = (item: EvidenceRecord) =>
      `${segment(item.exhibitNumber)}-${item.id.slice(0, 8)}/${segment(item.originalFilename ?? 'content.bin')}`;
    const graphItems = [];
    for (const item of items) {
      const chain = await this.entries.chain('evidence', item.id);
      graphItems.push({
        item,
        payloadPath: `data/${payloadPathOf(item)}`,
        entries: chain.map((row) => ({
          index: row.index,
          entry: parseEntry(JSON.parse(fromUtf8(row.leafData))),
        })),
      });
    }
    tags.push({
      path: 'custody.jsonld',
      bytes: utf8(`${JSON.stringify(custodyGraph(graphItems, head.origin), null, 2)}\n`),
    });
    const payload = items.map((item: EvidenceRecord) => ({
      path: payloadPathOf(item),
      size: item.size,
      sha256: item.sha256,
      sha512: item.sha512,
      open: () => this.blobs.read(item.sha256),
    }));
    const name = `disclosure-${disclosure.id}`;
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

/** A tag file's bytes must be hashed before it enters the bag, so a (small) report PDF is collected first. */
async function collect(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
