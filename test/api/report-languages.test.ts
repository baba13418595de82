import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { CustodyReport } from '../../src/reports/custody-report';
import { executedRequestFor } from '../support/fixtures';
import { requirePdfTools } from '../support/pdf-tools';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const run = promisify(execFile);

/** What was entered, in Azerbaijani (ə ğ ı İ ş ç ö ü), Russian, Chinese and Arabic. */
const TITLE_LTR = 'Bakı şəhəri / Дело / 诈骗案 /';
const TITLE_ARABIC = 'قضية احتيال';
const CASE = {
  reference: 'BAKI-2026/15',
  title: `${TITLE_LTR} ${TITLE_ARABIC}`,
  legalBasis: 'CPM maddə 177 / УПК ст. 177',
};
const INTAKE = {
  exhibitNumber: 'ƏŞ-1',
  description: 'Ağ ığ İş çö ü ə: Пётр Иванов, 王小明',
  source: 'Telefon İlqar Şükürova / Мобильный / 手机',
  acquiredAt: '2026-11-20T09:30:00Z',
  acquiredBy: 'Ə. Güləhmədov / Сергей Ёлкин / 李雷',
  location: 'Gəncə, Şəhriyar küç. 5 / Гянджа / 占贾',
};

/** Where a court reaches the service: the PDF prints its verification page. */
const PUBLIC_BASE = 'https://ledger.example.az';

/** Each language's words for what a court checks first: the title and the verdict. */
const FIXED = {
  az: ['Saxlanma zənciri haqqında hesabat', 'TƏSDİQLƏNDİ', 'səhifə 1 / '],
  en: ['Chain of custody report', 'VERIFIED', 'page 1 of '],
  ru: ['Отчёт о цепочке хранения', 'ПОДТВЕРЖДЕНО', 'страница 1 из '],
} as const;

/** pdftotext marks right-to-left stretches with Unicode embedding controls; they are not text. */
const withoutBidiControls = (text: string) => text.replace(/[\u202a-\u202e\u2066-\u2069]/g, '');

interface ReadPdf {
  readonly text: string;
  readonly attachments: readonly string[];
  readonly attachment: (name: string) => Promise<string>;
}

/** qpdf --check, the text as pdftotext reads it, and the attached files; without the tools, skips. */
async function readPdf(context: Mocha.Context, dir: string, pdf: Uint8Array, name: string): Promise<ReadPdf> {
  await requirePdfTools(context);
  const file = path.join(dir, name);
  await writeFile(file, pdf);
  await run('qpdf', ['--check', file]);
  // Lines joined with one space: where a line wraps depends on the lengths of the names in it.
  const text = withoutBidiControls((await run('pdftotext', [file, '-'])).stdout).replace(/\s+/g, ' ');
  const listed = (await run('qpdf', ['--list-attachments', file])).stdout;
  const attachments = listed
    .split('\n')
    .map((line) => /^(\S+) -> /.exec(line)?.[1])
    .filter((found): found is string => found !== undefined);
  const attachment = async (attached: string) =>
    (await run('qpdf', [`--show-attachment=${attached}`, file], { encoding: 'utf8' })).stdout;
  return { text, attachments, attachment };
}

