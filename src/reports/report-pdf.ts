import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { decodeProtectedHeader } from 'jose';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { type EntryValue, revealFields } from '../ledger';
import type { CustodyReport, ReportReader, VerificationResult } from './custody-report';
import { type ReportLanguage, type ReportText, reportResources, reportText } from './messages';
import type { ReportMessages } from './messages/en';
import { type FontStyle, registerFonts, type WriteOptions, write } from './pdf-text';

const MARGIN = 50;
const QR_SIZE = 96;
const BODY = 9.5;

/** A file the PDF carries (PDF/A-3 associated file): the signed report, its receipts, the keys. */
export interface PdfAttachment {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Its media type. */
  readonly type: string;
  readonly description: string;
  /** PDF/A-3's AFRelationship: `Source` for the signed report the PDF is rendered from. */
  readonly relationship: 'Source' | 'Data' | 'Supplement';
}

export interface CourtPdfOptions {
  /** The language of the fixed texts; what was entered is shown as entered. */
  readonly language?: ReportLanguage;
  /** The signed report (JWS) this PDF renders: attached as report.jws, its SHA-256 on the first page. */
  readonly jws?: string;
  /** Further files to carry: the receipts, the JWKS and the log key. */
  readonly attachments?: readonly PdfAttachment[];
  /** The public verification page, printed with a QR code on the first page. */
  readonly verifyUrl?: string;
}

/** The PDF's language tag (BCP 47): Azerbaijani is written in Latin script. */
const LANGUAGE_TAGS: Record<ReportLanguage, string> = { az: 'az-Latn', en: 'en', ru: 'ru' };

/** SHA-256 (hex) of the signed report as attached: what page 1 prints and a reader recomputes. */
export function signedReportHash(jws: string): string {
  return createHash('sha256').update(jws, 'utf8').digest('hex');
}

/**
 * Renders a custody report as a PDF/A-3b document for a court: the title, the
 * signed report's hash and a QR code of the verification page, to whom it was
 * issued, the verdict in words, the case and orders, the item and its digests,
 * one row per custody entry with the fields revealed to that reader, the
 * anomalies, a certification block with a line for the custodian's signature,
 * and how to check it offline. The fixed texts come from the message catalogue
 * in the requested language; names, places and numbers are drawn as entered
 * in the font of their script (pdf-text.ts), with every font embedded. Every
 * field the reader is not given reads [withheld] (in the report's language),
 * so nothing withheld looks absent. The signed report, its receipts and the
 * keys are attached, so the PDF alone is enough to verify it. Pages are held
 * until the end to number them "page N of M"; text stays text, so
 * `pdftotext` shows the digests and the checkpoint.
 */
