import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { runStatements, withScratchDatabase } from '../support/database';
import { runScript } from '../support/script';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

async function openCases(service: TestService, count: number): Promise<void> {
  const token = await service.token(uniqueSub('tamper'), uniqueAgency());
  // One request at a time: each is its own batch, with its own checkpoint.
  for (let i = 0; i < count; i++) {
    const response = await service.call('POST', '/v1/cases', {
      token,
      json: { reference: `T-${randomUUID()}`, title: `Case ${i}` },
    });
    expect(response.status).to.equal(201);
  }
}

/**
 * Two cases, a backup, three more cases, then the backup restored over the
 * database: DATA_DIR has seen checkpoints the database no longer holds.
 */
async function restoreOlderBackup(url: string, env: Record<string, string>): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const backup = `${name}_backup`;
  let service = await startTestService(env);
  await openCases(service, 2);
  await service.stop();
  await runStatements(admin.toString(), [`CREATE DATABASE ${backup} TEMPLATE ${name}`]);
  service = await startTestService(env);
  await openCases(service, 3);
  await service.stop();
  await runStatements(admin.toString(), [
    `DROP DATABASE ${name} WITH (FORCE)`,
    `ALTER DATABASE ${backup} RENAME TO ${name}`,
  ]);
}

/** Starts the service, reads /readyz, tries a write, and stops it. */
async function startAndProbe(env: Record<string, string>) {
  const service = await startTestService(env);
  try {
    const ready = await service.call('GET', '/readyz');
    const token = await service.token(uniqueSub('probe'), uniqueAgency());
    const write = await service.call('POST', '/v1/cases', {
      token,
      json: { reference: `P-${randomUUID()}`, title: 'Probe' },
    });
    return { ready, write };
  } finally {
    await service.stop();
  }
}

