import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Client } from 'pg';
import { testDatabase } from '../support/database';
import { openCase } from '../support/fixtures';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const REUSED = 'urn:custody-ledger:problem:idempotency-key-reused';
const INVALID = 'urn:custody-ledger:problem:idempotency-key-invalid';

/** The log's size now: every committed write adds to it. */
async function logSize(service: TestService): Promise<number> {
  return (await service.call('GET', '/v1/log/info')).body.size;
}

function leafOf(receipt: string): string {
  const payload = JSON.parse(Buffer.from(receipt.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return payload.jti;
}

async function withOwner<T>(body: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: testDatabase().ownerUrl });
  await db.connect();
  try {
    return await body(db);
  } finally {
    await db.end();
  }
}

describe('Idempotency-Key: a retried write is answered, not repeated', function () {
  this.timeout(60_000);
  let service: TestService;
  let token: string;
  let agency: string;

  before(async () => {
    service = await startTestService();
    agency = uniqueAgency();
    token = await service.token(uniqueSub('inv'), agency, 'investigator');
  });
  after(async () => {
    await service.stop();
  });

  const openWithKey = (key: string, json: unknown, as = token) =>
    service.call('POST', '/v1/cases', { token: as, json, headers: { 'idempotency-key': key } });

  it('when a write is sent again with the same key and body, then the first answer comes back byte for byte and nothing is written twice', async () => {
    const key = `"${randomUUID()}"`;
    const json = { reference: `IDEM-${randomUUID()}`, title: 'Sent twice' };
    const first = await openWithKey(key, json);
    expect(first.status, first.text).to.equal(201);
    expect(first.headers.get('idempotent-replayed')).to.equal(null);
    const size = await logSize(service);

    const again = await openWithKey(key, json);
    expect(again.status).to.equal(201);
    expect(again.text).to.equal(first.text);
    expect(again.headers.get('location')).to.equal(first.headers.get('location'));
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(await logSize(service)).to.equal(size);
  });

  it('when the same key comes with another body, then 422 IDEMPOTENCY_KEY_REUSED and nothing is written', async () => {
    const key = randomUUID();
    expect((await openWithKey(key, { reference: `IDEM-${randomUUID()}`, title: 'First' })).status).to.equal(
      201,
    );
    const size = await logSize(service);
    const other = await openWithKey(key, { reference: `IDEM-${randomUUID()}`, title: 'Second' });
    expect(other.status).to.equal(422);
    expect(other.body).to.include({ code: 'IDEMPOTENCY_KEY_REUSED', type: REUSED });
    expect(await logSize(service)).to.equal(size);
  });

  it('when the key is sent to another route, then it is another request: 422', async () => {
    const key = randomUUID();
    const caseId = (await openWithKey(key, { reference: `IDEM-${randomUUID()}`, title: 'Case' })).body.case
      .id;
    const grant = await service.call('POST', `/v1/cases/${caseId}/grants`, {
      token,
      json: { sub: uniqueSub('colleague'), agency, role: 'auditor' },
      headers: { 'idempotency-key': key },
    });
    expect(grant.status).to.equal(422);
    expect(grant.body.code).to.equal('IDEMPOTENCY_KEY_REUSED');
  });

  it('when another caller uses the same key, then its request is its own', async () => {
    const key = randomUUID();
    const json = { reference: `IDEM-${randomUUID()}`, title: 'Mine' };
    const mine = await openWithKey(key, json);
    const otherToken = await service.token(uniqueSub('other'), uniqueAgency(), 'investigator');
    const theirs = await openWithKey(key, { reference: `IDEM-${randomUUID()}`, title: 'Theirs' }, otherToken);
    expect(mine.status).to.equal(201);
    expect(theirs.status).to.equal(201);
    expect(theirs.body.case.id).to.not.equal(mine.body.case.id);
  });

  it('when the key is malformed, then 400 IDEMPOTENCY_KEY_INVALID before anything is written', async () => {
    const size = await logSize(service);
    for (const key of ['', '"unterminated', 'with space', 'x'.repeat(256), '"é"']) {
      const answer = await openWithKey(key, { reference: `IDEM-${randomUUID()}`, title: 'Bad key' });
      expect(answer.status, JSON.stringify(key)).to.equal(400);
      expect(answer.body).to.include({ code: 'IDEMPOTENCY_KEY_INVALID', type: INVALID });
    }
    expect(await logSize(service)).to.equal(size);
  });

  it('when the first request was refused, then the key is not spent: the corrected request runs', async () => {
    const key = randomUUID();
    const refused = await openWithKey(key, { reference: `IDEM-${randomUUID()}` });
    expect(refused.status).to.equal(422);
    const corrected = await openWithKey(key, { reference: `IDEM-${randomUUID()}`, title: 'Corrected' });
    expect(corrected.status).to.equal(201);
  });

  it('when ten copies of one request race, then one write is made and every answer is that write or 409 IDEMPOTENCY_KEY_IN_USE', async () => {
    const key = randomUUID();
    const json = { reference: `IDEM-${randomUUID()}`, title: 'Raced' };
    const size = await logSize(service);
    const answers = await Promise.all(Array.from({ length: 10 }, () => openWithKey(key, json)));
    const created = answers.filter((answer) => answer.status === 201);
    expect(created.length).to.be.at.least(1);
    expect(new Set(created.map((answer) => answer.body.case.id)).size).to.equal(1);
    for (const answer of answers.filter((a) => a.status !== 201)) {
      expect(answer.status).to.equal(409);
      expect(answer.body.code).to.equal('IDEMPOTENCY_KEY_IN_USE');
    }
    expect(await logSize(service)).to.equal(size + 1);
  });

  it('when a grant is retried, then it is granted once', async () => {
    const caseId = await openCase(service, token);
    const key = randomUUID();
    const json = { sub: uniqueSub('colleague'), agency, role: 'auditor' };
    const send = () =>
      service.call('POST', `/v1/cases/${caseId}/grants`, {
        token,
        json,
        headers: { 'idempotency-key': key },
      });
    const first = await send();
    expect(first.status, first.text).to.equal(201);
    const size = await logSize(service);
    const again = await send();
    expect(again.text).to.equal(first.text);
    expect(await logSize(service)).to.equal(size);
  });

  it('when the write committed but its answer was never kept (a crash in between), then the retry gets the entry and its receipt again', async () => {
    const key = randomUUID();
    const json = { reference: `IDEM-${randomUUID()}`, title: 'Answer lost' };
    const first = await openWithKey(key, json);
    expect(first.status).to.equal(201);
    // What a crash after the commit and before the answer leaves: the key with its entry, no answer.
    const forgotten = await withOwner((db) =>
      db.query('UPDATE idempotency_keys SET status = NULL, location = NULL, body = NULL WHERE key = $1', [
        key,
      ]),
    );
    expect(forgotten.rowCount).to.equal(1);
    const size = await logSize(service);

    const again = await openWithKey(key, json);
    expect(again.status).to.equal(200);
    expect(again.headers.get('idempotent-replayed')).to.equal('recovered');
    expect(leafOf(again.body.receipt)).to.equal(leafOf(first.body.receipt));
    expect(again.headers.get('content-location')).to.equal(`/v1/log/entries/${again.body.index}`);
    const verified = await service.call('POST', '/v1/receipts/verify', {
      json: { receipt: again.body.receipt },
    });
    expect(verified.body.valid, verified.text).to.equal(true);
    expect(await logSize(service)).to.equal(size);
  });

  it('when the key is older than the retention period, then it is forgotten and the request runs again', async () => {
    const key = randomUUID();
    const json = { reference: `IDEM-${randomUUID()}`, title: 'Long ago' };
    expect((await openWithKey(key, json)).status).to.equal(201);
    await withOwner((db) =>
      db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]),
    );
    const again = await openWithKey(key, json);
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('CASE_REFERENCE_TAKEN');
  });

  it('when an upload is retried with its key, then the first item and receipt come back, and another file under the key is 422', async () => {
    const caseId = await openCase(service, token);
    const key = randomUUID();
    const metadata = JSON.stringify({
      exhibitNumber: `EX-${randomUUID().slice(0, 8)}`,
      description: 'Retried upload',
      source: 'Test',
      acquiredAt: '2026-11-20T09:30:00Z',
      acquiredBy: 'Test',
    });
    const bytes = randomBytes(4096);
    const upload = async (file: Uint8Array) => {
      const form = new FormData();
      form.append('metadata', metadata);
      form.append('file', new Blob([file]), 'exhibit.bin');
      const response = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
        body: form,
      });
      return { status: response.status, text: await response.text(), headers: response.headers };
    };
    const first = await upload(bytes);
    expect(first.status, first.text).to.equal(201);
    const size = await logSize(service);
    const again = await upload(bytes);
    expect(again.status).to.equal(201);
    expect(again.text).to.equal(first.text);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    const other = await upload(randomBytes(4096));
    expect(other.status).to.equal(422);
    expect(JSON.parse(other.text).code).to.equal('IDEMPOTENCY_KEY_REUSED');
    expect(await logSize(service)).to.equal(size);
  });
});
