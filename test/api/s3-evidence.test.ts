import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { S3BlobStore } from '../../src/storage/s3-blob-store';
import { testDatabase } from '../support/database';
import { openCase, postExhibit, uploadItem } from '../support/fixtures';
import { type S3Server, s3StoreOptions, startS3Server } from '../support/s3-server';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

const UNAVAILABLE = 'urn:custody-ledger:problem:dependency-unavailable';
const PART = 5 * 1024 * 1024;

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the bucket holds under `prefix`, read with a store of its own (not the service's). */
async function inBucket(server: S3Server, prefix: string) {
  const store = new S3BlobStore(s3StoreOptions(server, prefix));
  try {
    const stored = await store.list();
    const contents = new Map<string, string>();
    for (const sha of stored) {
      const chunks: Buffer[] = [];
      for await (const chunk of store.read(sha)) chunks.push(chunk as Buffer);
      contents.set(sha, sha256Of(Buffer.concat(chunks)));
    }
    return { stored, contents, staging: await store.listStaging() };
  } finally {
    store.destroy();
  }
}

describe('evidence kept in an S3 bucket (BLOB_STORE=s3)', function () {
  this.timeout(60_000);
  let server: S3Server;
  let service: TestService;
  let token: string;
  const prefix = `api-${randomUUID()}/`;

  before(async () => {
    server = await startS3Server();
    service = await startTestService({ ...server.env(prefix), S3_PART_SIZE_MIB: '5' });
    token = await service.token(uniqueSub('s3'), uniqueAgency(), 'investigator');
  });
  after(async () => {
    await service?.stop();
    await server?.stop();
  });

  it('when a file of several parts is uploaded, then its bytes are in the bucket at their address and it is served whole and by range', async () => {
    const caseId = await openCase(service, token);
    const bytes = randomBytes(2 * PART + 12_345);
    const sha = sha256Of(bytes);
    const id = await uploadItem(service, token, caseId, bytes);

    const bucket = await inBucket(server, prefix);
    expect(bucket.stored).to.deep.equal([sha]);
    expect(bucket.contents.get(sha)).to.equal(sha);
    expect(bucket.staging).to.deep.equal([]);

    const whole = await fetch(new URL(`/v1/evidence/${id}/content`, service.url), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(whole.status).to.equal(200);
    expect(sha256Of(Buffer.from(await whole.arrayBuffer()))).to.equal(sha);

    // A range across the first part boundary.
    const part = await fetch(new URL(`/v1/evidence/${id}/content`, service.url), {
      headers: { authorization: `Bearer ${token}`, range: `bytes=${PART - 100}-${PART + 99}` },
    });
    expect(part.status).to.equal(206);
    expect(part.headers.get('content-range')).to.equal(`bytes ${PART - 100}-${PART + 99}/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(PART - 100, PART + 100))).to.equal(
      true,
    );
  });

  it('when the same bytes are uploaded again as another exhibit, then the bucket keeps them once', async () => {
    const caseId = await openCase(service, token);
    const bytes = randomBytes(4_000);
    await uploadItem(service, token, caseId, bytes);
    await uploadItem(service, token, caseId, bytes);
    const bucket = await inBucket(server, prefix);
    expect(bucket.stored).to.include(sha256Of(bytes));
    expect(bucket.stored.filter((sha) => sha === sha256Of(bytes))).to.have.length(1);
    expect(bucket.staging).to.deep.equal([]);
  });

  describe('when the bucket cannot be reached', () => {
    let lostServer: S3Server;
    let lost: TestService;
    let lostToken: string;
    let lostCase: string;

    before(async () => {
      lostServer = await startS3Server();
      lost = await startTestService({ ...lostServer.env(prefix), S3_REQUEST_TIMEOUT_MS: '2000' });
      lostToken = await lost.token(uniqueSub('s3-lost'), uniqueAgency(), 'investigator');
      lostCase = await openCase(lost, lostToken);
      await lostServer.stop();
    });
    after(async () => {
      await lost?.stop();
    });

    it('then an upload answers 503 DEPENDENCY_UNAVAILABLE with Retry-After and records nothing, and /readyz says why', async () => {
      const response = await postExhibit(lost, lostToken, lostCase);
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.match(/^\d+$/);
      expect(await response.json()).to.include({ code: 'DEPENDENCY_UNAVAILABLE', type: UNAVAILABLE });
      const rows = await testDatabase().db.query(
        'SELECT count(*)::int AS n FROM evidence WHERE case_id = $1',
        [lostCase],
      );
      expect(rows[0].n).to.equal(0);

      const ready = await lost.call('GET', '/readyz');
      expect(ready.status).to.equal(503);
      expect(ready.body).to.include({ code: 'SERVICE_UNAVAILABLE', reason: 'STORAGE_UNAVAILABLE' });
    });
  });
});
