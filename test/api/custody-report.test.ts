import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { compactVerify, createLocalJWKSet } from 'jose';
import { Client } from 'pg';
import { openBag } from '../../src/reports/bagit';
import type { CustodyReport } from '../../src/reports/custody-report';
import { withScratchDatabase } from '../support/database';
import { executedRequestFor } from '../support/fixtures';
import { requirePdfTools } from '../support/pdf-tools';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const run = promisify(execFile);

/** An item handled by the case's investigator and a lab, with the facts a foreign reader must not learn. */
interface HandledItem {
  readonly service: TestService;
  /** The scratch database's URL (the schema owner's). */
  readonly url: string;
  readonly blobDir: string;
  readonly item: { readonly id: string; readonly sha256: string };
  readonly caseId: string;
  /** The case's lead (investigator and prosecutor of the case's agency). */
  readonly lead: { readonly token: string; readonly sub: string; readonly agency: string };
  /** The lab's custodian, a member of the case, who holds the item at the end. */
  readonly lab: { readonly token: string; readonly sub: string; readonly agency: string };
  /** What is withheld by default (formats.md §1.1) or is the case's own: titles, people, notes, places, reasons. */
  readonly secrets: readonly string[];
  /** The seal number the lab recorded (withheld by default too; a disclosure may choose it). */
  readonly sealNumber: string;
}

