import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  fromBase64,
  type LogEntry,
  openCheckpoint,
  parseTlogProof,
  parseVerifierKey,
  verifyChain,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger';
import { verifyReceipt } from '../../src/verify';
import { revealed } from '../support/revealed';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

describe('the verifiable log over HTTP', () => {
  let service: TestService;
  let agency: string;
  let token: string;

  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    agency = uniqueAgency();
    token = await service.token(uniqueSub('alice'), agency, 'investigator');
  });

  async function trust() {
    const info = (await service.call('GET', '/v1/log/info')).body;
    const jwks = (await service.call('GET', '/.well-known/jwks.json')).body;
    return { info, jwks, logKey: parseVerifierKey(info.vkey) };
  }

  async function openCase() {
    const response = await service.call('POST', '/v1/cases', {
      token,
      json: { reference: `R-${randomUUID()}`, title: 'Botnet takedown' },
    });
    expect(response.status, response.text).to.equal(201);
    return response.body;
  }

  it('when a client lost the answer to its write, then it fetches the entry’s receipt again, which verifies; outsiders get 404', async () => {
    const { receipt } = await openCase();
    const { jwks, logKey } = await trust();
    const first = verifyReceipt(receipt, { jwks, logKey });
    const index = first.payload?.index as number;
    await openCase();
    const again = await service.call('GET', `/v1/log/entries/${index}/receipt`, { token });
    expect(again.status).to.equal(200);
    expect(again.body.index).to.equal(index);
    const verified = verifyReceipt(again.body.receipt, { jwks, logKey });
    expect(verified.valid).to.equal(true);
    expect(verified.payload?.entry).to.deep.equal(first.payload?.entry);
    expect(verified.treeSize).to.be.greaterThan(first.treeSize as number);
    const outsider = await service.token(uniqueSub('out'), uniqueAgency(), 'investigator');
    const hidden = await service.call('GET', `/v1/log/entries/${index}/receipt`, { token: outsider });
    const absent = await service.call('GET', '/v1/log/entries/999999999/receipt', { token: outsider });
    expect(hidden.status).to.equal(404);
    expect({ ...hidden.body, requestId: null }).to.deep.equal({ ...absent.body, requestId: null });
  });

  it('when a case is opened, then its receipt verifies offline with the published JWKS and vkey', async () => {
    const { case: opened, receipt } = await openCase();
    const { jwks, logKey, info } = await trust();
    const result = await verifyReceipt(receipt, { jwks, logKey });
    expect(result.checks).to.deep.equal({
      signature: true,
      leafHash: true,
      checkpoint: true,
      inclusion: true,
      origin: true,
    });
    expect(result.valid).to.equal(true);
    expect(result.payload?.entry).to.deep.include({
      v: 2,
      log: info.origin,
      subject: { type: 'case', id: opened.id },
      seq: 1,
      prev: null,
      type: 'case.opened',
    });
    // The person is withheld behind a salted digest; a member reading the entry gets its disclosure.
    expect(result.payload?.entry.actor).to.have.all.keys('agency', 'role', '_sd');
    const index = result.payload?.index as number;
    const read = await service.call('GET', `/v1/log/entries/${index}`, { token });
    expect(read.status).to.equal(200);
    expect(revealed(read.body).actor).to.deep.equal({ sub: opened.createdBy, agency, role: 'investigator' });
    expect(result.payload?.sub).to.equal(`case:${opened.id}`);
  });

  it('when a case is shared twice, then the grants form its access chain and each receipt verifies', async () => {
    const { case: opened } = await openCase();
    const { jwks, logKey } = await trust();
    const receipts = [];
    for (const court of [uniqueAgency('C'), uniqueAgency('C')]) {
      const granted = await service.call('POST', `/v1/cases/${opened.id}/grants`, {
        token,
        json: { agency: court, role: 'court' },
      });
      expect(granted.status).to.equal(201);
      receipts.push(await verifyReceipt(granted.body.receipt, { jwks, logKey }));
    }
    const [first, second] = receipts;
    expect(first?.valid && second?.valid).to.equal(true);
    expect(first?.payload?.entry).to.deep.include({
      subject: { type: 'access', id: opened.id },
      seq: 1,
      prev: null,
    });
    expect(second?.payload?.entry.seq).to.equal(2);
    expect(second?.payload?.entry.prev).to.equal(
      Buffer.from(first?.payload?.jti ?? '', 'base64url').toString('base64'),
    );
  });

  it('when 50 grants on one case arrive at once, then its access chain is gap-free and every receipt verifies', async () => {
    const { case: opened } = await openCase();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        service.call('POST', `/v1/cases/${opened.id}/grants`, {
          token,
          json: { agency: 'AZ-COURT', sub: uniqueSub('judge'), role: 'court' },
        }),
      ),
    );
    const { jwks, logKey } = await trust();
    const entries = [];
    for (const response of responses) {
      expect(response.status).to.equal(201);
      const result = await verifyReceipt(response.body.receipt, { jwks, logKey });
      expect(result.valid).to.equal(true);
      entries.push(result.payload?.entry as LogEntry);
    }
    entries.sort((a, b) => a.seq - b.seq);
    expect(entries.map((entry) => entry.seq)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(verifyChain(entries)).to.be.a('string');
  });

  it('when POST /v1/receipts/verify gets a good, a tampered and a garbage receipt, then it reports each check', async () => {
    const { receipt } = await openCase();
    const good = await service.call('POST', '/v1/receipts/verify', { json: { receipt } });
    expect(good.status).to.equal(200);
    expect(good.body).to.deep.equal({
      valid: true,
      checks: { signature: true, leafHash: true, checkpoint: true, inclusion: true, origin: true },
    });

    const [header, payload, signature] = receipt.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    claims.entry.data.title = 'Something else';
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const tampered = await service.call('POST', '/v1/receipts/verify', { json: { receipt: forged } });
    expect(tampered.body).to.deep.include({ valid: false, reason: 'SIGNATURE_INVALID' });
    expect(tampered.body.checks.signature).to.equal(false);

    const garbage = await service.call('POST', '/v1/receipts/verify', { json: { receipt: 'a.b.c' } });
    expect(garbage.body.valid).to.equal(false);
    const accessToken = await service.call('POST', '/v1/receipts/verify', { json: { receipt: token } });
    expect(accessToken.body.valid, 'an access token is not a receipt').to.equal(false);
  });

  it('when a receipt is presented as an access token, then it is refused', async () => {
    const { receipt } = await openCase();
    const response = await service.call('GET', '/v1/cases', { token: receipt });
    expect(response.status).to.equal(401);
    expect(response.body.code).to.equal('INVALID_TOKEN');
  });

  it('when the checkpoint is fetched, then it is a signed note that opens with the vkey from /v1/log/info', async () => {
    await openCase();
    const { info, logKey } = await trust();
    const response = await service.call('GET', '/v1/log/checkpoint');
    expect(response.headers.get('content-type')).to.match(/^text\/plain/);
    const checkpoint = openCheckpoint(response.text, logKey);
    expect(checkpoint.origin).to.equal(info.origin);
    expect(checkpoint.size).to.be.at.least(info.size);
  });

  it('when proofs are asked for, then inclusion and consistency proofs verify against signed checkpoints', async () => {
    const { receipt } = await openCase();
    const { logKey } = await trust();
    const first = openCheckpoint((await service.call('GET', '/v1/log/checkpoint')).text, logKey);
    await openCase();
    await openCase();
    const second = openCheckpoint((await service.call('GET', '/v1/log/checkpoint')).text, logKey);

    const payload = JSON.parse(Buffer.from(receipt.split('.')[1], 'base64url').toString('utf8'));
    const inclusion = await service.call(
      'GET',
      `/v1/log/proof/inclusion?index=${payload.index}&size=${second.size}`,
    );
    expect(inclusion.status).to.equal(200);
    const leaf = Buffer.from(payload.jti, 'base64url');
    verifyInclusion(payload.index, second.size, leaf, inclusion.body.proof.map(fromBase64), second.root);

    const consistency = await service.call(
      'GET',
      `/v1/log/proof/consistency?from=${first.size}&to=${second.size}`,
    );
    expect(consistency.status).to.equal(200);
    verifyConsistency(
      first.size,
      second.size,
      consistency.body.proof.map(fromBase64),
      first.root,
      second.root,
    );

    const bundle = await service.call('GET', `/v1/log/entries/${payload.index}/tlog-proof`);
    const parsed = parseTlogProof(bundle.text);
    const latest = openCheckpoint(parsed.checkpoint, logKey);
    verifyInclusion(parsed.index, latest.size, leaf, parsed.proof, latest.root);
  });

  for (const query of [
    'inclusion?index=-1',
    'inclusion?index=abc',
    'inclusion?index=99999999999999999999',
    'inclusion?index=007',
    'inclusion?index=0&size=0',
    'inclusion?index=5&size=5',
    'inclusion?index=0&size=9007199254740991',
    'inclusion',
    'consistency?from=0&to=1',
    'consistency?from=2&to=1',
    'consistency?from=1&to=9007199254740991',
    'consistency?from=1',
  ]) {
    it(`when the proof route gets ${query}, then the answer is 400 INVALID_PARAMETER`, async () => {
      await openCase();
      const response = await service.call('GET', `/v1/log/proof/${query}`);
      expect(response.status).to.equal(400);
      expect(response.body.code).to.equal('INVALID_PARAMETER');
    });
  }

  it('when a tlog-proof is asked past the end or for garbage, then the answer is 400', async () => {
    for (const index of ['9007199254740991', 'x', '-3']) {
      const response = await service.call('GET', `/v1/log/entries/${index}/tlog-proof`);
      expect(response.status, index).to.equal(400);
      expect(response.body.code).to.equal('INVALID_PARAMETER');
    }
  });

  it('when an entry is read, then only those who may see its case get it', async () => {
    const { receipt } = await openCase();
    const index = JSON.parse(Buffer.from(receipt.split('.')[1], 'base64url').toString('utf8')).index;
    const mine = await service.call('GET', `/v1/log/entries/${index}`, { token });
    expect(mine.status).to.equal(200);
    expect(mine.body.entry.type).to.equal('case.opened');
    expect(mine.body.index).to.equal(index);

    const outsider = await service.token(uniqueSub('eve'), uniqueAgency(), 'investigator');
    const hidden = await service.call('GET', `/v1/log/entries/${index}`, { token: outsider });
    expect(hidden.status).to.equal(404);
    expect(hidden.body.code).to.equal('NOT_FOUND');
    expect((await service.call('GET', `/v1/log/entries/${index}`)).status).to.equal(401);
  });

  it('when opening a case fails on a duplicate reference, then nothing is added to the log', async () => {
    const reference = `DUP-${randomUUID()}`;
    await service.call('POST', '/v1/cases', { token, json: { reference, title: 'First' } });
    const before = (await service.call('GET', '/v1/log/info')).body.size;
    const again = await service.call('POST', '/v1/cases', { token, json: { reference, title: 'Second' } });
    expect(again.body.code).to.equal('CASE_REFERENCE_TAKEN');
    expect((await service.call('GET', '/v1/log/info')).body.size).to.equal(before);
  });
});