export function renderReportPdf(
  report: CustodyReport,
  jwsLength: number,
  options: CourtPdfOptions = {},
): Readable {
  const language = options.language ?? 'en';
  const t = reportText(language);
  const item = report.item;
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    pdfVersion: '1.7',
    subset: 'PDF/A-3b',
    lang: LANGUAGE_TAGS[language],
    displayTitle: true,
    info: {
      Title: `${t('title')} - ${item.id}`,
      Creator: 'Custody Ledger',
      Producer: 'Custody Ledger (PDFKit)',
    },
  });
  registerFonts(doc);
  const width = doc.page.width - 2 * MARGIN;
  const WITHHELD = t('withheld');

  const text = (value: string, style: FontStyle = 'regular', more: WriteOptions = {}) =>
    write(doc, value, { style, ...more });
  const heading = (value: string) => {
    doc.moveDown(0.8).fontSize(13);
    text(value, 'bold');
    doc.fontSize(BODY);
  };
  const field = (label: string, value: string, style: FontStyle = 'regular') => {
    text(`${label}: `, 'bold', { continued: true });
    text(value, style);
  };

  // Page 1: title, what this document is a rendering of, and where to check it.
  const head = { width: options.verifyUrl ? width - QR_SIZE - 12 : width };
  doc.fontSize(18);
  text(t('title'), 'bold', head);
  doc.fontSize(BODY);
  text(
    t('generated', { at: report.generatedAt, origin: report.log.origin, size: report.log.size }),
    'regular',
    head,
  );
  text(`${t('issuedTo')}: `, 'bold', { ...head, continued: true });
  text(issuedTo(t, report.issuedTo, WITHHELD), 'regular', head);
  if (options.jws !== undefined) {
    doc.moveDown(0.3);
    text(`${t('reportHash')}:`, 'bold', head);
    doc.fontSize(8.5);
    text(signedReportHash(options.jws), 'mono', head);
    doc.fontSize(BODY);
  }
  if (options.verifyUrl) {
    drawQrCode(doc, options.verifyUrl, doc.page.width - MARGIN - QR_SIZE, MARGIN, QR_SIZE);
    doc.moveDown(0.3);
    text(`${t('verificationPage')}: `, 'bold', { ...head, continued: true });
    text(options.verifyUrl, 'mono', head);
    doc.fontSize(8);
    text(t('verificationPageNote'), 'regular', head);
    doc.fontSize(BODY);
    doc.y = Math.max(doc.y, MARGIN + QR_SIZE + 4);
  }

  const v = report.verification;
  heading(t('verdict'));
  doc.fontSize(11).fillColor(v.verdict === 'verified' ? '#0a6b2d' : '#b00020');
  text(v.verdict === 'verified' ? t('verified') : t('failed'), 'bold');
  doc.fillColor('black').fontSize(BODY);
  for (const [name, result] of [
    [t('checkBytes'), v.bytes],
    [t('checkChain'), v.chain],
    [t('checkInclusion'), v.inclusion],
    [t('checkConsistency'), v.consistency],
  ] as const) {
    text(`${result.ok ? t('pass') : t('fail')}  ${name}: ${checkInWords(t, result)}`);
  }

  heading(t('caseHeading'));
  const frame = report.context;
  const withheld = (list: readonly string[], name: string) => (list.includes(name) ? WITHHELD : undefined);
  if (frame.case) {
    field(t('case'), `${frame.case.reference} - ${frame.case.title} (${frame.case.agency})`);
    if (frame.case.legalBasis) field(t('legalBasis'), frame.case.legalBasis);
  }
  if (frame.withheld.includes('case')) field(t('case'), WITHHELD);
  const ordersWithheld = frame.withheld.includes('orders');
  if (frame.orders.length === 0 && ordersWithheld) field(t('orders'), WITHHELD);
  else if (frame.orders.length === 0) text(t('noOrder'));
  else if (ordersWithheld) text(t('onlyThisOrder', { withheld: WITHHELD }));
  for (const order of frame.orders) {
    const from = order.requestingAuthority ?? withheld(order.withheld, 'requestingAuthority') ?? '-';
    const basis =
      order.legalBasis === undefined
        ? (withheld(order.withheld, 'legalBasis') ?? '-')
        : legalBasisInWords(t, order.legalBasis);
    field(
      t('order', { kind: order.kind ?? '-' }),
      t('orderLine', { id: order.id ?? '-', status: order.status ?? '-', from, basis }),
    );
  }

  if (frame.breakGlass.length > 0) {
    heading(t('breakGlass'));
    for (const opened of frame.breakGlass) {
      const who = opened.sub === undefined ? withheld(opened.withheld, 'sub') : (opened.sub ?? 'any');
      const why = opened.reason ?? withheld(opened.withheld, 'reason');
      field(
        opened.at ?? '-',
        t('breakGlassLine', {
          who: who ?? '-',
          agency: opened.agency ?? '-',
          role: opened.role === undefined ? '-' : roleInWords(t, opened.role),
          until: opened.until ?? '-',
          why: why ?? '-',
        }),
      );
    }
  }

  heading(t('item'));
  /** An item field: its value, [withheld] when the reader is not given it, nothing when the item has none. */
  const itemField = (label: string, name: keyof typeof item) => {
    const value = item[name];
    if (value !== undefined && value !== null) field(label, String(value));
    else if (item.withheld.includes(name)) field(label, WITHHELD);
  };
  itemField(t('exhibit'), 'exhibitNumber');
  itemField(t('description'), 'description');
  itemField(t('source'), 'source');
  field(
    t('acquired'),
    t('acquiredLine', {
      at: item.acquiredAt ?? '-',
      by: item.acquiredBy ?? withheld(item.withheld, 'acquiredBy') ?? '-',
    }),
  );
  itemField(t('acquisitionTool'), 'acquisitionTool');
  itemField(t('location'), 'location');
  itemField(t('fileName'), 'originalFilename');
  if (item.size !== undefined) field(t('size'), t('bytes', { size: item.size }));
  if (item.digests?.sha256) field('SHA-256', item.digests.sha256, 'mono');
  if (item.digests?.sha512) field('SHA-512', item.digests.sha512, 'mono');
  if (item.digests?.md5) field('MD5', item.digests.md5, 'mono');
  if (item.digests?.sha1) field('SHA-1', item.digests.sha1, 'mono');
  if (item.acquisitionHash)
    field(t('acquisitionHash', { alg: item.acquisitionHash.alg }), item.acquisitionHash.value, 'mono');

  heading(t('entries', { count: report.entries.length }));
  for (const { index, leafHash, entry, disclosures, withheld: notGiven } of report.entries) {
    if (doc.y > doc.page.height - 120) doc.addPage();
    const { actor, data } = revealFields(entry, disclosures);
    const facts = [
      ...Object.entries(data)
        .filter(([name]) => !ENTRY_DIGESTS.has(name))
        .map(([name, value]) => `${fieldInWords(t, name)}: ${describeValue(value)}`),
      ...notGiven
        .filter((path) => path.startsWith('data.'))
        .map((path) => `${fieldInWords(t, path.slice(5))}: ${WITHHELD}`),
    ];
    const person = typeof actor.sub === 'string' ? actor.sub : WITHHELD;
    text(`#${entry.seq}  ${entry.at}  ${entryTypeInWords(t, entry.type)}`, 'bold');
    text(
      `${t('entryBy', { person, role: roleInWords(t, entry.actor.role), agency: entry.actor.agency })}${facts.length ? ` - ${facts.join('; ')}` : ''}`,
      'regular',
      { indent: 12 },
    );
    doc.fontSize(7.5);
    text(t('logPosition', { index, leaf: leafHash }), 'mono', { indent: 12 });
    doc.fontSize(BODY);
  }

  // Every hand-over to another agency, as this reader may see it: recipient, order and conditions.
  heading(t('disclosures'));
  const handOvers = report.entries.filter(({ entry }) => entry.type === 'evidence.disclosed');
  if (handOvers.length === 0) text(t('noDisclosures'));
  for (const { entry, disclosures, withheld: notGiven } of handOvers) {
    const { data } = revealFields(entry, disclosures);
    const shown = (name: string) =>
      data[name] !== undefined && data[name] !== null
        ? describeValue(data[name])
        : notGiven.includes(`data.${name}`)
          ? WITHHELD
          : t('none');
    field(
      `#${entry.seq} ${entry.at}`,
      t('disclosureLine', {
        recipient: shown('recipient'),
        disclosure: shown('disclosure'),
        order: shown('order'),
        conditions: shown('conditions'),
      }),
    );
  }

  heading(t('anomalies'));
  if (report.anomalies.length === 0) text(t('noAnomalies'));
  for (const anomaly of report.anomalies) {
    // The kind in the reader's language; the detail names entries and times as the signed report does.
    field(
      `#${anomaly.seq} ${anomaly.at}`,
      `${t(`anomaly_${anomaly.kind}`)} (${anomaly.kind}): ${anomaly.detail}`,
    );
  }

  if (doc.y > doc.page.height - 160) doc.addPage();
  heading(t('checkpoint'));
  doc.fontSize(7.5);
  text(report.log.checkpoint, 'mono');
  doc.fontSize(BODY);

  if (doc.y > doc.page.height - 230) doc.addPage();
  heading(t('certification'));
  field(t('certIssuedBy'), t('certIssuedByValue', { origin: report.log.origin }));
  field(t('certFor'), issuedTo(t, report.issuedTo, WITHHELD));
  field(t('certWhen'), report.generatedAt);
  const kid = options.jws === undefined ? undefined : decodeProtectedHeader(options.jws).kid;
  if (kid !== undefined) field(t('certKey'), t('certKeyValue', { kid }));
  doc.moveDown(2.5);
  const lineY = doc.y;
  doc
    .moveTo(MARGIN, lineY)
    .lineTo(MARGIN + 260, lineY)
    .lineWidth(0.6)
    .stroke();
  doc.y = lineY + 3;
  doc.fontSize(8);
  text(t('signature'));
  text(t('signatureName'));
  doc.fontSize(BODY);

  if (doc.y > doc.page.height - 200) doc.addPage();
  heading(t('howTo'));
  text(t('howToAttached', { length: jwsLength }));
  doc.moveDown(0.3);
  text(t('howToTools'));
  doc.fontSize(8);
  text(
    'npm run --silent verify -- receipt receipts/INDEX.jws --jwks jwks.json --vkey "$(cat log.vkey)"',
    'mono',
  );
  doc.fontSize(BODY);
  text(t('howToIndependent'));
  if (options.verifyUrl) text(t('howToBrowser', { url: options.verifyUrl }));

  const issuedAt = new Date(report.generatedAt);
  if (options.jws !== undefined)
    attach(
      doc,
      {
        name: 'report.jws',
        bytes: new TextEncoder().encode(options.jws),
        type: 'application/jose',
        description: 'The signed custody report (JWS) this PDF renders',
        relationship: 'Source',
      },
      issuedAt,
    );
  for (const attachment of options.attachments ?? []) attach(doc, attachment, issuedAt);

  // "page N of M": every page is known only now.
  const pages = doc.bufferedPageRange();
  const exhibit =
    item.exhibitNumber === undefined ? '' : t('footerExhibit', { number: String(item.exhibitNumber) });
  for (let i = pages.start; i < pages.start + pages.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.fontSize(8).fillColor('#555');
    doc.x = MARGIN;
    doc.y = doc.page.height - 30;
    text(t('footer', { exhibit, id: item.id, page: i + 1, pages: pages.count }), 'regular', {
      width,
      align: 'center',
      lineBreak: false,
    });
    doc.fillColor('black');
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return doc as unknown as Readable;
}