describe('tampering noticed at start', function () {
  this.timeout(120_000);
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'custody-tamper-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when an older backup is restored over the database, then the service refuses to sign until the rollback is recorded', async () => {
    await withScratchDatabase(async (url) => {
      const env = { DATABASE_URL: url, DATA_DIR: dataDir };
      await restoreOlderBackup(url, env);

      const refused = await startAndProbe(env);
      expect(refused.ready.status).to.equal(503);
      expect(refused.ready.body.code).to.equal('LOG_INCONSISTENT');
      expect(refused.ready.body.reason).to.equal('LOG_ROLLED_BACK');
      expect(refused.write.body.code).to.equal('LOG_INCONSISTENT');

      const unconfirmed = await runScript('recover', ['rollback'], env);
      expect(unconfirmed.code).to.equal(1);
      expect(JSON.parse(unconfirmed.stdout)).to.include({ recorded: false, reason: 'LOG_ROLLED_BACK' });
      const recovered = await runScript('recover', ['rollback', '--confirm'], env);
      expect(recovered.code, recovered.stdout + recovered.stderr).to.equal(0);
      const record = JSON.parse(recovered.stdout);
      expect(record).to.include({ recorded: true, reason: 'LOG_ROLLED_BACK' });

      const resumed = await startAndProbe(env);
      expect(resumed.ready.status).to.equal(200);
      expect(resumed.write.status).to.equal(201);
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query(
          "SELECT convert_from(leaf_data, 'UTF8') AS entry FROM log_entries WHERE entry_type = 'log.rolled_back'",
        );
        expect(rows).to.have.length(1);
        const entry = JSON.parse(rows[0].entry);
        expect(entry.subject.type).to.equal('key');
        expect(entry.data.lost.size).to.equal(record.lost.size);
        expect(entry.data.lost.root).to.equal(record.lost.root);
        expect(entry.data.found.size).to.be.lessThan(record.lost.size);
      } finally {
        await client.end();
      }
      // Nothing left to recover.
      expect((await runScript('recover', ['rollback', '--confirm'], env)).code).to.equal(0);
    });
  });

  it('when an older backup is restored and another site with the same keys writes a different history of the same size, then the service sees a split view and refuses to sign', async () => {
    await withScratchDatabase(async (url) => {
      const env = { DATABASE_URL: url, DATA_DIR: dataDir };
      await restoreOlderBackup(url, env);
      // The other site has the keys but not this site's record of what it signed.
      const otherSite = await mkdtemp(path.join(os.tmpdir(), 'custody-other-site-'));
      try {
        await cp(path.join(dataDir, 'keys'), path.join(otherSite, 'keys'), { recursive: true });
        const service = await startTestService({ ...env, DATA_DIR: otherSite });
        await openCases(service, 3);
        await service.stop();
      } finally {
        await rm(otherSite, { recursive: true, force: true });
      }

      const refused = await startAndProbe(env);
      expect(refused.ready.status).to.equal(503);
      expect(refused.ready.body).to.include({ code: 'LOG_INCONSISTENT', reason: 'SPLIT_VIEW' });
      expect(refused.write.body.code).to.equal('LOG_INCONSISTENT');
    });
  });

  it('when there is no rollback, then the recovery command records nothing', async () => {
    await withScratchDatabase(async (url) => {
      const env = { DATABASE_URL: url, DATA_DIR: dataDir };
      const service = await startTestService(env);
      await openCases(service, 1);
      await service.stop();
      const run = await runScript('recover', ['rollback', '--confirm'], env);
      expect(run.code).to.equal(0);
      expect(JSON.parse(run.stdout)).to.deep.equal({ recorded: false, halted: null });
    });
  });

  const tamperings: Array<{ name: string; statements: string[]; reason: string }> = [
    {
      name: 'an old checkpoint row is deleted',
      statements: [
        'ALTER TABLE log_checkpoints DISABLE TRIGGER log_checkpoints_append_only',
        'DELETE FROM log_checkpoints WHERE size = (SELECT size FROM log_checkpoints ORDER BY size OFFSET 2 LIMIT 1)',
      ],
      reason: 'CHECKPOINT_MISSING',
    },
    {
      name: 'the head checkpoint is swapped for an older one',
      statements: [
        'ALTER TABLE log_head DISABLE TRIGGER log_head_only_grows',
        `UPDATE log_head SET (size, root, checkpoint) =
           (SELECT size, root, note FROM log_checkpoints ORDER BY size DESC OFFSET 1 LIMIT 1)`,
      ],
      reason: 'HEAD_MISMATCH',
    },
    {
      name: "a checkpoint's root column is changed",
      statements: [
        'ALTER TABLE log_checkpoints DISABLE TRIGGER log_checkpoints_append_only',
        "UPDATE log_checkpoints SET root = sha256('forged') WHERE size = (SELECT size FROM log_checkpoints ORDER BY size OFFSET 2 LIMIT 1)",
      ],
      reason: 'CHECKPOINT_INVALID',
    },
    {
      name: "a checkpoint's note is replaced by another signed note",
      statements: [
        'ALTER TABLE log_checkpoints DISABLE TRIGGER log_checkpoints_append_only',
        `UPDATE log_checkpoints SET note = (SELECT note FROM log_checkpoints ORDER BY size OFFSET 1 LIMIT 1)
          WHERE size = (SELECT size FROM log_checkpoints ORDER BY size OFFSET 2 LIMIT 1)`,
      ],
      reason: 'CHECKPOINT_INVALID',
    },
  ];

  for (const tampering of tamperings) {
    it(`when ${tampering.name}, then the service refuses to sign and /readyz answers ${tampering.reason}`, async () => {
      await withScratchDatabase(async (url) => {
        const env = { DATABASE_URL: url, DATA_DIR: dataDir };
        const service = await startTestService(env);
        await openCases(service, 4);
        await service.stop();
        await runStatements(url, tampering.statements);
        const probe = await startAndProbe(env);
        expect(probe.ready.status).to.equal(503);
        expect(probe.ready.body.reason).to.equal(tampering.reason);
        expect(probe.write.body.code).to.equal('LOG_INCONSISTENT');
      });
    });
  }

  it('when the database is intact, then a restart verifies only the newer checkpoints and signs on', async () => {
    await withScratchDatabase(async (url) => {
      const env = { DATABASE_URL: url, DATA_DIR: dataDir };
      let service = await startTestService(env);
      await openCases(service, 2);
      await service.stop();
      service = await startTestService(env);
      await openCases(service, 2);
      await service.stop();
      const probe = await startAndProbe(env);
      expect(probe.ready.status).to.equal(200);
      expect(probe.write.status).to.equal(201);
    });
  });

  it('when DATA_DIR has no witness yet for an existing database, then the service creates it and signs on', async () => {
    await withScratchDatabase(async (url) => {
      const env = { DATABASE_URL: url, DATA_DIR: dataDir };
      const service = await startTestService(env);
      await openCases(service, 2);
      await service.stop();
      await rm(path.join(dataDir, 'log-witness'), { recursive: true, force: true });
      const probe = await startAndProbe(env);
      expect(probe.ready.status).to.equal(200);
      expect(probe.write.status).to.equal(201);
    });
  });
});
