import type { Readable } from 'node:stream';
import PDFDocument from 'pdfkit';
import { type EntryValue, revealFields } from '../ledger';
import type { CustodyReport, ReportReader } from './custody-report';
import { WITHHELD } from './report-audience';

const MARGIN = 50;

/**
 * Renders a custody report as a PDF for a court: headings, to whom it was
 * issued, the verdict in words, the item and its digests, one row per custody
 * entry with the fields revealed to that reader, the anomalies, and the
 * command an expert runs to re-verify it offline. Every field the reader is
 * not given reads [withheld], so nothing withheld looks absent. Pages are written out
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
  const exhibit = item.exhibitNumber === undefined ? '' : `Exhibit ${item.exhibitNumber} - `;
  let page = 1;
  const footer = () => {
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('Helvetica')
      .fontSize(8)
      .fillColor('#555')
      .text(`${exhibit}item ${item.id} - page ${page}`, MARGIN, doc.page.height - 30, {
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
  doc
    .font('Helvetica-Bold')
    .text('Issued to: ', { continued: true })
    .font('Helvetica')
    .text(issuedTo(report.issuedTo));

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
  const withheld = (list: readonly string[], name: string) => (list.includes(name) ? WITHHELD : undefined);
  if (frame.case) {
    field('Case', `${frame.case.reference} - ${frame.case.title} (${frame.case.agency})`);
    if (frame.case.legalBasis) field('Legal basis', frame.case.legalBasis);
  }
  if (frame.withheld.includes('case')) field('Case', WITHHELD);
  const ordersWithheld = frame.withheld.includes('orders');
  if (frame.orders.length === 0 && ordersWithheld) field('Orders', WITHHELD);
  else if (frame.orders.length === 0) doc.text('No order is linked to this item.');
  else if (ordersWithheld)
    doc.text(`Only the order this disclosure answers is shown; any other is ${WITHHELD}.`);
  for (const order of frame.orders) {
    const from = order.requestingAuthority ?? withheld(order.withheld, 'requestingAuthority');
    const basis =
      order.legalBasis === undefined
        ? withheld(order.withheld, 'legalBasis')
        : JSON.stringify(order.legalBasis);
    field(`Order ${order.kind}`, `${order.id} (${order.status}), from ${from}, basis ${basis}`);
  }

  if (frame.breakGlass.length > 0) {
    heading('Break-glass access to the case');
    for (const opened of frame.breakGlass) {
      const who = opened.sub === undefined ? withheld(opened.withheld, 'sub') : (opened.sub ?? 'any');
      const why = opened.reason ?? withheld(opened.withheld, 'reason');
      field(`${opened.at}`, `${who} (${opened.agency}, ${opened.role}) until ${opened.until ?? '-'}: ${why}`);
    }
  }

  heading('Item');
  /** An item field: its value, [withheld] when the reader is not given it, nothing when the item has none. */
  const itemField = (label: string, name: keyof typeof item) => {
    const value = item[name];
    if (value !== undefined && value !== null) field(label, String(value));
    else if (item.withheld.includes(name)) field(label, WITHHELD);
  };
  itemField('Exhibit', 'exhibitNumber');
  itemField('Description', 'description');
  itemField('Source', 'source');
  field(
    'Acquired',
    `${item.acquiredAt ?? '-'} by ${item.acquiredBy ?? withheld(item.withheld, 'acquiredBy') ?? '-'}`,
  );
  itemField('Acquisition tool', 'acquisitionTool');
  itemField('Location', 'location');
  itemField('File name', 'originalFilename');
  if (item.size !== undefined) field('Size', `${item.size} bytes`);
  if (item.digests?.sha256) field('SHA-256', item.digests.sha256);
  if (item.digests?.sha512) field('SHA-512', item.digests.sha512);
  if (item.digests?.md5) field('MD5', item.digests.md5);
  if (item.digests?.sha1) field('SHA-1', item.digests.sha1);
  if (item.acquisitionHash)
    field(
      `Acquisition hash (${item.acquisitionHash.alg}, from the imaging tool)`,
      item.acquisitionHash.value,
    );

  heading(`Custody entries (${report.entries.length})`);
  for (const { index, leafHash, entry, disclosures, withheld: notGiven } of report.entries) {
    if (doc.y > doc.page.height - 120) doc.addPage();
    const { actor, data } = revealFields(entry, disclosures);
    const facts = [
      ...Object.entries(data)
        .filter(([name]) => !ENTRY_DIGESTS.has(name))
        .map(([name, value]) => `${name}: ${describeValue(value)}`),
      ...notGiven.filter((path) => path.startsWith('data.')).map((path) => `${path.slice(5)}: ${WITHHELD}`),
    ];
    const person = typeof actor.sub === 'string' ? actor.sub : WITHHELD;
    doc
      .font('Helvetica-Bold')
      .text(`#${entry.seq}  ${entry.at}  ${entry.type}`)
      .font('Helvetica')
      .text(
        `by ${person} (${entry.actor.role}, ${entry.actor.agency})${facts.length ? ` - ${facts.join('; ')}` : ''}`,
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

  // The note is one block in one font: a page break inside it would resume in the body font.
  if (doc.y > doc.page.height - 160) doc.addPage();
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

/** Entry fields the item section already shows in full: repeating digests on every row hides the facts. */
const ENTRY_DIGESTS: ReadonlySet<string> = new Set(['sha512', 'md5', 'sha1', 'acquisitionHash']);

/** The "Issued to" line: who, as what, and what that means for the fields shown. */
function issuedTo(reader: ReportReader): string {
  const who = `${reader.agency} (${reader.role})`;
  switch (reader.as) {
    case 'member':
      return `${who}, a member of the case: every recorded field is shown.`;
    case 'recipient':
      return `${who}, as the recipient of disclosure ${reader.disclosure}: fields not disclosed to it read ${WITHHELD}.`;
    case 'public':
    case 'requester':
      return `${who}, outside the case: fields that are not public read ${WITHHELD}.`;
  }
}

/** A revealed field's value in words: a party as "agency / person", lists comma-separated, other objects as JSON. */
function describeValue(value: EntryValue): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(describeValue).join(', ');
  if (value !== null && typeof value === 'object' && typeof value.agency === 'string')
    return typeof value.sub === 'string' ? `${value.agency} / ${value.sub}` : value.agency;
  return JSON.stringify(value);
}