/** Attaches `file` as of `at` (the report's issuance): PDF/A-3 readers show when each file was made. */
function attach(doc: PDFKit.PDFDocument, file: PdfAttachment, at: Date): void {
  doc.file(Buffer.from(file.bytes), {
    name: file.name,
    creationDate: at,
    modifiedDate: at,
    type: file.type,
    description: file.description,
    relationship: file.relationship,
  } as Parameters<PDFKit.PDFDocument['file']>[1]);
}

/** A QR code drawn as vector squares: sharp at any zoom and in print. */
function drawQrCode(doc: PDFKit.PDFDocument, url: string, x: number, y: number, size: number): void {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const cell = size / (modules.size + 8);
  const origin = { x: x + 4 * cell, y: y + 4 * cell };
  doc.save().fillColor('black');
  for (let row = 0; row < modules.size; row++)
    for (let col = 0; col < modules.size; col++)
      if (modules.get(row, col)) doc.rect(origin.x + col * cell, origin.y + row * cell, cell, cell);
  doc.fill().restore();
}

/** Entry fields the item section already shows in full: repeating digests on every row hides the facts. */
const ENTRY_DIGESTS: ReadonlySet<string> = new Set(['sha512', 'md5', 'sha1', 'acquisitionHash']);

/** The "Issued to" line: who, as what, and what that means for the fields shown. */
function issuedTo(t: ReportText, reader: ReportReader, withheld: string): string {
  const who = `${reader.agency} (${roleInWords(t, reader.role)})`;
  switch (reader.as) {
    case 'member':
      return t('issuedMember', { who });
    case 'recipient':
      return t('issuedRecipient', { who, disclosure: reader.disclosure ?? '-', withheld });
    case 'public':
    case 'requester':
      return t('issuedOutside', { who, withheld });
  }
}

