import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { EvidenceRepository } from '../../src/db/evidence.repository';
import { acquiredState } from '../../src/evidence/custody';
import { OrphanReconciler } from '../../src/evidence/orphan-reconciler';
import { createLogger } from '../../src/logger';
import { FsBlobStore } from '../../src/storage/fs-blob-store';
import { testDatabase } from '../support/database';
import { openCase, uploadItem } from '../support/fixtures';
import { startTestService, type TestService, uniqueAgency } from '../support/service';

const HOUR = 3_600_000;

describe('the orphan reconciler', function () {
  this.timeout(60_000);
  let blobDir: string;
  let service: TestService;
  let store: FsBlobStore;
  let token: string;
  const holder = { sub: `orphans-${randomUUID()}`, agency: uniqueAgency() };

  before(async () => {
    blobDir = await mkdtemp(path.join(os.tmpdir(), 'custody-orphans-'));
    service = await startTestService({ BLOB_DIR: blobDir });
    store = await FsBlobStore.open(blobDir);
    token = await service.token(holder.sub, holder.agency, 'investigator');
  });
  after(async () => {
    await service?.stop();
    await rm(blobDir, { recursive: true, force: true });
  });

  const reconciler = () =>
    new OrphanReconciler(
      store,
      new EvidenceRepository(testDatabase().db),
      testDatabase().db,
      createLogger('silent'),
      { graceMs: HOUR },
    );

  /** Stores bytes with no row, as a crash between linking and committing leaves them. */
  async function storeWithoutRow(bytes: Uint8Array = randomBytes(1000)): Promise<string> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const staging = await store.stage();
    await staging.write(bytes);
    await staging.finish();
    await store.commit(staging, sha256);
    return sha256;
  }

  /** Makes a stored blob look written `ms` ago. */
  async function age(sha256: string, ms: number): Promise<void> {
    const then = new Date(Date.now() - ms);
    await utimes(path.join(blobDir, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256), then, then);
  }

  it('when stored bytes have no row and are older than the grace period, then they are removed; referenced and young ones stay', async () => {
    const caseId = await openCase(service, token);
    const referencedBytes = randomBytes(2000);
    await uploadItem(service, token, caseId, referencedBytes);
    const referenced = createHash('sha256').update(referencedBytes).digest('hex');
    const orphan = await storeWithoutRow();
    const young = await storeWithoutRow();
    await age(referenced, 2 * HOUR);
    await age(orphan, 2 * HOUR);
    await age(young, HOUR / 2);

    expect(await reconciler().reconcile()).to.deep.equal({ removed: 1, kept: 2 });
    expect(await store.list()).to.deep.equal([referenced, young].sort());
    // Nothing left to do: a second pass removes nothing.
    expect(await reconciler().reconcile()).to.deep.equal({ removed: 0, kept: 2 });
    await store.remove(young);
  });

  it('when an intake reuses old orphaned bytes, then they are young again and stay while its row commits', async () => {
    const bytes = randomBytes(1500);
    const sha256 = await storeWithoutRow(bytes);
    await age(sha256, 2 * HOUR);
    // The same bytes arrive again: the commit finds them stored.
    const staging = await store.stage();
    await staging.write(bytes);
    await staging.finish();
    expect(await store.commit(staging, sha256)).to.deep.equal({ created: false });
    expect(await reconciler().reconcile()).to.deep.include({ removed: 0 });
    expect(await store.exists(sha256)).to.equal(true);
    await store.remove(sha256);
  });

  it('when an old orphan gets its row while the reconciler waits for its lock, then the reconciler keeps it', async () => {
    const caseId = await openCase(service, token);
    const sha256 = await storeWithoutRow();
    await age(sha256, 2 * HOUR);
    const db = testDatabase().db;
    const evidence = new EvidenceRepository(db);
    let pass: Promise<unknown> | undefined;
    // The log batch's transaction, as EvidenceRepository.insertAll runs it: the content
    // address's lock first, then the row, committed together.
    await evidence.withBlobLock(sha256, async (tx) => {
      pass = reconciler().reconcile();
      await waitForAdvisoryLockWaiter();
      await evidence.insertAll(tx, [evidenceRecord(caseId, sha256, holder)]);
    });
    expect(await pass).to.deep.include({ removed: 0 });
    expect(await store.exists(sha256)).to.equal(true);
  });
});

/** Resolves once some session of this database waits for an advisory lock. */
async function waitForAdvisoryLockWaiter(): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const [{ waiting }] = await testDatabase().db.query(
      `SELECT count(*)::int AS waiting FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    if (waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('nothing waited for the lock');
}

/** A row as intake writes it, by the principal who opened the case. */
function evidenceRecord(caseId: string, sha256: string, holder: { sub: string; agency: string }) {
  return {
    id: randomUUID(),
    caseId,
    exhibitNumber: `EX-${randomUUID()}`,
    description: 'reconciled',
    source: 'test',
    acquiredAt: new Date(),
    acquiredBy: 'test',
    acquisitionTool: null,
    location: null,
    sealNumber: null,
    originalFilename: null,
    mediaType: null,
    size: 1000,
    sha256,
    sha512: 'a'.repeat(128),
    md5: null,
    sha1: null,
    acquisitionHash: null,
    createdBy: holder.sub,
    createdAt: new Date(),
    custody: acquiredState(holder, null),
  };
}
