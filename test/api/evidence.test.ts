import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { type LogEntry, parseVerifierKey, verifyChain } from '../../src/ledger';
import { verifyReceipt } from '../../src/verify';
import { testDatabase } from '../support/database';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const run = promisify(execFile);

function metadata(overrides: Record<string, unknown> = {}) {
  return {
    exhibitNumber: `EX-${randomUUID().slice(0, 8)}`,
    description: 'Forensic image of the seized laptop drive',
    source: 'Dell Latitude 7420, S/N 4KX9Q3',
    acquiredAt: '2026-11-20T09:30:00.000Z',
    acquiredBy: 'Sgt. R. Mammadov',
    acquisitionTool: 'FTK Imager 4.7',
    ...overrides,
  };
}

describe('evidence intake, custody and access', () => {
  let service: TestService;
  let agency: string;
  let investigatorSub: string;
  let investigator: string;
  let caseId: string;
  let blobDir: string;

  before(async () => {
    blobDir = await mkdtemp(path.join(os.tmpdir(), 'custody-blobs-'));
    service = await startTestService({ BLOB_DIR: blobDir, EVIDENCE_MAX_BYTES: String(4 * 1024 * 1024) });
  });
  after(async () => {
    await service.stop();
    await rm(blobDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    agency = uniqueAgency();
    investigatorSub = uniqueSub('alice');
    investigator = await service.token(investigatorSub, agency, 'investigator');
    const opened = await service.call('POST', '/v1/cases', {
      token: investigator,
      json: { reference: `C-${randomUUID()}`, title: 'Fraud' },
    });
    caseId = opened.body.case.id;
  });

  /** A new principal of the case's agency, made a member of the case in `role`; its token. */
  async function member(role: 'custodian' | 'court' | 'prosecutor' | 'auditor', content?: boolean) {
    const sub = uniqueSub(role);
    const granted = await service.call('POST', `/v1/cases/${caseId}/grants`, {
      token: investigator,
      json: { agency, sub, role, ...(content === undefined ? {} : { content }) },
    });
    expect(granted.status, granted.text).to.equal(201);
    return service.token(sub, agency, role);
  }

  async function upload(
    bytes: Uint8Array,
    meta: Record<string, unknown> = metadata(),
    options: { token?: string; fileFirst?: boolean; trailingSha256?: string; into?: string } = {},
  ) {
    const form = new FormData();
    const file = new Blob([bytes], { type: 'application/octet-stream' });
    if (options.fileFirst) form.append('file', file, 'disk.dd');
    form.append('metadata', JSON.stringify(meta));
    if (!options.fileFirst) form.append('file', file, 'disk.dd');
    if (options.trailingSha256) form.append('sha256', options.trailingSha256);
    const response = await fetch(new URL(`/v1/cases/${options.into ?? caseId}/evidence`, service.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token ?? investigator}` },
      body: form,
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text), headers: response.headers };
  }

  /** Everything an upload could leave behind, to compare before and after a failure. */
  async function footprint() {
    const rows = await testDatabase().db.query('SELECT count(*)::int AS n FROM evidence');
    // Refusals are recorded (audit entries); what must not remain is any entry of the refused change.
    const entries = await testDatabase().db.query(
      "SELECT count(*)::int AS n FROM log_entries WHERE subject_type <> 'audit'",
    );
    const size = entries[0].n;
    const staging = await readdir(path.join(blobDir, 'staging'));
    const blobs = await listBlobs();
    return { rows: rows[0].n, size, staging, blobs };
  }

  async function listBlobs(): Promise<string[]> {
    const base = path.join(blobDir, 'sha256');
    const found: string[] = [];
    for (const a of await readdir(base))
      for (const b of await readdir(path.join(base, a)))
        found.push(...(await readdir(path.join(base, a, b))));
    return found.sort();
  }

  async function expectNothingLeft(before: Awaited<ReturnType<typeof footprint>>) {
    // Clean-up after an aborted request may finish just after the response; give it a moment.
    for (let i = 0; i < 40 && JSON.stringify(await footprint()) !== JSON.stringify(before); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await footprint()).to.deep.equal(before);
  }

  async function trust() {
    const info = (await service.call('GET', '/v1/log/info')).body;
    const jwks = (await service.call('GET', '/.well-known/jwks.json')).body;
    return { jwks, logKey: parseVerifierKey(info.vkey) };
  }

  it('when a file is uploaded, then its digests equal sha256sum and sha512sum of the same bytes and its receipt verifies', async () => {
    const bytes = randomBytes(1024 * 1024 + 17);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'custody-upload-'));
    try {
      await writeFile(path.join(dir, 'disk.dd'), bytes);
      const [sha256sum, sha512sum] = await Promise.all(
        ['sha256sum', 'sha512sum'].map(
          async (tool) => (await run(tool, [path.join(dir, 'disk.dd')])).stdout.split(' ')[0],
        ),
      );
      const response = await upload(bytes, metadata({ sealNumber: 'SEAL-0042' }));
      expect(response.status).to.equal(201);
      const evidence = response.body.evidence;
      expect(evidence.digests).to.deep.include({
        sha256: sha256sum,
        sha512: sha512sum,
        md5: null,
        sha1: null,
      });
      expect(evidence.size).to.equal(bytes.length);
      expect(evidence.originalFilename).to.equal('disk.dd');
      expect(evidence.custody).to.deep.include({
        status: 'in_custody',
        holder: { agency, sub: investigatorSub },
        sealed: true,
      });
      const result = await verifyReceipt(response.body.receipt, await trust());
      expect(result.valid).to.equal(true);
      expect(result.payload?.entry).to.deep.include({ type: 'evidence.acquired', seq: 1, prev: null });
      expect(result.payload?.entry.data).to.deep.include({
        sha256: sha256sum,
        sha512: sha512sum,
        size: bytes.length,
      });
      expect(await listBlobs()).to.include(sha256sum);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when a case’s items are listed, then members read them newest first a page at a time, and the case is absent to anyone else', async () => {
    const uploaded: string[] = [];
    for (const exhibitNumber of ['EX-1', 'EX-2', 'EX-3']) {
      const { status, body } = await upload(randomBytes(200), metadata({ exhibitNumber }));
      expect(status).to.equal(201);
      uploaded.push(body.evidence.id);
    }
    const court = await member('court');
    for (const token of [investigator, court]) {
      const first = await service.call('GET', `/v1/cases/${caseId}/evidence?limit=2`, { token });
      expect(first.status, first.text).to.equal(200);
      expect(first.body.items.map((item: { exhibitNumber: string }) => item.exhibitNumber)).to.deep.equal([
        'EX-3',
        'EX-2',
      ]);
      const rest = await service.call(
        'GET',
        `/v1/cases/${caseId}/evidence?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
        { token },
      );
      expect(rest.body.items.map((item: { id: string }) => item.id)).to.deep.equal([uploaded[0]]);
      expect(rest.body.nextCursor).to.equal(null);
    }

    const stranger = await service.token(uniqueSub('eve'), uniqueAgency(), 'investigator');
    const outside = await service.call('GET', `/v1/cases/${caseId}/evidence`, { token: stranger });
    const absent = await service.call('GET', `/v1/cases/${randomUUID()}/evidence`, { token: stranger });
    expect(outside.status).to.equal(404);
    expect({ ...outside.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });
    const badCursor = await service.call('GET', `/v1/cases/${caseId}/evidence?cursor=nonsense`, {
      token: investigator,
    });
    expect([badCursor.status, badCursor.body.code, badCursor.body.errors[0].pointer]).to.deep.equal([
      400,
      'INVALID_PARAMETER',
      '/cursor',
    ]);
    const tooMany = await service.call('GET', `/v1/cases/${caseId}/evidence?limit=1000`, {
      token: investigator,
    });
    expect([tooMany.status, tooMany.body.code]).to.deep.equal([400, 'INVALID_PARAMETER']);
  });

  it('when a chain is read with its receipts, then every entry comes with a receipt that proves exactly it, all under one checkpoint', async () => {
    const { body } = await upload(randomBytes(300), metadata());
    const id = body.evidence.id as string;
    for (const type of ['custody.sealed', 'custody.analysed']) {
      const recorded = await service.call('POST', `/v1/evidence/${id}/events`, {
        token: investigator,
        json: { type, purpose: 'for the chain', ...(type === 'custody.sealed' ? { sealNumber: 'S-1' } : {}) },
      });
      expect(recorded.status, recorded.text).to.equal(201);
    }
    const read = await service.call('GET', `/v1/evidence/${id}/chain?receipts=true`, { token: investigator });
    expect(read.status, read.text).to.equal(200);
    const trust = {
      jwks: (await service.call('GET', '/.well-known/jwks.json')).body,
      logKey: parseVerifierKey((await service.call('GET', '/v1/log/info')).body.vkey),
    };
    const entries = read.body.entries as { index: number; leafHash: string; receipt: string }[];
    expect(entries).to.have.length(3);
    const checkpoints = new Set<number>();
    for (const entry of entries) {
      const verified = verifyReceipt(entry.receipt, trust);
      expect(verified.valid, verified.detail).to.equal(true);
      expect(verified.proven?.index).to.equal(entry.index);
      expect(Buffer.from(verified.proven?.leafHash ?? []).toString('base64')).to.equal(entry.leafHash);
      checkpoints.add(verified.treeSize ?? -1);
    }
    expect(checkpoints.size).to.equal(1);
    // Without the flag the chain is as before; anything else is refused.
    const plain = await service.call('GET', `/v1/evidence/${id}/chain`, { token: investigator });
    expect(plain.body.entries.map((entry: object) => Object.keys(entry).includes('receipt'))).to.deep.equal([
      false,
      false,
      false,
    ]);
    const refused = await service.call('GET', `/v1/evidence/${id}/chain?receipts=yes`, {
      token: investigator,
    });
    expect([refused.status, refused.body.code]).to.deep.equal([400, 'INVALID_PARAMETER']);
  });

  it('when the file’s name is written in Azerbaijani, Cyrillic or CJK, then it is recorded exactly as sent', async () => {
    const name = 'şəkil İlqar - Дело № 5 - 诈骗.jpg';
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata()));
    form.append('file', new Blob([randomBytes(100)]), name);
    const response = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${investigator}` },
      body: form,
    });
    expect(response.status).to.equal(201);
    const { evidence } = (await response.json()) as { evidence: { id: string; originalFilename: string } };
    expect(evidence.originalFilename).to.equal(name);
    const read = await service.call('GET', `/v1/evidence/${evidence.id}`, { token: investigator });
    expect(read.body.evidence.originalFilename).to.equal(name);
  });

  it('when legacy digests are asked for and the imaging tool’s hash is given, then both are recorded as separate facts', async () => {
    const bytes = randomBytes(300_000);
    const toolMd5 = createHash('md5').update('the source media').digest('hex');
    const response = await upload(
      bytes,
      metadata({ legacyDigests: true, acquisitionHash: { alg: 'md5', value: toolMd5.toUpperCase() } }),
    );
    expect(response.status).to.equal(201);
    expect(response.body.evidence.digests).to.deep.equal({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sha512: createHash('sha512').update(bytes).digest('hex'),
      md5: createHash('md5').update(bytes).digest('hex'),
      sha1: createHash('sha1').update(bytes).digest('hex'),
    });
    expect(response.body.evidence.acquisitionHash).to.deep.equal({ alg: 'md5', value: toolMd5 });
  });

  it('when the same bytes are uploaded as two exhibits, then they are stored once and each has its own chain', async () => {
    const bytes = randomBytes(50_000);
    const first = await upload(bytes);
    const second = await upload(bytes);
    expect(first.status).to.equal(201);
    expect(second.status).to.equal(201);
    expect(first.body.evidence.id).to.not.equal(second.body.evidence.id);
    const sha = first.body.evidence.digests.sha256;
    expect((await listBlobs()).filter((blob) => blob === sha)).to.have.length(1);
    for (const item of [first, second]) {
      const chain = await service.call('GET', `/v1/evidence/${item.body.evidence.id}/chain`, {
        token: investigator,
      });
      expect(chain.body.entries.map((e: { entry: LogEntry }) => e.entry.type)).to.deep.equal([
        'evidence.acquired',
      ]);
    }
  });

  describe('when an upload fails, nothing is left behind', () => {
    it('when the declared SHA-256 differs, then 422 HASH_MISMATCH', async () => {
      const before = await footprint();
      const response = await upload(randomBytes(10_000), metadata({ sha256: 'a'.repeat(64) }));
      expect(response.status).to.equal(422);
      expect(response.body.code).to.equal('HASH_MISMATCH');
      await expectNothingLeft(before);
    });

    it('when a SHA-256 sent after the file differs, then 422 HASH_MISMATCH', async () => {
      const before = await footprint();
      const response = await upload(randomBytes(10_000), metadata(), { trailingSha256: 'b'.repeat(64) });
      expect(response.body.code).to.equal('HASH_MISMATCH');
      await expectNothingLeft(before);
    });

    it('when the file part comes before the metadata, then 400 UPLOAD_INVALID', async () => {
      const before = await footprint();
      const response = await upload(randomBytes(10_000), metadata(), { fileFirst: true });
      expect(response.status).to.equal(400);
      expect(response.body.code).to.equal('UPLOAD_INVALID');
      await expectNothingLeft(before);
    });

    it('when the metadata breaks the schema, then 422 naming the fields', async () => {
      const before = await footprint();
      const response = await upload(randomBytes(10_000), {
        ...metadata(),
        acquiredAt: 'yesterday',
        colour: 'red',
      });
      expect(response.status).to.equal(422);
      expect(response.body.code).to.equal('VALIDATION_FAILED');
      expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).to.include.members([
        '/acquiredAt',
        '/',
      ]);
      await expectNothingLeft(before);
    });

    it('when the file exceeds the size limit, then 413 PAYLOAD_TOO_LARGE', async () => {
      const before = await footprint();
      const response = await upload(randomBytes(4 * 1024 * 1024 + 1));
      expect(response.status).to.equal(413);
      expect(response.body.code).to.equal('PAYLOAD_TOO_LARGE');
      await expectNothingLeft(before);
    });

    it('when the exhibit number is taken, then 409 and the new bytes are not kept', async () => {
      const meta = metadata();
      expect((await upload(randomBytes(1000), meta)).status).to.equal(201);
      const before = await footprint();
      const response = await upload(randomBytes(2000), meta);
      expect(response.status).to.equal(409);
      expect(response.body.code).to.equal('EXHIBIT_NUMBER_TAKEN');
      await expectNothingLeft(before);
    });

    it('when the client aborts mid-file, then the staging file is removed', async () => {
      const before = await footprint();
      const boundary = `----custody${randomUUID()}`;
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${JSON.stringify(metadata())}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="disk.dd"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      );
      await new Promise<void>((resolve) => {
        const req = request(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
          method: 'POST',
          headers: {
            authorization: `Bearer ${investigator}`,
            'content-type': `multipart/form-data; boundary=${boundary}`,
          },
        });
        req.on('error', () => resolve());
        req.write(head);
        req.write(randomBytes(512 * 1024));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
      await expectNothingLeft(before);
    });

    it('when the metadata part exceeds its limit, then 413 PAYLOAD_TOO_LARGE', async () => {
      const before = await footprint();
      const response = await upload(randomBytes(1000), metadata({ description: 'x'.repeat(70_000) }));
      expect(response.status).to.equal(413);
      expect(response.body.code).to.equal('PAYLOAD_TOO_LARGE');
      await expectNothingLeft(before);
    });

    it('when the caller may not see the case, then 404 before the body is read; a court gets 403', async () => {
      const court = await member('court');
      const before = await footprint();
      const outsider = await service.token(uniqueSub('eve'), uniqueAgency(), 'investigator');
      const hidden = await upload(randomBytes(1000), metadata(), { token: outsider });
      expect(hidden.status).to.equal(404);
      expect(hidden.body.code).to.equal('NOT_FOUND');
      const colleague = await service.token(uniqueSub('bob'), agency, 'investigator');
      const notMember = await upload(randomBytes(1000), metadata(), { token: colleague });
      expect(notMember.status, 'a colleague who is not a member').to.equal(404);
      const forbidden = await upload(randomBytes(1000), metadata(), { token: court });
      expect(forbidden.status).to.equal(403);
      expect(forbidden.body.needed).to.deep.equal(['investigator']);
      await expectNothingLeft(before);
    });
  });

  describe('downloads', () => {
    it('when a court or an auditor reads an item, then metadata are shown but bytes only where a grant opens them', async () => {
      const id = (await upload(randomBytes(2000))).body.evidence.id;
      const content = (token: string) => service.call('GET', `/v1/evidence/${id}/content`, { token });
      const metadataOf = (token: string) => service.call('GET', `/v1/evidence/${id}`, { token });

      const court = await member('court');
      expect((await metadataOf(court)).status).to.equal(200);
      expect((await content(court)).status).to.equal(403);
      expect((await content(await member('court', true))).status).to.equal(200);

      const auditor = await service.token(uniqueSub('audit'), agency, 'auditor');
      expect((await metadataOf(auditor)).status).to.equal(200);
      expect((await content(auditor)).status).to.equal(403);
      const foreignAuditor = await service.token(uniqueSub('audit'), uniqueAgency(), 'auditor');
      expect((await metadataOf(foreignAuditor)).status).to.equal(404);

      const colleague = await service.token(uniqueSub('bob'), agency, 'investigator');
      const hidden = await content(colleague);
      const absent = await service.call('GET', `/v1/evidence/${randomUUID()}/content`, { token: colleague });
      expect(hidden.status).to.equal(404);
      expect({ ...hidden.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });
    });

    it('when the content is fetched whole and by range, then bytes and Repr-Digest match and each access is in the chain', async () => {
      const bytes = randomBytes(100_000);
      const id = (await upload(bytes)).body.evidence.id;
      const whole = await fetch(new URL(`/v1/evidence/${id}/content`, service.url), {
        headers: { authorization: `Bearer ${investigator}` },
      });
      expect(whole.status).to.equal(200);
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).to.equal(true);
      expect(whole.headers.get('repr-digest')).to.equal(
        `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`,
      );
      expect(whole.headers.get('custody-receipt')).to.be.a('string');

      const part = await fetch(new URL(`/v1/evidence/${id}/content`, service.url), {
        headers: { authorization: `Bearer ${investigator}`, range: 'bytes=1000-1999' },
      });
      expect(part.status).to.equal(206);
      expect(part.headers.get('content-range')).to.equal(`bytes 1000-1999/${bytes.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 2000))).to.equal(true);

      const chain = (await service.call('GET', `/v1/evidence/${id}/chain`, { token: investigator })).body
        .entries;
      expect(chain.map((e: { entry: LogEntry }) => e.entry.type)).to.deep.equal([
        'evidence.acquired',
        'evidence.accessed',
        'evidence.accessed',
      ]);
      expect(chain[2].entry.data.range).to.deep.equal({ start: 1000, end: 1999 });
      verifyChain(chain.map((e: { entry: LogEntry }) => e.entry));
    });

    it('when the range is outside the item, then 416 and no access is logged', async () => {
      const id = (await upload(randomBytes(1000))).body.evidence.id;
      const response = await service.call('GET', `/v1/evidence/${id}/content`, {
        token: investigator,
        headers: { range: 'bytes=5000-6000' },
      });
      expect(response.status).to.equal(416);
      expect(response.body.code).to.equal('RANGE_NOT_SATISFIABLE');
      const chain = (await service.call('GET', `/v1/evidence/${id}/chain`, { token: investigator })).body
        .entries;
      expect(chain).to.have.length(1);
    });
  });

  describe('custody events', () => {
    async function event(id: string, token: string, body: Record<string, unknown>) {
      return service.call('POST', `/v1/evidence/${id}/events`, {
        token,
        json: { purpose: 'routine handling', ...body },
      });
    }

    it('when an item is transferred, then it stays in transit until the receiving side acknowledges, and the chain links', async () => {
      const id = (await upload(randomBytes(5000))).body.evidence.id;
      const lab = uniqueAgency('LAB');
      const labCustodian = await service.token(uniqueSub('lab'), lab, 'custodian');
      const sent = await event(id, investigator, {
        type: 'custody.transferred',
        counterparty: { agency: lab },
      });
      expect(sent.status).to.equal(201);
      expect((await verifyReceipt(sent.body.receipt, await trust())).valid).to.equal(true);

      const inTransit = await service.call('GET', `/v1/evidence/${id}`, { token: investigator });
      expect(inTransit.body.evidence.custody).to.deep.include({
        status: 'in_transit',
        transferTo: { agency: lab, sub: null },
      });
      const stranger = await service.token(uniqueSub('x'), uniqueAgency(), 'custodian');
      expect((await event(id, stranger, { type: 'custody.received' })).status).to.equal(404);
      const colleague = await event(id, investigator, { type: 'custody.analysed' });
      expect(colleague.status).to.equal(409);
      expect(colleague.body.code).to.equal('CUSTODY_TRANSITION_INVALID');
      expect(colleague.body).to.include({ from: 'in_transit', to: 'custody.analysed' });

      const bytesBeforeReceipt = await service.call('GET', `/v1/evidence/${id}/content`, {
        token: labCustodian,
      });
      expect(bytesBeforeReceipt.status, 'the receiver sees metadata, not bytes').to.equal(403);
      const received = await event(id, labCustodian, { type: 'custody.received', location: 'Lab vault 2' });
      expect(received.status).to.equal(201);
      const held = await service.call('GET', `/v1/evidence/${id}`, { token: labCustodian });
      expect(held.body.evidence.custody).to.deep.include({ status: 'in_custody', transferTo: null });
      expect(held.body.evidence.custody.holder.agency).to.equal(lab);

      const chain = (await service.call('GET', `/v1/evidence/${id}/chain`, { token: investigator })).body
        .entries;
      const entries = chain.map((e: { entry: LogEntry }) => e.entry);
      expect(entries.map((e: LogEntry) => e.type)).to.deep.equal([
        'evidence.acquired',
        'custody.transferred',
        'custody.received',
      ]);
      expect(verifyChain(entries)).to.equal(chain[2].leafHash);
      expect(held.body.evidence.chainHead).to.deep.equal({
        seq: 3,
        index: chain[2].index,
        leafHash: chain[2].leafHash,
      });
    });

    it('when someone who does not hold the item transfers it, then 409', async () => {
      const id = (await upload(randomBytes(5000))).body.evidence.id;
      const colleague = await member('custodian');
      const response = await event(id, colleague, {
        type: 'custody.transferred',
        counterparty: { agency: 'DE-BKA' },
      });
      expect(response.status).to.equal(409);
      expect(response.body.code).to.equal('CUSTODY_TRANSITION_INVALID');
    });

    it('when an item is sealed and unsealed, then the seal number must match', async () => {
      const id = (await upload(randomBytes(5000))).body.evidence.id;
      expect((await event(id, investigator, { type: 'custody.sealed', sealNumber: 'S-1' })).status).to.equal(
        201,
      );
      const wrong = await event(id, investigator, { type: 'custody.unsealed', sealNumber: 'S-2' });
      expect(wrong.body.code).to.equal('CUSTODY_TRANSITION_INVALID');
      const right = await event(id, investigator, {
        type: 'custody.unsealed',
        sealNumber: 'S-1',
        sealCondition: 'intact',
      });
      expect(right.status).to.equal(201);
      // Seal facts are withheld by default: the writer gets their disclosures beside the entry.
      expect(right.body.entry.data).not.to.have.property('sealNumber');
      expect(revealed(right.body).data).to.deep.include({ sealNumber: 'S-1', sealCondition: 'intact' });
    });

    it('when disposal lacks an authority or the item is on hold, then it is refused; after disposal nothing more is accepted', async () => {
      const id = (await upload(randomBytes(5000))).body.evidence.id;
      const missing = await event(id, investigator, { type: 'custody.disposed' });
      expect(missing.status).to.equal(422);
      expect((await event(id, investigator, { type: 'hold.set' })).status).to.equal(201);
      const held = await event(id, investigator, {
        type: 'custody.disposed',
        authorityRef: 'Court order 12/2026',
      });
      expect(held.body.code).to.equal('CUSTODY_TRANSITION_INVALID');
      expect((await event(id, investigator, { type: 'hold.lifted' })).status).to.equal(201);
      const disposed = await event(id, investigator, {
        type: 'custody.disposed',
        authorityRef: 'Court order 12/2026',
      });
      expect(disposed.status).to.equal(201);
      const after = await event(id, investigator, { type: 'custody.analysed' });
      expect(after.status).to.equal(409);
      expect(after.body.code).to.equal('CUSTODY_CLOSED');
    });

    it('when a court token records an event, then 403', async () => {
      const id = (await upload(randomBytes(5000))).body.evidence.id;
      const response = await event(id, await member('court'), { type: 'custody.analysed' });
      expect(response.status).to.equal(403);
      expect(response.body.code).to.equal('FORBIDDEN_ROLE');
    });
  });

  describe('fixity', () => {
    it('when the stored bytes are intact, then integrity.verified; after they change on disk, integrity.failed', async () => {
      const uploaded = (await upload(randomBytes(20_000))).body.evidence;
      const ok = await service.call('POST', `/v1/evidence/${uploaded.id}/fixity`, { token: investigator });
      expect(ok.status).to.equal(201);
      expect(ok.body.intact).to.equal(true);
      expect(ok.body.entry.type).to.equal('integrity.verified');

      const sha = uploaded.digests.sha256;
      const file = path.join(blobDir, 'sha256', sha.slice(0, 2), sha.slice(2, 4), sha);
      await chmod(file, 0o600);
      await writeFile(file, randomBytes(20_000));
      const failed = await service.call('POST', `/v1/evidence/${uploaded.id}/fixity`, {
        token: investigator,
      });
      expect(failed.body.intact).to.equal(false);
      expect(failed.body.entry.type).to.equal('integrity.failed');
      expect(failed.body.entry.data.sha256).to.not.equal(sha);
    });
  });
});
