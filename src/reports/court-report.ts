import type { Readable } from 'node:stream';
import type { Principal } from '../access/roles';
import type { LogRepository } from '../db/log.repository';
import { NotFoundError } from '../errors';
import {
  consistencyProof,
  encodeTlogProof,
  inclusionProof,
  type NodeReader,
  toBase64,
  utf8,
} from '../ledger';
import { signReceipt } from '../receipts/receipt';
import type { CustodyReport, CustodyReports } from './custody-report';
import type { PackageMaterial } from './disclosures';
import type { ReportLanguage } from './messages';
import { type PdfAttachment, renderReportPdf } from './report-pdf';

export interface CourtReportSettings {
  /** Where the service is reached from outside: the verification page is `<base>/verify`. */
  readonly publicBaseUrl: string;
}

/**
 * The court's PDF of a custody report: issued once (one `report.issued`
 * entry), rendered from that signed report, and carrying it with what a
 * reader needs to check it without this service (PDF/A-3 associated files):
 * the JWS, a receipt for every entry it lists, the disclosures of entries
 * that withhold fields, the receipt keys (JWKS) and the log key, at the paths
 * a disclosure package uses (receipts/<index>.jws, jwks.json, log.vkey).
 */
export class CourtReports {
  constructor(
    private readonly reports: CustodyReports,
    private readonly entries: LogRepository,
    private readonly material: PackageMaterial,
    private readonly settings: CourtReportSettings,
  ) {}

  /** Issues the report of `id` to `principal` and renders it in `language`. */
  async issuePdf(
    principal: Principal,
    id: string,
    language: ReportLanguage,
  ): Promise<{ report: CustodyReport; pdf: Readable }> {
    const { report, jws } = await this.reports.issue(principal, id, 'pdf');
    const pdf = renderReportPdf(report, jws.length, {
      language,
      jws,
      attachments: await this.attachments(report),
      verifyUrl: verifyPageUrl(this.settings.publicBaseUrl),
    });
    return { report, pdf };
  }

  /** Receipts for exactly the entries the report lists, against the checkpoint current now, and the keys. */
  private async attachments(report: CustodyReport): Promise<PdfAttachment[]> {
    const head = await this.entries.head();
    if (!head) throw new NotFoundError('log');
    return checkingFiles(report, head, this.entries.nodeReader(), this.material);
  }
}

/**
 * What a reader needs beside a signed report to check it without this
 * service: the receipt keys (JWKS) and the log key, a receipt and an
 * inclusion proof of every entry the report lists against the checkpoint
 * `head`, and the disclosures of entries that withhold fields, at the paths
 * of formats.md §6. A package writes them as tag files, a PDF carries them attached.
 */
export async function checkingFiles(
  report: CustodyReport,
  head: { readonly size: number; readonly checkpoint: string },
  reader: NodeReader,
  material: PackageMaterial,
): Promise<PdfAttachment[]> {
  const files: PdfAttachment[] = [
    {
      name: 'jwks.json',
      bytes: utf8(`${JSON.stringify(await material.jwks(), null, 2)}\n`),
      type: 'application/jwk-set+json',
      description: 'The receipt keys (JWKS) the report and its receipts are signed with',
      relationship: 'Supplement',
    },
    {
      name: 'log.vkey',
      bytes: utf8(`${material.vkey}\n`),
      type: 'text/plain',
      description: 'The log key (note verifier key) the checkpoints are signed with',
      relationship: 'Supplement',
    },
  ];
  for (const { index, entry, disclosures } of report.entries) {
    const proof = await inclusionProof(reader, index, head.size);
    const receipt = await signReceipt(material.receiptKey(), {
      entry,
      index,
      proof,
      checkpoint: head.checkpoint,
    });
    files.push({
      name: `receipts/${index}.jws`,
      bytes: utf8(`${receipt}\n`),
      type: 'application/jose',
      description: `The receipt of log entry ${index}: the entry, its inclusion proof and the checkpoint`,
      relationship: 'Supplement',
    });
    files.push({
      name: `proofs/${index}.tlog-proof`,
      bytes: utf8(encodeTlogProof({ index, proof, checkpoint: head.checkpoint })),
      type: 'text/plain',
      description: `The inclusion proof of log entry ${index} with the signed checkpoint (C2SP tlog-proof)`,
      relationship: 'Supplement',
    });
    if (entry.v === 2)
      files.push({
        name: `disclosures/${index}.json`,
        bytes: utf8(`${JSON.stringify(disclosures)}\n`),
        type: 'application/json',
        description: `The disclosures of log entry ${index} given to this reader`,
        relationship: 'Supplement',
      });
  }
  // The receipts rest on `head`, the report on its own, earlier checkpoint: a verifier sees one history.
  if (report.log.size > 0 && report.log.size !== head.size) {
    const proof = await consistencyProof(reader, report.log.size, head.size);
    files.push({
      name: `proofs/consistency-${report.log.size}-${head.size}.txt`,
      bytes: utf8(`${proof.map(toBase64).join('\n')}\n`),
      type: 'text/plain',
      description: `The consistency proof from the report's log of size ${report.log.size} to the receipts' of size ${head.size} (RFC 6962)`,
      relationship: 'Supplement',
    });
  }
  return files;
}

/** The verification page under the public base URL (a service published at https://host/ledger has it at /ledger/verify). */
export function verifyPageUrl(publicBaseUrl: string): string {
  return new URL('verify', publicBaseUrl.replace(/\/?$/, '/')).href;
}
