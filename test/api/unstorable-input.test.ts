import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { openCase } from '../support/fixtures';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const VALIDATION = 'urn:custody-ledger:problem:validation-failed';

/** A JSON body as raw text, so that escapes a client library would repair (a lone surrogate) reach the service. */
async function postRaw(service: TestService, route: string, token: string, body: string) {
  const response = await fetch(new URL(route, service.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The evidence store's staging files of the running service. */
async function stagingFiles(service: TestService): Promise<string[]> {
  return (await readdir(path.join(service.config.blobDir, 'staging')).catch(() => [])).sort();
}

describe('text that cannot be stored', function () {
  this.timeout(60_000);
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });

  for (const [what, escaped] of [
    ['a lone high surrogate', '\\ud800'],
    ['a lone low surrogate', '\\udc00'],
    ['a NUL', '\\u0000'],
  ] as const) {
    it(`when a title holds ${what}, then 422 names the field, and nothing is written`, async () => {
      const token = await service.token(uniqueSub('inv'), uniqueAgency(), 'investigator');
      const reference = `R-${randomUUID()}`;
      const answer = await postRaw(
        service,
        '/v1/cases',
        token,
        `{"reference":"${reference}","title":"a${escaped}b"}`,
      );
      expect(answer.status).to.equal(422);
      expect(answer.body.code).to.equal('VALIDATION_FAILED');
      expect(answer.body.type).to.equal(VALIDATION);
      expect(answer.body.errors).to.deep.include({ pointer: '/title', reason: 'unstorable_character' });
      const listed = await service.call('GET', '/v1/cases', { token });
      expect(listed.body.items.map((c: { reference: string }) => c.reference)).to.not.include(reference);
    });
  }

  it('when a member name holds a lone surrogate, then 422 names it', async () => {
    const token = await service.token(uniqueSub('inv'), uniqueAgency(), 'investigator');
    const answer = await postRaw(
      service,
      '/v1/cases',
      token,
      `{"reference":"R-${randomUUID()}","title":"t","\\ud800":1}`,
    );
    expect(answer.status).to.equal(422);
    expect(answer.body.errors).to.deep.include({ pointer: '/\ud800', reason: 'unstorable_character' });
  });

  it('when a surrogate pair is well formed, then it is stored and comes back as sent', async () => {
    const token = await service.token(uniqueSub('inv'), uniqueAgency(), 'investigator');
    const answer = await postRaw(
      service,
      '/v1/cases',
      token,
      `{"reference":"R-${randomUUID()}","title":"Şəki \\ud83d\\udd12"}`,
    );
    expect(answer.status).to.equal(201);
    expect((answer.body.case as { title: string }).title).to.equal('Şəki 🔒');
  });

  it('when an uploaded file’s name holds a NUL, then 422 names it and no staging file is left', async () => {
    const token = await service.token(uniqueSub('inv'), uniqueAgency(), 'investigator');
    const caseId = await openCase(service, token);
    const stagedBefore = await stagingFiles(service);
    const body = [
      '--x',
      'Content-Disposition: form-data; name="metadata"',
      '',
      JSON.stringify({
        exhibitNumber: 'EX-1',
        description: 'd',
        source: 's',
        acquiredAt: '2026-11-20T09:30:00Z',
        acquiredBy: 'a',
      }),
      '--x',
      'Content-Disposition: form-data; name="file"; filename*=UTF-8\'\'a%00b.bin',
      'Content-Type: application/octet-stream',
      '',
      'bytes',
      '--x--',
      '',
    ].join('\r\n');
    const response = await service.call('POST', `/v1/cases/${caseId}/evidence`, {
      token,
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body,
    });
    expect(response.status, response.text).to.equal(422);
    expect(response.body.errors).to.deep.include({
      pointer: '/file/filename',
      reason: 'unstorable_character',
    });
    expect(await stagingFiles(service)).to.deep.equal(stagedBefore);
  });

  it('when one poisoned request is among 100 concurrent good ones from other agencies, then only it fails', async () => {
    const poisoner = await service.token(uniqueSub('bad'), uniqueAgency(), 'investigator');
    const others = await Promise.all(
      Array.from({ length: 10 }, () => service.token(uniqueSub('good'), uniqueAgency(), 'investigator')),
    );
    const good = Array.from({ length: 100 }, (_, i) =>
      postRaw(
        service,
        '/v1/cases',
        others[i % 10] as string,
        JSON.stringify({ reference: `G-${randomUUID()}`, title: `Good ${i}` }),
      ),
    );
    const poisoned = postRaw(
      service,
      '/v1/cases',
      poisoner,
      `{"reference":"P-${randomUUID()}","title":"x\\udfffy"}`,
    );
    const answers = await Promise.all([...good, poisoned]);
    expect(answers.slice(0, 100).map((a) => a.status)).to.deep.equal(Array(100).fill(201));
    expect(answers[100]?.status).to.equal(422);
  });
});
