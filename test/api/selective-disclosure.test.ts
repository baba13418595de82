import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { revealFields } from '../../src/ledger';
import { openBag } from '../../src/reports/bagit';
import { executedRequestFor, productionOrderBody } from '../support/fixtures';
import { runScript } from '../support/script';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/**
 * The reviewers' scenario: an item disclosed first to US-FBI under "FBI-only"
 * conditions, then to DE-BKA. DE-BKA's package proves the item's whole chain
 * but holds none of what was never disclosed to it; the prosecutor's own
 * report of the same item shows all of it.
 */
describe('selective disclosure: partners see the whole chain, but only the disclosed facts', function () {
  this.timeout(120_000);
  let service: TestService;
  let dir: string;
  /** The central authority: it receives the partners' requests and discloses under them. */
  const central = uniqueAgency('AZSSS');
  before(async () => {
    service = await startTestService({ CENTRAL_AUTHORITY: central });
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-selective-'));
  });
  after(async () => {
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Everything DE-BKA must not learn, each string unique to this run. */
  interface Secrets {
    readonly caseTitle: string;
    readonly caseReference: string;
    readonly internalNote: string;
    readonly fbiAgency: string;
    readonly fbiConditions: string;
    readonly safeguard: string;
    readonly people: readonly string[];
  }

  async function scenario() {
    const run = randomUUID().slice(0, 8);
    const agency = central;
    const prosecutorSub = uniqueSub('prosecutor.aliyeva');
    const investigatorSub = uniqueSub('investigator.mammadov');
    const prosecutor = await service.token(prosecutorSub, agency, 'prosecutor', 'investigator');
    const investigator = await service.token(investigatorSub, agency, 'investigator');
    const secrets = {
      caseTitle: `Operation Nightjar ${run}`,
      caseReference: `AZ-SECRET-${run}`,
      internalNote: `INTERNAL informant CI-7 ${run}`,
      fbiAgency: uniqueAgency('USFBI'),
      fbiConditions: `FBI-only: no onward transfer ${run}`,
      safeguard: `Speciality: proceedings ${run} only`,
      people: [prosecutorSub, investigatorSub, `Analyst Huseynov ${run}`],
    };
    const opened = await service.call('POST', '/v1/cases', {
      token: prosecutor,
      json: { reference: secrets.caseReference, title: secrets.caseTitle },
    });
    expect(opened.status, opened.text).to.equal(201);
    const caseId = opened.body.case.id as string;
    const granted = await service.call('POST', `/v1/cases/${caseId}/grants`, {
      token: prosecutor,
      json: { sub: investigatorSub, agency, role: 'investigator', content: true },
    });
    expect(granted.status, granted.text).to.equal(201);

    const form = new FormData();
    form.append(
      'metadata',
      JSON.stringify({
        exhibitNumber: `EX-${run}`,
        description: `Seized phone of ${secrets.people[2]}`,
        source: 'Search at Nizami st.',
        acquiredAt: '2026-11-20T09:30:00Z',
        acquiredBy: secrets.people[2],
      }),
    );
    const bytes = randomBytes(20_000);
    form.append('file', new Blob([bytes]), `phone-${run}.img`);
    const uploaded = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${investigator}` },
      body: form,
    });
    expect(uploaded.status).to.equal(201);
    const itemId = ((await uploaded.json()) as { evidence: { id: string } }).evidence.id;

    const analysed = await service.call('POST', `/v1/evidence/${itemId}/events`, {
      token: investigator,
      json: { type: 'custody.analysed', purpose: 'Extraction', notes: secrets.internalNote },
    });
    expect(analysed.status, analysed.text).to.equal(201);
    const read = await service.call('GET', `/v1/evidence/${itemId}/content`, { token: investigator });
    expect(read.status).to.equal(200);

    const order = await service.call('POST', '/v1/orders', {
      token: prosecutor,
      json: { ...productionOrderBody(caseId), specialityConditions: secrets.safeguard },
    });
    expect(order.status, order.text).to.equal(201);
    const linked = await service.call('POST', `/v1/orders/${order.body.order.id}/evidence`, {
      token: prosecutor,
      json: { evidenceId: itemId },
    });
    expect(linked.status, linked.text).to.equal(201);

    const toFbi = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json: {
        recipientAgency: secrets.fbiAgency,
        evidenceIds: [itemId],
        orderId: await executedRequestFor(service, prosecutor, secrets.fbiAgency, [itemId]),
        conditions: secrets.fbiConditions,
      },
    });
    expect(toFbi.status, toFbi.text).to.equal(201);
    // US-FBI fetches its package first: nothing of that may reach a later recipient either.
    const fbi = await service.token(uniqueSub('fbi.agent'), secrets.fbiAgency, 'partner');
    const fetched = await fetch(new URL(`/v1/disclosures/${toFbi.body.disclosure.id}/package`, service.url), {
      headers: { authorization: `Bearer ${fbi}` },
    });
    expect(fetched.status).to.equal(200);
    await fetched.arrayBuffer();
    const bkaAgency = uniqueAgency('DEBKA');
    const bkaConditions = `Use in proceedings of DE-BKA ${run} only`;
    const bkaOrder = await executedRequestFor(service, prosecutor, bkaAgency, [itemId]);
    const toBka = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json: {
        recipientAgency: bkaAgency,
        evidenceIds: [itemId],
        orderId: bkaOrder,
        conditions: bkaConditions,
      },
    });
    expect(toBka.status, toBka.text).to.equal(201);
    return {
      secrets: secrets as Secrets,
      prosecutor,
      itemId,
      bkaAgency,
      bkaConditions,
      bkaOrder,
      bkaDisclosure: toBka.body.disclosure.id as string,
    };
  }

  /** Every file of a package as text, by name. */
  async function packageFiles(file: string): Promise<Map<string, string>> {
    const bag = await openBag(file);
    try {
      const files = new Map<string, string>();
      for (const name of bag.files.keys()) files.set(name, (await bag.read(name)).toString('latin1'));
      return files;
    } finally {
      bag.close();
    }
  }

  /**
   * Everything a reader of the package can read, outside the evidence bytes:
   * each tag file as text, each disclosure decoded (they travel as base64url),
   * and the text of each PDF as pdftotext extracts it.
   */
  async function readableText(files: Map<string, string>): Promise<string> {
    const parts: string[] = [];
    for (const [name, text] of files) {
      if (name.startsWith('data/')) continue;
      parts.push(text);
      if (name.endsWith('.pdf')) parts.push(await pdfToText(files, name));
      if (name.startsWith('disclosures/'))
        for (const disclosure of JSON.parse(text) as string[])
          parts.push(Buffer.from(disclosure, 'base64url').toString('utf8'));
    }
    return parts.join('\n');
  }

  it('when DE-BKA fetches its package, then it verifies offline with the whole chain and holds nothing that was not disclosed to it, while the prosecutor’s own report shows all of it', async () => {
    const { secrets, prosecutor, itemId, bkaAgency, bkaConditions, bkaOrder, bkaDisclosure } =
      await scenario();
    const partner = await service.token(uniqueSub('bka.officer'), bkaAgency, 'partner');
    const response = await fetch(new URL(`/v1/disclosures/${bkaDisclosure}/package`, service.url), {
      headers: { authorization: `Bearer ${partner}` },
    });
    expect(response.status).to.equal(200);
    const file = path.join(dir, 'bka.zip');
    await writeFile(file, Buffer.from(await response.arrayBuffer()));

    const vkey = (await service.call('GET', '/v1/log/info')).body.vkey;
    const verified = await runScript('verify', ['package', file, '--vkey', vkey]);
    expect(verified.code, verified.stdout).to.equal(0);
    expect(verified.stdout).not.to.match(/^FAIL/m);

    const files = await packageFiles(file);
    const forbidden = [
      secrets.caseTitle,
      secrets.caseReference,
      secrets.internalNote,
      secrets.fbiAgency,
      secrets.fbiConditions,
      secrets.safeguard,
      ...secrets.people,
    ];
    const readable = await readableText(files);
    for (const secret of forbidden) expect(readable, `the package holds "${secret}"`).not.to.include(secret);
    // What it was given reads as such: its own conditions, decoded from their disclosure.
    expect(readable).to.include(bkaConditions);

    // The whole chain is there: one receipt per entry of the item, and its own conditions are disclosed to it.
    const report = JSON.parse(files.get(`reports/${itemId}.json`) as string);
    const receipts = [...files.keys()].filter((name) => name.startsWith('receipts/'));
    expect(receipts.length).to.be.at.least(report.entries.length);
    const seqs = report.entries.map((e: { entry: { seq: number } }) => e.entry.seq);
    expect(seqs).to.deep.equal(seqs.map((_: number, i: number) => i + 1));
    const handOvers = report.entries.filter(
      (e: { entry: { type: string } }) => e.entry.type === 'evidence.disclosed',
    );
    // One per hand-over: the disclosure to each recipient, citing the order that authorises it.
    expect(handOvers).to.have.length(2);
    const revealedToBka = handOvers.map((e: { entry: never; disclosures: string[] }) =>
      revealFields(e.entry, e.disclosures),
    );
    // Its own is shown to it (the order it requested, and its conditions); the other one is not.
    const shown = revealedToBka.filter((r: { data: object }) => Object.keys(r.data).length > 0);
    expect(shown.map((r: { data: { order?: string } }) => r.data.order)).to.deep.equal([bkaOrder]);
    expect(shown.map((r: { data: { disclosure?: string } }) => r.data.disclosure)).to.deep.equal([
      bkaDisclosure,
    ]);
    expect(
      shown.some((r: { data: { conditions?: unknown } }) => r.data.conditions === bkaConditions),
    ).to.equal(true);
    for (const { index, disclosures } of report.entries) {
      const name = `disclosures/${index}.json`;
      expect(JSON.parse(files.get(name) as string), name).to.deep.equal(disclosures);
    }

    // The prosecutor's own report of the same item shows every one of them.
    const own = await service.call('GET', `/v1/evidence/${itemId}/report`, { token: prosecutor });
    expect(own.status).to.equal(200);
    const revealed = JSON.stringify(
      own.body.report.entries.map((e: { entry: never; disclosures: string[] }) =>
        revealFields(e.entry, e.disclosures),
      ),
    );
    const ownText = `${revealed}\n${JSON.stringify(own.body.report.context)}`;
    for (const secret of [
      secrets.internalNote,
      secrets.fbiAgency,
      secrets.fbiConditions,
      secrets.safeguard,
      ...secrets.people,
    ])
      expect(ownText, secret).to.include(secret);
    expect(ownText).to.include(secrets.caseTitle);
    expect(ownText).to.include(secrets.caseReference);
  });

  it('when a disclosure names facts, then its recipient receives exactly those on every entry, and nothing of other recipients', async () => {
    const { secrets, prosecutor, itemId } = await scenario();
    const caseId = (await service.call('GET', `/v1/evidence/${itemId}`, { token: prosecutor })).body.evidence
      .caseId;
    const lab = uniqueAgency('NL');
    const created = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
      token: prosecutor,
      json: {
        recipientAgency: lab,
        evidenceIds: [itemId],
        orderId: await executedRequestFor(service, prosecutor, lab, [itemId]),
        facts: ['notes', 'actor.sub', 'exhibitNumber'],
      },
    });
    expect(created.status, created.text).to.equal(201);
    expect(created.body.disclosure.facts).to.deep.equal(['notes', 'actor.sub', 'exhibitNumber']);
    const partner = await service.token(uniqueSub('nl.officer'), lab, 'partner');
    const asRecipient = await service.call('GET', `/v1/disclosures/${created.body.disclosure.id}`, {
      token: partner,
    });
    expect(asRecipient.status).to.equal(200);
    expect(asRecipient.body.disclosure).not.to.have.property('caseId');
    expect(asRecipient.body.disclosure).not.to.have.property('createdBy');

    const response = await fetch(
      new URL(`/v1/disclosures/${created.body.disclosure.id}/package`, service.url),
      {
        headers: { authorization: `Bearer ${partner}` },
      },
    );
    const file = path.join(dir, 'nl.zip');
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    const files = await packageFiles(file);
    const all = await readableText(files);
    expect(all).to.include(secrets.internalNote);
    expect(all).to.include(secrets.people[1]);
    expect(all).not.to.include(secrets.caseTitle);
    expect(all).not.to.include(secrets.fbiConditions);
    expect(all).not.to.include(secrets.fbiAgency);
    expect(
      [...files.keys()].some((name) => /^data\/EX-[0-9a-f]{8}-[0-9a-f-]{36}\/content\.bin$/.test(name)),
    ).to.equal(true);
  });

  it('when the facts name something that is not a disclosable fact, then the disclosure is refused and nothing is recorded', async () => {
    const { prosecutor, itemId } = await scenario();
    const caseId = (await service.call('GET', `/v1/evidence/${itemId}`, { token: prosecutor })).body.evidence
      .caseId;
    const before = (await service.call('GET', `/v1/evidence/${itemId}/chain`, { token: prosecutor })).body
      .entries.length;
    for (const facts of [['conditions'], ['notes', 'notes'], 'notes']) {
      const refused = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: prosecutor,
        json: { recipientAgency: uniqueAgency('XX'), evidenceIds: [itemId], facts },
      });
      expect(refused.status, JSON.stringify(facts)).to.equal(422);
      expect(refused.body.code).to.equal('VALIDATION_FAILED');
    }
    const after = (await service.call('GET', `/v1/evidence/${itemId}/chain`, { token: prosecutor })).body
      .entries;
    // Reading the chain is audited on the audit chain, not the item's: the item's chain did not grow.
    expect(after.length).to.equal(before);
  });
});

/** The text of a PDF in the package, as `pdftotext` extracts it, its lines joined. */
async function pdfToText(files: Map<string, string>, name: string): Promise<string> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'custody-pdf-'));
  try {
    const pdf = path.join(tmp, 'report.pdf');
    await writeFile(pdf, Buffer.from(files.get(name) as string, 'latin1'));
    const { stdout } = await promisify(execFile)('pdftotext', ['-enc', 'UTF-8', pdf, '-']);
    // Lines joined: a withheld fact that wraps across two lines must still be found.
    return stdout.replace(/\s+/g, ' ');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