describe('court report PDFs in Azerbaijani, English and Russian', function () {
  this.timeout(120_000);
  let service: TestService;
  let dir: string;
  let token: string;
  let itemId: string;
  let caseId: string;
  let agency: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-languages-'));
    // The case's agency is the central authority: it discloses under the requests it received.
    agency = uniqueAgency('AZ');
    service = await startTestService({
      BLOB_DIR: path.join(dir, 'blobs'),
      PUBLIC_BASE_URL: PUBLIC_BASE,
      CENTRAL_AUTHORITY: agency,
    });
    token = await service.token(uniqueSub('leyla'), agency, 'investigator', 'prosecutor');
    const opened = await service.call('POST', '/v1/cases', { token, json: CASE });
    expect(opened.status, opened.text).to.equal(201);
    caseId = opened.body.case.id;
    const form = new FormData();
    form.append('metadata', JSON.stringify(INTAKE));
    form.append('file', new Blob([randomBytes(2_000)]), 'extraction.bin');
    const uploaded = await fetch(new URL(`/v1/cases/${opened.body.case.id}/evidence`, service.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(uploaded.status).to.equal(201);
    itemId = ((await uploaded.json()) as { evidence: { id: string } }).evidence.id;
  });

  after(async () => {
    await service?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const fetchPdf = (query: string, headers: Record<string, string> = {}) =>
    fetch(new URL(`/v1/evidence/${itemId}/report.pdf${query}`, service.url), {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });

  it('when the report is fetched in az, en and ru, then each PDF shows every entered string exactly, passes qpdf --check and carries the signed report of its own issuance', async function () {
    const jwks = (await service.call('GET', '/.well-known/jwks.json')).body as JSONWebKeySet;
    let issued = 0;
    for (const language of ['az', 'en', 'ru'] as const) {
      const response = await fetchPdf(`?lang=${language}`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-language')).to.equal(language);
      const pdf = await readPdf(this, dir, Buffer.from(await response.arrayBuffer()), `${language}.pdf`);

      for (const fixed of FIXED[language]) expect(pdf.text, `${language}: ${fixed}`).to.contain(fixed);
      for (const entered of [
        TITLE_LTR,
        CASE.legalBasis,
        INTAKE.exhibitNumber,
        INTAKE.description,
        INTAKE.source,
        INTAKE.acquiredBy,
        INTAKE.location,
        TITLE_ARABIC,
      ])
        expect(pdf.text, `${language}: ${entered}`).to.contain(entered);

      // The signed report inside is this issuance's: one more report.issued entry than the PDF before.
      const jws = await pdf.attachment('report.jws');
      const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks));
      expect(protectedHeader.typ).to.equal('custody-report+jwt');
      const report = JSON.parse(new TextDecoder().decode(payload)) as CustodyReport;
      expect(report.item.id).to.equal(itemId);
      const issuances = report.entries.filter(({ entry }) => entry.type === 'report.issued');
      expect(issuances).to.have.length(++issued);
      expect(report.entries.at(-1)?.entry.type).to.equal('report.issued');
      expect(pdf.text).to.contain(report.generatedAt);
      expect(pdf.text).to.contain(`${PUBLIC_BASE}/verify`);
      expect(pdf.text).to.contain(createHash('sha256').update(jws, 'utf8').digest('hex'));

      // And what checks it without the service: a receipt per entry, the keys.
      expect(pdf.attachments).to.include.members([
        'jwks.json',
        'log.vkey',
        ...report.entries.map(({ index }) => `receipts/${index}.jws`),
      ]);
      const receipt = (await pdf.attachment(`receipts/${report.entries[0]?.index}.jws`)).trim();
      const verified = await service.call('POST', '/v1/receipts/verify', { json: { receipt } });
      expect(verified.body.valid, verified.text).to.equal(true);
      expect(JSON.parse(await pdf.attachment('jwks.json'))).to.deep.equal(jwks);
    }
  });

  it('when the item was disclosed under a request, then the Russian PDF names the recipient, the order and its conditions as entered, and the order’s legal basis in words', async function () {
    const partnerAgency = uniqueAgency('KZ');
    const orderId = await executedRequestFor(service, token, partnerAgency, [itemId]);
    const conditions = 'Yalnız 15 saylı iş üçün / только по делу № 15 / 仅限本案';
    const created = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token,
      json: { recipientAgency: partnerAgency, evidenceIds: [itemId], orderId, conditions },
    });
    expect(created.status, created.text).to.equal(201);
    const response = await fetchPdf('?lang=ru');
    const pdf = await readPdf(this, dir, Buffer.from(await response.arrayBuffer()), 'disclosed.pdf');
    // These lines are long: where they wrap, pdftotext gives a line break for the space.
    const flat = pdf.text.replace(/\s+/g, ' ');
    expect(flat).to.contain('Раскрытия');
    expect(flat).to.contain(`${partnerAgency} (раскрытие ${created.body.disclosure.id})`);
    expect(flat).to.contain(`по постановлению ${orderId}`);
    expect(flat).to.contain(`условия: ${conditions}`);
    expect(flat).to.contain('основание Конвенция ООН против киберпреступности, ст. 44');
    expect(agency).to.equal(service.config.centralAuthority);
  });

  it('when a transfer was never acknowledged, then the Azerbaijani PDF explains the anomaly in words', async function () {
    const transferred = await service.call('POST', `/v1/evidence/${itemId}/events`, {
      token,
      json: {
        type: 'custody.transferred',
        purpose: 'ekspertiza',
        counterparty: { agency: uniqueAgency('LAB') },
      },
    });
    expect(transferred.status, transferred.text).to.equal(201);
    const response = await fetchPdf('?lang=az');
    const pdf = await readPdf(this, dir, Buffer.from(await response.arrayBuffer()), 'anomaly.pdf');
    const flat = pdf.text.replace(/\s+/g, ' ');
    expect(flat).to.contain(
      `#${transferred.body.entry.seq} ${transferred.body.entry.at}: Qəbul edən tərəfin heç vaxt təsdiqləmədiyi ötürmə (transfer_unacknowledged)`,
    );
  });

  it('when the language is none of az, en and ru, then the answer is 400 INVALID_PARAMETER and no report is issued', async function () {
    const before = await service.call('GET', `/v1/evidence/${itemId}/report`, { token });
    const refused = await fetchPdf('?lang=xx');
    expect(refused.status).to.equal(400);
    const problem = (await refused.json()) as { code: string; errors: Array<{ pointer: string }> };
    expect(problem.code).to.equal('INVALID_PARAMETER');
    expect(problem.errors.map((error) => error.pointer)).to.deep.equal(['/lang']);

    const after = await fetchPdf('?lang=en');
    const pdf = await readPdf(this, dir, Buffer.from(await after.arrayBuffer()), 'after.pdf');
    const jws = await pdf.attachment('report.jws');
    const report = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString()) as CustodyReport;
    const count = (entries: CustodyReport['entries']) =>
      entries.filter(({ entry }) => entry.type === 'report.issued').length;
    expect(count(report.entries)).to.equal(count((before.body.report as CustodyReport).entries) + 1);
  });

  it('when the request asks for Russian in Accept-Language only, then the PDF is in Russian; without either, in REPORT_LANGUAGE', async function () {
    const russian = await fetchPdf('', { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' });
    expect(russian.headers.get('content-language')).to.equal('ru');
    const ru = await readPdf(this, dir, Buffer.from(await russian.arrayBuffer()), 'accept-ru.pdf');
    expect(ru.text).to.contain(FIXED.ru[0]);

    expect(service.config.reportLanguage).to.equal('az');
    const plain = await fetchPdf('');
    expect(plain.headers.get('content-language')).to.equal('az');
    const az = await readPdf(this, dir, Buffer.from(await plain.arrayBuffer()), 'default.pdf');
    expect(az.text).to.contain(FIXED.az[0]);
  });
});
