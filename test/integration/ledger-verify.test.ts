import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { withScratchDatabase } from '../support/database';
import { runScript } from '../support/script';
import { startTestService, uniqueAgency, uniqueSub } from '../support/service';

async function openCases(env: Record<string, string>, count: number): Promise<void> {
  const service = await startTestService(env);
  try {
    const token = await service.token(uniqueSub('verify'), uniqueAgency());
    for (let i = 0; i < count; i++) {
      const response = await service.call('POST', '/v1/cases', {
        token,
        json: { reference: `V-${randomUUID()}`, title: `Case ${i}` },
      });
      expect(response.status).to.equal(201);
    }
  } finally {
    await service.stop();
  }
}

/** What a `verify ledger` run printed: where it started, what it checked, whether it was recorded. */
async function verifyLedger(env: Record<string, string>, ...args: string[]) {
  const run = await runScript('verify', ['ledger', ...args], env);
  const counts = /(\d+) of (\d+) entries checked \(from entry (\d+)\)/.exec(run.stdout);
  return {
    code: run.code,
    checked: Number(counts?.[1]),
    size: Number(counts?.[2]),
    from: Number(counts?.[3]),
    recorded: /run recorded as log entry \d+/.test(run.stdout),
    failure: /first failure at entry (\d+): ([A-Z_]+)/.exec(run.stdout)?.slice(1, 3),
  };
}

describe('verify ledger, incrementally', function () {
  this.timeout(120_000);

  it('when run twice, then the second run verifies only the newer entries; --full verifies all and still finds a tampered old entry', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'custody-ledger-verify-'));
    try {
      await withScratchDatabase(async (url) => {
        const env = { DATABASE_URL: url, DATA_DIR: dataDir };
        await openCases(env, 4);
        const first = await verifyLedger(env);
        expect(first).to.include({ code: 0, from: 0, checked: 4, size: 4, recorded: true });

        await openCases(env, 3);
        const second = await verifyLedger(env);
        // From the end of the first run: its own record and the three new cases.
        expect(second).to.include({ code: 0, from: 4, checked: 4, size: 8, recorded: true });

        const full = await verifyLedger(env, '--full');
        expect(full).to.include({ code: 0, from: 0, checked: 9, size: 9 });

        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          await client.query('ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only');
          await client.query(
            "UPDATE log_entries SET leaf_data = convert_to(replace(convert_from(leaf_data, 'UTF8'), '\"agency\":\"', '\"agency\":\"X'), 'UTF8') WHERE idx = 1",
          );
        } finally {
          await client.end();
        }
        const incremental = await verifyLedger(env);
        expect(incremental.code).to.equal(0);
        expect(incremental.from).to.be.greaterThan(1);
        const tampered = await verifyLedger(env, '--full');
        expect(tampered.code).to.equal(1);
        expect(tampered.failure).to.deep.equal(['1', 'LEAF_HASH_MISMATCH']);
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
