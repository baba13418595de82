import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runStatements, withScratchDatabase } from '../support/database';
import { runScript } from '../support/script';
import { startTestService, type TestService, testDataDir, uniqueAgency, uniqueSub } from '../support/service';

const verify = (args: string[], env: Record<string, string> = {}) => runScript('verify', args, env);

describe('the offline verifier (npm run verify)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-verify-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A service on a fresh database with a few cases and grants in its log. */
  async function withPopulatedLog(
    body: (service: TestService, url: string, receipts: string[]) => Promise<void>,
  ) {
    await withScratchDatabase(async (url) => {
      const service = await startTestService({ DATABASE_URL: url });
      try {
        const token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
        const receipts: string[] = [];
        for (let i = 0; i < 6; i++) {
          const opened = await service.call('POST', '/v1/cases', {
            token,
            json: { reference: `V-${randomUUID()}`, title: `Case ${i}` },
          });
          receipts.push(opened.body.receipt);
          const granted = await service.call('POST', `/v1/cases/${opened.body.case.id}/grants`, {
            token,
            json: { agency: 'AZ-COURT', role: 'court' },
          });
          receipts.push(granted.body.receipt);
        }
        await body(service, url, receipts);
      } finally {
        await service.stop();
      }
    });
  }

  it('when given a receipt, the JWKS and the vkey, then it verifies offline and prints every check', async () => {
    await withPopulatedLog(async (service, _url, receipts) => {
      const vkey = (await service.call('GET', '/v1/log/info')).body.vkey;
      await writeFile(
        path.join(dir, 'jwks.json'),
        (await service.call('GET', '/.well-known/jwks.json')).text,
      );
      await writeFile(path.join(dir, 'receipt.jws'), `${receipts[3]}\n`);
      const run = await verify([
        'receipt',
        path.join(dir, 'receipt.jws'),
        '--jwks',
        path.join(dir, 'jwks.json'),
        '--vkey',
        vkey,
      ]);
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout.match(/^ok {3}/gm)).to.have.length(5);

      const [header, payload, signature] = (receipts[3] as string).split('.');
      const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString('utf8'));
      claims.index += 1;
      await writeFile(
        path.join(dir, 'forged.jws'),
        `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`,
      );
      const forged = await verify([
        'receipt',
        path.join(dir, 'forged.jws'),
        '--jwks',
        path.join(dir, 'jwks.json'),
        '--vkey',
        vkey,
      ]);
      expect(forged.code).to.equal(1);
      expect(forged.stdout).to.match(/^FAIL JWS signature/m);
    });
  });

  it('when given two checkpoints and the consistency proof, then it proves the newer log extends the older', async () => {
    await withPopulatedLog(async (service) => {
      const vkey = (await service.call('GET', '/v1/log/info')).body.vkey;
      const older = (await service.call('GET', '/v1/log/checkpoint')).text;
      const token = await service.token(uniqueSub('bob'), uniqueAgency(), 'investigator');
      await service.call('POST', '/v1/cases', { token, json: { reference: 'LATER', title: 'Later' } });
      const newer = (await service.call('GET', '/v1/log/checkpoint')).text;
      const [from, to] = [older, newer].map((note) => Number(note.split('\n')[1]));
      const proof = await service.call('GET', `/v1/log/proof/consistency?from=${from}&to=${to}`);
      await writeFile(path.join(dir, 'old.checkpoint'), older);
      await writeFile(path.join(dir, 'new.checkpoint'), newer);
      await writeFile(path.join(dir, 'proof.json'), proof.text);
      const files = [path.join(dir, 'old.checkpoint'), path.join(dir, 'new.checkpoint')];
      const run = await verify([
        'consistency',
        ...files,
        '--vkey',
        vkey,
        '--proof',
        path.join(dir, 'proof.json'),
      ]);
      expect(run.code, run.stdout + run.stderr).to.equal(0);

      const swapped = await verify([
        'consistency',
        ...files.reverse(),
        '--vkey',
        vkey,
        '--proof',
        path.join(dir, 'proof.json'),
      ]);
      expect(swapped.code).to.equal(1);
      expect(swapped.stdout).to.match(/FAIL CONSISTENCY_INVALID/);
    });
  });

  it('when the database is intact, then `verify ledger` passes; after a direct SQL edit of an entry it names that entry', async () => {
    await withPopulatedLog(async (_service, url) => {
      const env = { DATABASE_URL: url, DATA_DIR: await testDataDir() };
      const clean = await verify(['ledger'], env);
      expect(clean.code, clean.stdout + clean.stderr).to.equal(0);
      expect(clean.stdout).to.match(/12 of 12 entries checked/);

      await runStatements(url, [
        'ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only',
        "UPDATE log_entries SET leaf_data = convert_to(replace(convert_from(leaf_data, 'UTF8'), '\"agency\":\"', '\"agency\":\"X'), 'UTF8') WHERE idx = 6",
      ]);
      // The first run was recorded, so only a full run goes back over entry 6.
      const tampered = await verify(['ledger', '--full'], env);
      expect(tampered.code).to.equal(1);
      expect(tampered.stdout).to.match(/first failure at entry 6: LEAF_HASH_MISMATCH/);
    });
  });

  it('when the chain link of an entry is rewritten with a matching hash, then `verify ledger` still catches it', async () => {
    await withPopulatedLog(async (_service, url) => {
      const env = { DATABASE_URL: url, DATA_DIR: await testDataDir() };
      // Rewrite entry 4 and its stored hash together: only the tree and the checkpoints betray it.
      await runStatements(url, [
        'ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only',
        "UPDATE log_entries SET leaf_data = convert_to(replace(convert_from(leaf_data, 'UTF8'), '\"agency\":\"', '\"agency\":\"X'), 'UTF8') WHERE idx = 4",
        "UPDATE log_entries SET leaf_hash = sha256('\\x00'::bytea || leaf_data) WHERE idx = 4",
      ]);
      const tampered = await verify(['ledger'], env);
      expect(tampered.code).to.equal(1);
      expect(tampered.stdout).to.match(/first failure at entry 4: ROOT_MISMATCH/);
    });
  });

  it('when called without a command or with a missing file, then it exits 64 with usage', async () => {
    expect((await verify([])).code).to.equal(64);
    expect((await verify(['receipt', path.join(dir, 'absent.jws'), '--vkey', 'x+y+z'])).code).to.equal(64);
  });
});