/** An order's legal basis in words: the instrument by name, the article and the requester's reference. */
function legalBasisInWords(t: ReportText, basis: unknown): string {
  if (basis === null || typeof basis !== 'object') return String(basis);
  const { instrument, article, reference } = basis as Record<string, unknown>;
  const key = `instrument${String(instrument)}` as Parameters<ReportText>[0];
  const named = INSTRUMENTS.has(String(instrument)) ? t(key) : String(instrument);
  return [named, typeof article === 'string' ? t('article', { article }) : undefined, reference]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join(', ');
}

const INSTRUMENTS: ReadonlySet<string> = new Set(['UNCC', 'BUDAPEST', 'MLAT', 'EU_2023_1543', 'DOMESTIC']);

/** A revealed field's value in words: a party as "agency / person", lists comma-separated, other objects as JSON. */
function describeValue(value: EntryValue): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(describeValue).join(', ');
  if (value !== null && typeof value === 'object' && typeof value.agency === 'string')
    return typeof value.sub === 'string' ? `${value.agency} / ${value.sub}` : value.agency;
  return JSON.stringify(value);
}

/** A check's outcome in the report's language (its English `detail` is for logs and tools). */
function checkInWords(t: ReportText, result: VerificationResult): string {
  const { code, values } = result.outcome;
  if (code !== 'CHECK_FAILED') return t(`check_${code}`, values);
  const at = values.seq === undefined ? '' : t('check_atSeq', { seq: values.seq });
  return t('check_CHECK_FAILED', { code: String(values.code), at, detail: String(values.detail) });
}

/** An entry's type as its name in the report's language, with the type itself for tools. */
function entryTypeInWords(t: ReportText, type: string): string {
  const label = labelOf(t, `type_${type.replace('.', '_')}`);
  return label === undefined ? type : `${label} (${type})`;
}

/** An entry's data field by its name in the report's language; one without a label, by its own name. */
function fieldInWords(t: ReportText, name: string): string {
  return labelOf(t, `field_${name}`) ?? name;
}

/** A role by its name in the report's language; one without a label, by its own name. */
function roleInWords(t: ReportText, role: string): string {
  return labelOf(t, `role_${role}`) ?? role;
}

/** The catalogue's text for `key`, where the catalogue has one. */
function labelOf(t: ReportText, key: string): string | undefined {
  return key in reportResources.en.report ? t(key as keyof ReportMessages) : undefined;
}