/** The text of a PDF as pdftotext reads it, its lines joined; without poppler, skips the test (CI sets INTEROP_REQUIRED=1, so never there). */
async function pdfText(context: Mocha.Context, pdf: Uint8Array): Promise<string> {
  await requirePdfTools(context);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'custody-pdf-'));
  try {
    const file = path.join(dir, 'report.pdf');
    await writeFile(file, pdf);
    await run('qpdf', ['--check', file]);
    // One space for every run of white space: where a line wraps depends on the lengths of the names in it.
    return (await run('pdftotext', ['-layout', file, '-'])).stdout.replace(/\s+/g, ' ');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Asserts that every disclosure of every report entry matches its entry (formats.md §1.1). */
function expectDisclosuresVerify(report: CustodyReport): void {
  for (const view of report.entries) expect(() => revealed(view), `entry ${view.index}`).not.to.throw();
}

/** Everything a reader of the report can read in it: its JSON, and the values its disclosures reveal. */
function readableText(report: CustodyReport): string {
  const revealedFields = report.entries.map((view) => {
    const { actor, data } = revealed(view);
    return { actor, data };
  });
  return JSON.stringify({ report, revealedFields });
}

const ofType = (report: CustodyReport, type: string) => {
  const found = report.entries.find(({ entry }) => entry.type === type);
  if (!found) throw new Error(`no ${type} entry in the report`);
  return found;
};

describe('court custody reports (JSON and PDF)', function () {
  this.timeout(60_000);

  /**
   * A service on its own database and store, with one item that was
   * transferred to a lab with notes, received, read, sealed and checked, in a
   * case someone opened by break-glass.
   */
  async function withHandledItem(body: (handled: HandledItem) => Promise<void>) {
    const blobDir = await mkdtemp(path.join(os.tmpdir(), 'custody-report-'));
    try {
      await withScratchDatabase(async (url) => {
        // The case's agency is the central authority: it discloses under the requests it received.
        const agency = uniqueAgency();
        const service = await startTestService({
          DATABASE_URL: url,
          BLOB_DIR: blobDir,
          CENTRAL_AUTHORITY: agency,
          // The fixed texts these tests read are the English ones (report-languages.test.ts reads az and ru).
          REPORT_LANGUAGE: 'en',
        });
        try {
          const leadSub = uniqueSub('alice');
          const token = await service.token(leadSub, agency, 'investigator', 'prosecutor');
          const reference = randomUUID();
          const title = 'Operation Nightjar';
          const caseId = (await service.call('POST', '/v1/cases', { token, json: { reference, title } })).body
            .case.id;
          const intake = {
            exhibitNumber: 'EXHIBIT-0007',
            description: 'Phone extraction of the suspect',
            source: 'iPhone 14 of R. Mammadov',
            acquiredAt: '2026-11-20T09:30:00Z',
            acquiredBy: 'Sgt. Aliyev',
          };
          const form = new FormData();
          form.append('metadata', JSON.stringify(intake));
          form.append('file', new Blob([randomBytes(30_000)]), 'mammadov-extraction.zip');
          const uploaded = (await (
            await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
              method: 'POST',
              headers: { authorization: `Bearer ${token}` },
              body: form,
            })
          ).json()) as { evidence: { id: string; digests: { sha256: string } } };
          const id = uploaded.evidence.id;
          const lab = uniqueAgency('LAB');
          const labSub = uniqueSub('lab');
          const labToken = await service.token(labSub, lab, 'custodian');
          // The lab examines the bytes: a custodian's membership that opens them.
          const labGrant = await service.call('POST', `/v1/cases/${caseId}/grants`, {
            token,
            json: { agency: lab, role: 'custodian', content: true },
          });
          expect(labGrant.status).to.equal(201);
          const notes = 'Informant KESTREL pointed us to this phone';
          const location = 'Evidence room 3, Baku headquarters';
          const event = (as: string, json: Record<string, unknown>) =>
            service.call('POST', `/v1/evidence/${id}/events`, {
              token: as,
              json: { purpose: 'examination', ...json },
            });
          expect(
            (
              await event(token, {
                type: 'custody.transferred',
                counterparty: { agency: lab },
                notes,
                location,
              })
            ).status,
          ).to.equal(201);
          expect((await event(labToken, { type: 'custody.received' })).status).to.equal(201);
          expect(
            (await service.call('GET', `/v1/evidence/${id}/content`, { token: labToken })).status,
          ).to.equal(200);
          const sealNumber = 'LAB-0091';
          expect((await event(labToken, { type: 'custody.sealed', sealNumber })).status).to.equal(201);
          expect(
            (await service.call('POST', `/v1/evidence/${id}/fixity`, { token: labToken })).status,
          ).to.equal(201);
          const dutySub = uniqueSub('duty');
          const reason = 'Kidnapping: the phone may locate the victim now';
          const opened = await service.call('POST', `/v1/cases/${caseId}/break-glass`, {
            token: await service.token(dutySub, agency, 'prosecutor'),
            json: { reason },
          });
          expect(opened.status).to.equal(201);
          await body({
            service,
            url,
            blobDir,
            item: { id, sha256: uploaded.evidence.digests.sha256 },
            caseId,
            lead: { token, sub: leadSub, agency },
            lab: { token: labToken, sub: labSub, agency: lab },
            secrets: [
              title,
              reference,
              ...Object.values(intake).filter((value) => value !== intake.acquiredAt),
              'mammadov-extraction.zip',
              notes,
              location,
              leadSub,
              labSub,
              dutySub,
              reason,
            ],
            sealNumber,
          });
        } finally {
          await service.stop();
        }
      });
    } finally {
      await rm(blobDir, { recursive: true, force: true });
    }
  }

  it('when an item was transferred, read, sealed and checked, then its report verifies, is signed, and is itself in the chain', async () => {
    await withHandledItem(async ({ service, item, lab }) => {
      const response = await service.call('GET', `/v1/evidence/${item.id}/report`, { token: lab.token });
      expect(response.status).to.equal(200);
      const { report, jws } = response.body;
      expect(report.verification.verdict).to.equal('verified');
      expect(
        Object.values(report.verification).filter((v) => typeof v === 'object' && !(v as { ok: boolean }).ok),
      ).to.deep.equal([]);
      expect(report.entries.map((e: { entry: { type: string } }) => e.entry.type)).to.deep.equal([
        'evidence.acquired',
        'custody.transferred',
        'custody.received',
        'evidence.accessed',
        'custody.sealed',
        'integrity.verified',
        'report.issued',
      ]);
      expect(report.anomalies).to.deep.equal([]);
      expect(report.context.case).to.include({ title: 'Operation Nightjar' });
      expect(report.context.orders).to.deep.equal([]);
      const jwks = (await service.call('GET', '/.well-known/jwks.json')).body;
      const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks));
      expect(protectedHeader.typ).to.equal('custody-report+jwt');
      expect(JSON.parse(new TextDecoder().decode(payload))).to.deep.equal(report);
    });
  });

  it('when a member of the case asks, then the report says so and reveals every withheld fact: people, notes, places, the intake, the break-glass reason', async () => {
    await withHandledItem(async ({ service, item, lead, lab, secrets, sealNumber }) => {
      const { report } = (await service.call('GET', `/v1/evidence/${item.id}/report`, { token: lab.token }))
        .body as { report: CustodyReport };
      expect(report.issuedTo).to.deep.equal({ agency: lab.agency, role: 'custodian', as: 'member' });
      expectDisclosuresVerify(report);
      expect(report.entries.every((view) => view.withheld.length === 0)).to.equal(true);
      const transferred = revealed(ofType(report, 'custody.transferred'));
      expect(transferred.entry.v).to.equal(2);
      expect(transferred.actor.sub).to.equal(lead.sub);
      expect(transferred.data).to.include({
        notes: 'Informant KESTREL pointed us to this phone',
        location: 'Evidence room 3, Baku headquarters',
      });
      expect(revealed(ofType(report, 'custody.sealed')).data.sealNumber).to.equal(sealNumber);
      expect(revealed(ofType(report, 'evidence.acquired')).data).to.include({ acquiredBy: 'Sgt. Aliyev' });
      expect(report.item).to.include({ exhibitNumber: 'EXHIBIT-0007', acquiredBy: 'Sgt. Aliyev' });
      expect(report.item.withheld).to.deep.equal([]);
      expect(report.context.withheld).to.deep.equal([]);
      expect(report.context.breakGlass[0]).to.include({
        reason: 'Kidnapping: the phone may locate the victim now',
      });
      const text = readableText(report);
      for (const secret of secrets) expect(text, secret).to.contain(secret);
    });
  });

  it('when a member fetches the PDF, then qpdf finds it well-formed and pdftotext shows the digests, the checkpoint, the people and the notes', async function () {
    await withHandledItem(async ({ service, item, lead, lab }) => {
      const response = await fetch(new URL(`/v1/evidence/${item.id}/report.pdf?lang=en`, service.url), {
        headers: { authorization: `Bearer ${lab.token}` },
      });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('application/pdf');
      const stdout = await pdfText(this, Buffer.from(await response.arrayBuffer()));
      expect(stdout).to.contain(item.sha256);
      expect(stdout).to.contain('VERIFIED');
      expect(stdout).to.contain('custody.sealed');
      expect(stdout).to.contain('npm run --silent verify -- receipt');
      expect(stdout).to.match(/page 1/);
      expect(stdout).to.contain(`Issued to: ${lab.agency} (custodian), a member of the case`);
      expect(stdout).to.contain(`by ${lead.sub} (investigator, ${lead.agency})`);
      expect(stdout).to.contain('Notes: Informant KESTREL pointed us to this phone');
      expect(stdout).not.to.contain('[withheld]');
      const log = (await service.call('GET', '/v1/log/info')).body;
      expect(stdout).to.contain(log.origin);
    });
  });

  it('when a custodian outside the case holds the item, then its report and PDF show every withheld fact as withheld and contain none of them', async function () {
    await withHandledItem(async ({ service, item, caseId, lab, secrets }) => {
      const depot = uniqueAgency('DEP');
      const depotToken = await service.token(uniqueSub('depot'), depot, 'custodian');
      const handOver = (token: string, json: Record<string, unknown>) =>
        service.call('POST', `/v1/evidence/${item.id}/events`, {
          token,
          json: { purpose: 'long-term storage', ...json },
        });
      expect(
        (await handOver(lab.token, { type: 'custody.transferred', counterparty: { agency: depot } })).status,
      ).to.equal(201);
      expect((await handOver(depotToken, { type: 'custody.received' })).status).to.equal(201);

      const response = await service.call('GET', `/v1/evidence/${item.id}/report`, { token: depotToken });
      expect(response.status).to.equal(200);
      const report = response.body.report as CustodyReport;
      expect(report.issuedTo).to.deep.equal({ agency: depot, role: 'custodian', as: 'public' });
      expect(report.verification.verdict).to.equal('verified');
      expect(report.entries.every((view) => view.disclosures.length === 0)).to.equal(true);
      expectDisclosuresVerify(report);
      expect(ofType(report, 'custody.transferred').withheld).to.include.members([
        'actor.sub',
        'data.notes',
        'data.location',
        'data.counterparty',
      ]);
      expect(report.item).to.include({ id: item.id, size: 30_000 });
      expect(report.item.digests?.sha256).to.equal(item.sha256);
      expect(report.item.withheld).to.include.members([
        'caseId',
        'exhibitNumber',
        'description',
        'source',
        'acquiredBy',
        'originalFilename',
        'createdBy',
        'custody',
      ]);
      expect(report.item).not.to.have.any.keys('exhibitNumber', 'caseId', 'createdBy', 'custody');
      expect(report.context).not.to.have.property('case');
      expect(report.context.withheld).to.deep.equal(['case', 'orders']);
      expect(report.context.breakGlass).to.have.length(1);
      expect(report.context.breakGlass[0]).to.include({ role: 'prosecutor' });
      expect(report.context.breakGlass[0]?.withheld).to.deep.equal(['sub', 'reason']);
      expect(report.context.breakGlass[0]).not.to.have.any.keys('sub', 'reason');
      const text = readableText(report);
      for (const secret of [...secrets, caseId]) expect(text, secret).not.to.contain(secret);

      const pdf = await fetch(new URL(`/v1/evidence/${item.id}/report.pdf?lang=en`, service.url), {
        headers: { authorization: `Bearer ${depotToken}` },
      });
      const stdout = await pdfText(this, Buffer.from(await pdf.arrayBuffer()));
      for (const secret of secrets) expect(stdout, secret).not.to.contain(secret);
      expect(stdout).to.contain(`Issued to: ${depot} (custodian), outside the case`);
      expect(stdout).to.contain(`by [withheld] (custodian, ${lab.agency})`);
      expect(stdout).to.contain('Notes: [withheld]');
      expect(stdout).to.contain(item.sha256);
    });
  });

  it('when a partner downloads what was disclosed to it, then each report, its PDF and the CASE graph hold only the facts chosen for it, and its own hand-over in full', async function () {
    await withHandledItem(async ({ service, item, caseId, lead, lab, secrets, sealNumber }) => {
      const partnerAgency = uniqueAgency('DE');
      const conditions = 'Speciality: use only in proceedings 4711';
      const created = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: lead.token,
        json: {
          recipientAgency: partnerAgency,
          evidenceIds: [item.id],
          orderId: await executedRequestFor(service, lead.token, partnerAgency, [item.id]),
          conditions,
          facts: ['sealNumber'],
        },
      });
      expect(created.status, created.text).to.equal(201);
      const disclosureId = created.body.disclosure.id;
      const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
      const response = await fetch(new URL(`/v1/disclosures/${disclosureId}/package`, service.url), {
        headers: { authorization: `Bearer ${partner}` },
      });
      expect(response.status).to.equal(200);
      const dir = await mkdtemp(path.join(os.tmpdir(), 'custody-package-'));
      try {
        const file = path.join(dir, 'package.zip');
        await writeFile(file, Buffer.from(await response.arrayBuffer()));
        const bag = await openBag(file);
        try {
          const json = (await bag.read(`reports/${item.id}.json`)).toString();
          const report = JSON.parse(json) as CustodyReport;
          expect(report.issuedTo).to.deep.equal({
            agency: partnerAgency,
            role: 'partner',
            as: 'recipient',
            disclosure: disclosureId,
          });
          expect(report.verification.verdict).to.equal('verified');
          expectDisclosuresVerify(report);
          // The chosen fact is revealed; the people, notes and places are not.
          expect(revealed(ofType(report, 'custody.sealed')).data.sealNumber).to.equal(sealNumber);
          const transferred = ofType(report, 'custody.transferred');
          expect(transferred.withheld).to.include.members(['actor.sub', 'data.notes', 'data.location']);
          expect(revealed(transferred).actor).not.to.have.property('sub');
          // Its own hand-over, recorded once and in full: the disclosure with its conditions, citing its request.
          const handOvers = report.entries.filter((e) => e.entry.type === 'evidence.disclosed').map(revealed);
          expect(handOvers).to.have.length(1);
          expect(handOvers.map((h) => h.data.conditions)).to.deep.include(conditions);
          expect(handOvers.every((h) => h.withheld === 1)).to.equal(true);
          expect(report.item.withheld).to.include.members(['exhibitNumber', 'description', 'acquiredBy']);
          expect(report.context).not.to.have.property('case');
          expect(report.context.breakGlass[0]?.withheld).to.deep.equal(['sub', 'reason']);
          for (const secret of [...secrets, caseId])
            expect(readableText(report), secret).not.to.contain(secret);

          const stdout = await pdfText(this, await bag.read(`reports/${item.id}.pdf`));
          for (const secret of secrets) expect(stdout, secret).not.to.contain(secret);
          expect(stdout).to.contain(`as the recipient of disclosure ${disclosureId}`);
          // The package's PDF renders the package's signed report: page 1 names its SHA-256.
          const signed = (await bag.read(`reports/${item.id}.jws`)).toString().trim();
          expect(stdout).to.contain(createHash('sha256').update(signed).digest('hex'));
          expect(stdout).to.contain(`Seal number: ${sealNumber}`);
          expect(stdout).to.contain('Notes: [withheld]');

          const graph = (await bag.read('custody.jsonld')).toString();
          for (const secret of secrets) expect(graph, secret).not.to.contain(secret);
          const nodes = JSON.parse(graph)['@graph'] as Array<Record<string, unknown>>;
          const performers = new Set<unknown>(
            nodes
              .filter((node) => node['uco-action:performer'])
              .map((node) => (node['uco-action:performer'] as { '@id': string })['@id']),
          );
          const identities = nodes.filter((node) => performers.has(node['@id']));
          expect(identities).to.have.length(performers.size);
          expect(identities.map((node) => node['@type'])).to.satisfy((types: string[]) =>
            types.every((type) => type === 'uco-identity:Identity'),
          );
          expect(identities.map((node) => node['uco-core:name'])).to.include(`custodian, ${lab.agency}`);
        } finally {
          bag.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  it('when the stored bytes were changed on disk, then the report says the integrity check failed', async () => {
    await withHandledItem(async ({ service, item, lab, blobDir }) => {
      const file = path.join(
        blobDir,
        'sha256',
        item.sha256.slice(0, 2),
        item.sha256.slice(2, 4),
        item.sha256,
      );
      await chmod(file, 0o600);
      await writeFile(file, randomBytes(30_000));
      const { report } = (await service.call('GET', `/v1/evidence/${item.id}/report`, { token: lab.token }))
        .body;
      expect(report.verification.verdict).to.equal('failed');
      expect(report.verification.bytes.ok).to.equal(false);
      expect(report.verification.chain.ok).to.equal(true);
    });
  });

  it('when a log row was changed in the database, then the report says the chain failed', async () => {
    await withHandledItem(async ({ service, url, item, lab }) => {
      const admin = new Client({ connectionString: url });
      await admin.connect();
      await admin.query('ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only');
      await admin.query(
        `UPDATE log_entries SET leaf_data = convert_to(replace(convert_from(leaf_data, 'UTF8'), 'custody.sealed', 'custody.unsealed'), 'UTF8')
          WHERE subject_id = $1 AND entry_type = 'custody.sealed'`,
        [item.id],
      );
      await admin.end();
      const { report } = (await service.call('GET', `/v1/evidence/${item.id}/report`, { token: lab.token }))
        .body;
      expect(report.verification.verdict).to.equal('failed');
      expect(report.verification.chain.ok).to.equal(false);
      expect(report.verification.bytes.ok).to.equal(true);
    });
  });

  it('when a stored disclosure was swapped for another entry’s, then the report says the chain failed and gives that entry no disclosure', async () => {
    await withHandledItem(async ({ service, url, item, lab }) => {
      const { report: before } = (
        await service.call('GET', `/v1/evidence/${item.id}/report`, { token: lab.token })
      ).body as { report: CustodyReport };
      const sealed = ofType(before, 'custody.sealed');
      const received = ofType(before, 'custody.received');
      const admin = new Client({ connectionString: url });
      await admin.connect();
      await admin.query('ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only');
      await admin.query(
        `UPDATE log_entries e SET disclosures = (
           SELECT jsonb_agg(CASE WHEN d->>'name' = 'purpose'
                                 THEN (SELECT r FROM log_entries o, jsonb_array_elements(o.disclosures) r
                                        WHERE o.idx = $2 AND r->>'name' = 'purpose')
                                 ELSE d END)
             FROM jsonb_array_elements(e.disclosures) d)
          WHERE idx = $1`,
        [sealed.index, received.index],
      );
      await admin.end();
      const { report } = (await service.call('GET', `/v1/evidence/${item.id}/report`, { token: lab.token }))
        .body as { report: CustodyReport };
      expect(report.verification.verdict).to.equal('failed');
      expect(report.verification.chain.ok).to.equal(false);
      expect(report.verification.chain.detail).to.contain('DISCLOSURE_UNMATCHED');
      const tampered = ofType(report, 'custody.sealed');
      expect(tampered.disclosures).to.deep.equal([]);
      expect(tampered.withheld).to.include.members(['actor.sub', 'data.purpose', 'data.sealNumber']);
      expectDisclosuresVerify(report);
    });
  });
});

describe('the orders a custody report names', function () {
  this.timeout(60_000);
  let service: TestService;
  const agency = uniqueAgency('SSS');
  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: agency });
  });
  after(async () => {
    await service.stop();
  });

  it('when an item is linked to a confidential order, then the report names it only to those who know of the order (Budapest Art. 27(8)), and an ordinary order to every member', async () => {
    const creatorSub = uniqueSub('pros');
    const creator = await service.token(creatorSub, agency, 'prosecutor', 'investigator');
    const colleagueSub = uniqueSub('pros');
    const colleague = await service.token(colleagueSub, agency, 'prosecutor');
    const auditor = await service.token(uniqueSub('audit'), agency, 'auditor');
    const caseId = (
      await service.call('POST', '/v1/cases', {
        token: creator,
        json: { reference: randomUUID(), title: 'T' },
      })
    ).body.case.id;
    const granted = await service.call('POST', `/v1/cases/${caseId}/grants`, {
      token: creator,
      json: { sub: colleagueSub, agency, role: 'prosecutor' },
    });
    expect(granted.status, granted.text).to.equal(201);
    const form = new FormData();
    form.append(
      'metadata',
      JSON.stringify({
        exhibitNumber: 'EX-C',
        description: 'Server logs',
        source: 'AzerHost',
        acquiredAt: '2026-11-20T09:30:00Z',
        acquiredBy: 'desk',
      }),
    );
    form.append('file', new Blob([randomBytes(2000)]), 'logs.bin');
    const itemId = (
      (await (
        await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${creator}` },
          body: form,
        })
      ).json()) as { evidence: { id: string } }
    ).evidence.id;
    const order = async (confidential: boolean) => {
      const submitted = await service.call('POST', '/v1/orders', {
        token: creator,
        json: {
          kind: 'preservation',
          direction: 'domestic',
          legalBasis: { instrument: 'DOMESTIC', article: '25' },
          caseId,
          requestingAuthority: 'Prosecutor General',
          channel: 'direct',
          dataToPreserve: 'Logs of host 203.0.113.7',
          custodian: 'AzerHost LLC',
          confidential,
        },
      });
      expect(submitted.status, submitted.text).to.equal(201);
      const id = submitted.body.order.id as string;
      const linked = await service.call('POST', `/v1/orders/${id}/evidence`, {
        token: creator,
        json: { evidenceId: itemId },
      });
      expect(linked.status, linked.text).to.equal(201);
      return id;
    };
    const open = await order(false);
    const secret = await order(true);
    const named = async (token: string) => {
      const read = await service.call('GET', `/v1/evidence/${itemId}/report`, { token });
      expect(read.status, read.text).to.equal(200);
      return (read.body.report as CustodyReport).context.orders.map((o) => o.id);
    };
    expect(await named(creator)).to.have.members([open, secret]);
    expect(await named(auditor)).to.have.members([open, secret]);
    expect(await named(colleague)).to.deep.equal([open]);
  });
});
