import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { exited, type ServiceProcess, spawnService, stopService } from '../../scripts/lib/service-process';
import { issueBuiltInToken } from '../../src/access/built-in-issuer';
import { loadConfig } from '../../src/config';
import type { FaultPoint } from '../../src/faults';
import { S3BlobStore } from '../../src/storage/s3-blob-store';
import { withScratchDatabase } from '../support/database';
import { type S3Server, s3StoreOptions, startS3Server } from '../support/s3-server';
import { call, uniqueAgency } from '../support/service';

/** What a crash test needs of one upload: the same request each time it is sent. */
interface Upload {
  readonly key: string;
  readonly metadata: string;
  readonly bytes: Buffer;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  readonly body: any;
  readonly text: string;
}

function newUpload(exhibitNumber: string): Upload {
  return {
    key: randomUUID(),
    metadata: JSON.stringify({
      exhibitNumber,
      description: 'Crash test exhibit',
      source: 'Seized laptop',
      acquiredAt: '2026-11-20T09:30:00Z',
      acquiredBy: 'Test',
    }),
    bytes: randomBytes(256 * 1024),
  };
}

/** Sends the upload with its Idempotency-Key; undefined when the connection died unanswered. */
async function send(url: string, token: string, caseId: string, upload: Upload): Promise<Answer | undefined> {
  const form = new FormData();
  form.append('metadata', upload.metadata);
  form.append('file', new Blob([upload.bytes]), 'image.dd');
  try {
    const response = await fetch(`${url}/v1/cases/${caseId}/evidence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': upload.key },
      body: form,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** The content addresses of the files in the evidence store, and the names of its staging files. */
async function storeContents(dataDir: string): Promise<{ blobs: string[]; staging: string[] }> {
  const root = path.join(dataDir, 'blobs');
  const blobs = (await readdir(path.join(root, 'sha256'), { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
  return { blobs, staging: (await readdir(path.join(root, 'staging'))).sort() };
}

/** Sets every file under `root` back `hours` (as if the restart came that much later). */
async function ageFiles(root: string, hours: number): Promise<void> {
  const then = new Date(Date.now() - hours * 3_600_000);
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) await utimes(path.join(entry.parentPath, entry.name), then, then);
  }
}

/** Makes every stored file look older than the orphan grace period (as if the restart came hours later). */
async function ageStore(dataDir: string, hours: number): Promise<void> {
  await ageFiles(path.join(dataDir, 'blobs', 'sha256'), hours);
}

type StoreContents = { blobs: string[]; staging: string[] };

/** The evidence store a crash test's services use, seen from outside them. */
interface StoreUnderTest {
  /** The service's settings for this store. */
  readonly env: Record<string, string>;
  contents(): Promise<StoreContents>;
  /** Makes the stored bytes older than the orphan grace period. */
  age(hours: number): Promise<void>;
  close(): void;
}

function fsStore(dataDir: string): StoreUnderTest {
  return {
    env: {},
    contents: () => storeContents(dataDir),
    age: (hours) => ageStore(dataDir, hours),
    close: () => {},
  };
}

/**
 * The bucket under `prefix`, read with the store's own listings. BLOB_ORPHAN_GRACE_MS
 * cannot be below a minute, and S3 cannot set an object's time; s3rver answers an
 * object's LastModified with its file's mtime, so the ageing sets those files back.
 */
function s3Store(server: S3Server, prefix: string): StoreUnderTest {
  const store = new S3BlobStore(s3StoreOptions(server, prefix));
  return {
    env: server.env(prefix),
    contents: async () => ({ blobs: await store.list(), staging: await store.listStaging() }),
    age: (hours) => ageFiles(path.join(server.directory, server.bucket, prefix, 'sha256'), hours),
    close: () => store.destroy(),
  };
}

async function referencedBlobs(url: string): Promise<string[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ sha256: string }>(
      'SELECT DISTINCT sha256 FROM evidence ORDER BY sha256',
    );
    return rows.map((row) => row.sha256);
  } finally {
    await db.end();
  }
}

/** Polls until the store holds exactly the referenced blobs and no staging file (the reconciler runs after start). */
async function storeMatchesRows(url: string, contents: () => Promise<StoreContents>): Promise<void> {
  let last: unknown;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    const [store, rows] = await Promise.all([contents(), referencedBlobs(url)]);
    last = { ...store, rows };
    if (store.staging.length === 0 && JSON.stringify(store.blobs) === JSON.stringify(rows)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect.fail(`the evidence store does not match the evidence rows: ${JSON.stringify(last)}`);
}

function leafOf(receipt: string): string {
  return JSON.parse(Buffer.from(receipt.split('.')[1] ?? '', 'base64url').toString('utf8')).jti;
}

async function stopIfRunning(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode === null && service.child.signalCode === null) await stopService(service.child);
}

/**
 * The named crash points, each in a service of its own (its own database,
 * DATA_DIR and, for S3, key prefix): acknowledged writes before it, one upload
 * that dies at the point, a restart, and the retry of that upload with its
 * Idempotency-Key. Run against the filesystem store and an S3 bucket (s3rver).
 */
for (const kind of ['fs', 's3'] as const) {
  describe(`crashes at the named fault points (${kind} evidence store)`, function () {
    this.timeout(180_000);

    let server: S3Server | undefined;
    if (kind === 's3') {
      before(async () => {
        server = await startS3Server();
      });
      after(async () => {
        await server?.stop();
      });
    }

    const cases: ReadonlyArray<{ point: FaultPoint; committed: boolean }> = [
      { point: 'blob.before-rename', committed: false },
      { point: 'blob.after-rename', committed: false },
      { point: 'log.after-commit', committed: true },
    ];

    for (const { point, committed } of cases) {
      crashCase(point, committed, (dataDir) =>
        server ? s3Store(server, `crash-${randomUUID()}/`) : fsStore(dataDir),
      );
    }
  });
}

function crashCase(
  point: FaultPoint,
  committed: boolean,
  storeFor: (dataDir: string) => StoreUnderTest,
): void {
  it(`when the service is killed at ${point} during an upload, then after a restart every acknowledged write is there, no file lacks a row nor a row its file, and the retry with the same key ${committed ? 'returns the committed entry’s receipt' : 'stores the item once'}`, async () => {
    await withScratchDatabase(async (url) => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'custody-ledger-crash-'));
      const store = storeFor(dataDir);
      try {
        const env = { ...store.env, DATABASE_URL: url, DATA_DIR: dataDir };
        const token = await issueBuiltInToken(loadConfig(env), {
          sub: `crash-${randomUUID()}`,
          agency: uniqueAgency(),
          roles: ['investigator'],
          ttlSeconds: 900,
        });

        // Acknowledged writes before the crash: a case, an item, two custody events.
        const first = await spawnService(env);
        const receipts: string[] = [];
        let caseId: string;
        let itemId: string;
        try {
          const opened = await call(first.url, 'POST', '/v1/cases', {
            token,
            json: { reference: `CRASH-${randomUUID()}`, title: 'Crash test' },
          });
          expect(opened.status, opened.text).to.equal(201);
          caseId = opened.body.case.id;
          receipts.push(opened.body.receipt);
          const stored = await send(first.url, token, caseId, newUpload('EX-1'));
          expect(stored?.status, stored?.text).to.equal(201);
          itemId = stored?.body.evidence.id;
          receipts.push(stored?.body.receipt);
          for (const json of [
            { type: 'custody.sealed', purpose: 'Sealed for storage', sealNumber: 'S-1' },
            { type: 'custody.analysed', purpose: 'Imaging verified' },
          ]) {
            const event = await call(first.url, 'POST', `/v1/evidence/${itemId}/events`, { token, json });
            expect(event.status, event.text).to.equal(201);
            receipts.push(event.body.receipt);
          }
        } finally {
          await stopService(first.child);
        }

        // The crash: the upload dies at the point, unanswered.
        const doomed = newUpload('EX-2');
        const crashing = await spawnService({ ...env, FAULT_POINTS: `${point}=kill` });
        try {
          expect(await send(crashing.url, token, caseId, doomed), 'no answer').to.equal(undefined);
          await exited(crashing.child);
          expect(crashing.child.signalCode).to.equal('SIGKILL');
        } finally {
          await stopIfRunning(crashing);
        }

        // The restart comes after the orphan grace period: whatever the crash left is cleaned up.
        await store.age(2);
        const restarted = await spawnService(env);
        try {
          await storeMatchesRows(url, store.contents);
          for (const receipt of receipts) {
            const verified = await call(restarted.url, 'POST', '/v1/receipts/verify', {
              json: { receipt },
            });
            expect(verified.body.valid, verified.text).to.equal(true);
          }
          const chain = await call(restarted.url, 'GET', `/v1/evidence/${itemId}/chain`, { token });
          expect(chain.status, chain.text).to.equal(200);
          expect(chain.body.entries.map((e: { entry: { type: string } }) => e.entry.type)).to.deep.equal([
            'evidence.acquired',
            'custody.sealed',
            'custody.analysed',
          ]);

          const retried = await send(restarted.url, token, caseId, doomed);
          const sha256 = createHash('sha256').update(doomed.bytes).digest('hex');
          if (committed) {
            expect(retried?.status, retried?.text).to.equal(200);
            expect(retried?.headers.get('idempotent-replayed')).to.equal('recovered');
            const entry = await call(restarted.url, 'GET', `/v1/log/entries/${retried?.body.index}`, {
              token,
            });
            expect(entry.body.entry.type).to.equal('evidence.acquired');
            expect(entry.body.entry.data.sha256).to.equal(sha256);
            expect(leafOf(retried?.body.receipt)).to.equal(
              entry.body.leafHash.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, ''),
            );
          } else {
            expect(retried?.status, retried?.text).to.equal(201);
            expect(retried?.headers.get('idempotent-replayed')).to.equal(null);
            // The retry of the retry is the same answer: the key now names this write.
            const again = await send(restarted.url, token, caseId, doomed);
            expect(again?.text).to.equal(retried?.text);
          }
          const verified = await call(restarted.url, 'POST', '/v1/receipts/verify', {
            json: { receipt: retried?.body.receipt },
          });
          expect(verified.body.valid, verified.text).to.equal(true);
          expect(await referencedBlobs(url)).to.include(sha256);
          await storeMatchesRows(url, store.contents);
        } finally {
          await stopService(restarted.child);
        }
      } finally {
        store.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe('stored bytes removed between their link and their commit', function () {
  this.timeout(120_000);

  it('when the bytes an upload linked vanish before its batch commits (a clean-up raced it), then it is 503 DEPENDENCY_UNAVAILABLE with Retry-After and no row, and the retry stores it', async () => {
    await withScratchDatabase(async (url) => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'custody-ledger-vanish-'));
      // Holds each upload for a while after its bytes are linked: the window a clean-up could take them in.
      const service = await spawnService({
        DATABASE_URL: url,
        DATA_DIR: dataDir,
        FAULT_POINTS: 'blob.after-rename=delay:1500',
      });
      try {
        const token = await issueBuiltInToken(loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir }), {
          sub: `vanish-${randomUUID()}`,
          agency: uniqueAgency(),
          roles: ['investigator'],
          ttlSeconds: 900,
        });
        const opened = await call(service.url, 'POST', '/v1/cases', {
          token,
          json: { reference: `VANISH-${randomUUID()}`, title: 'Vanishing bytes' },
        });
        const caseId = opened.body.case.id;
        const upload = newUpload('EX-1');
        const sha256 = createHash('sha256').update(upload.bytes).digest('hex');
        const blob = path.join(dataDir, 'blobs', 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);

        const answering = send(service.url, token, caseId, upload);
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
          if ((await storeContents(dataDir)).blobs.includes(sha256)) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await rm(blob, { force: false });
        const refused = await answering;
        expect(refused?.status, refused?.text).to.equal(503);
        expect(refused?.body).to.include({
          code: 'DEPENDENCY_UNAVAILABLE',
          type: 'urn:custody-ledger:problem:dependency-unavailable',
        });
        expect(refused?.headers.get('retry-after')).to.equal('1');
        expect(await referencedBlobs(url)).to.deep.equal([]);

        const retried = await send(service.url, token, caseId, upload);
        expect(retried?.status, retried?.text).to.equal(201);
        await storeMatchesRows(url, () => storeContents(dataDir));
        expect(await referencedBlobs(url)).to.deep.equal([sha256]);
      } finally {
        await stopService(service.child);
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
});
