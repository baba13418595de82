import type { Readable } from 'node:stream';
import PDFDocument from 'pdfkit';
import type { CustodyReport } from './custody-report';

const MARGIN = 50;

/**
 * Renders a custody report as a PDF for a court: headings, the verdict in
 * words, the item and its digests, one row per custody entry, the anomalies,
 * and the command an expert runs to re-verify it offline. Pages are written out
 * as they fill (the document streams; it is never held whole in memory), and
 * text stays text, so `pdftotext` shows the digests and the checkpoint.
 */
export function renderReportPdf(report: CustodyReport, jwsLength: number): Readable {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: false,
    info: { Title: 'Chain of custody report' },
  });
  const width = doc.page.width - 2 * MARGIN;
  const item = report.item;
  let page = 1;
  const footer = () => {
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .fontSize(8)
      .fillColor('#555')
      .text(`Exhibit ${item.exhibitNumber} - item ${item.id} - page ${page}`, MARGIN, doc.page.height - 30, {
        width,
        align: 'center',
        lineBreak: false,
      })
      .fillColor('black');
    doc.page.margins.bottom = bottom;
    doc.x = MARGIN;
  };
  doc.on('pageAdded', () => {
    page++;
    footer();
    // Pages are added between entries, so the body style is the one to resume with.
    doc.font('Helvetica').fontSize(9.5);
    doc.y = MARGIN;
  });
  footer();
  doc.y = MARGIN;

  const heading = (text: string) =>
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).text(text).font('Helvetica').fontSize(9.5);
  const field = (label: string, value: string) =>
    doc
      .font('Helvetica-Bold')
      .text(`${label}: `, { continued: true })
      .font('Courier')
      .text(value)
      .font('Helvetica');

  doc.font('Helvetica-Bold').fontSize(18).text('Chain of custody report');
  doc
    .font('Helvetica')
    .fontSize(9.5)
    .text(`Generated ${report.generatedAt} from log ${report.log.origin} (size ${report.log.size}).`);

  const v = report.verification;
  heading('Verdict');
  doc
    .font('Helvetica-Bold')
    .fontSize(11)
    .fillColor(v.verdict === 'verified' ? '#0a6b2d' : '#b00020')
    .text(
      v.verdict === 'verified'
        ? 'VERIFIED: the stored bytes match the digests taken at intake, and every custody entry is intact, linked and in the signed log.'
        : 'FAILED: at least one check below did not pass. The record cannot be relied on as it stands.',
    )
    .fillColor('black')
    .font('Helvetica')
    .fontSize(9.5);
  for (const [name, result] of [
    ['Stored bytes', v.bytes],
    ['Chain links and leaf hashes', v.chain],
    ['Inclusion in the log', v.inclusion],
    ['Consistency of earlier checkpoints', v.consistency],
  ] as const) {
    doc.text(`${result.ok ? 'PASS' : 'FAIL'}  ${name}: ${result.detail}`);
  }

  heading('Case and legal basis');
  const frame = report.context;
  if (frame.case) {
    field('Case', `${frame.case.reference} - ${frame.case.title} (${frame.case.agency})`);
    if (frame.case.legalBasis) field('Legal basis', frame.case.legalBasis);
  }
  if (frame.orders.length === 0) doc.text('No order is linked to this item.');
  for (const order of frame.orders) {
    field(
      `Order ${order.kind}`,
      `${order.id} (${order.status}), from ${order.requestingAuthority}, basis ${JSON.stringify(order.legalBasis)}`,
    );
  }

  if (frame.breakGlass.length > 0) {
    heading('Break-glass access to the case');
    for (const opened of frame.breakGlass) {
      field(
        `${opened.at}`,
        `${opened.sub ?? 'any'} (${opened.agency}, ${opened.role}) until ${opened.until ?? '-'}: ${opened.reason}`,
      );
    }
  }

  heading('Item');
  field('Exhibit', item.exhibitNumber);
  field('Description', item.description);
  field('Source', item.source);
  field('Acquired', `${item.acquiredAt} by ${item.acquiredBy}`);
  field('Size', `${item.size} bytes`);
  field('SHA-256', item.digests.sha256);
  field('SHA-512', item.digests.sha512);
  if (item.digests.md5) field('MD5', item.digests.md5);
  if (item.digests.sha1) field('SHA-1', item.digests.sha1);
  if (item.acquisitionHash)
    field(
      `Acquisition hash (${item.acquisitionHash.alg}, from the imaging tool)`,
      item.acquisitionHash.value,
    );

  heading(`Custody entries (${report.entries.length})`);
  for (const { index, leafHash, entry } of report.entries) {
    if (doc.y > doc.page.height - 120) doc.addPage();
    const data = entry.data as Record<string, unknown>;
    const facts = ['purpose', 'location', 'sealNumber', 'sealCondition', 'authorityRef', 'notes']
      .filter((key) => typeof data[key] === 'string')
      .map((key) => `${key}: ${data[key]}`);
    const counterparty = data.counterparty as { agency?: string; sub?: string } | undefined;
    if (counterparty?.agency)
      facts.push(`counterparty: ${counterparty.agency}${counterparty.sub ? ` / ${counterparty.sub}` : ''}`);
    doc
      .font('Helvetica-Bold')
      .text(`#${entry.seq}  ${entry.at}  ${entry.type}`)
      .font('Helvetica')
      .text(
        `by ${'sub' in entry.actor ? entry.actor.sub : 'withheld'} (${entry.actor.role}, ${entry.actor.agency})${facts.length ? ` - ${facts.join('; ')}` : ''}`,
        {
          indent: 12,
        },
      )
      .font('Courier')
      .fontSize(7.5)
      .text(`log index ${index}, leaf ${leafHash}`, { indent: 12 })
      .font('Helvetica')
      .fontSize(9.5);
  }

  heading('Anomalies');
  if (report.anomalies.length === 0) doc.text('None found.');
  for (const anomaly of report.anomalies)
    doc.text(`#${anomaly.seq} ${anomaly.at}: ${anomaly.kind} - ${anomaly.detail}`);

  heading('Signed checkpoint this report was verified against');
  doc.font('Courier').fontSize(7.5).text(report.log.checkpoint).font('Helvetica').fontSize(9.5);

  heading('How to check this report without trusting us');
  doc.text(
    `The JSON form of this report is a signed JWS (${jwsLength} characters; GET /v1/evidence/${item.id}/report). ` +
      'Every entry above has a receipt that verifies offline with the pinned receipt keys (JWKS) and log key (vkey):',
  );
  doc
    .font('Courier')
    .fontSize(8)
    .text('npm run --silent verify -- receipt RECEIPT.jws --jwks jwks.json --vkey "$(cat log.vkey)"')
    .font('Helvetica')
    .fontSize(9.5)
    .text(
      'Independent tools work as well: Go golang.org/x/mod/sumdb (note, tlog) and any JOSE library; see docs/verifying.md.',
    );

  doc.end();
  return doc as unknown as Readable;
}
