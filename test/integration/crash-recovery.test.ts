import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { exited, spawnService, stopService } from '../../scripts/lib/service-process';
import { issueBuiltInToken } from '../../src/access/built-in-issuer';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/data-source';
import { LogRepository } from '../../src/db/log.repository';
import {
  fromBase64,
  openCheckpoint,
  parseTlogProof,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger';
import { auditLedger } from '../../src/log/ledger-audit';
import { verifyReceipt } from '../../src/verify';
import { withScratchDatabase } from '../support/database';
import { call, testDataDir, uniqueAgency } from '../support/service';

describe('crash recovery', function () {
  this.timeout(120_000);

  it('when the service is killed with SIGKILL during a burst, then every receipt it returned still verifies and is consistent with the next checkpoint', async () => {
    await withScratchDatabase(async (url) => {
      const dataDir = await testDataDir();
      const env = { DATABASE_URL: url, DATA_DIR: dataDir };
      const config = loadConfig(env);
      const token = await issueBuiltInToken(config, {
        sub: `burst-${randomUUID()}`,
        agency: uniqueAgency(),
        roles: ['investigator'],
        ttlSeconds: 600,
      });

      const first = await spawnService(env);
      const receipts: string[] = [];
      let failures = 0;
      let killed = false;
      const clients = Array.from({ length: 32 }, async () => {
        while (!killed || receipts.length === 0) {
          const response = await call(first.url, 'POST', '/v1/cases', {
            token,
            json: { reference: `BURST-${randomUUID()}`, title: 'Burst' },
          }).catch(() => undefined);
          if (response?.status === 201) receipts.push(response.body.receipt);
          else failures++;
          if (killed && failures > 0) return;
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 700));
      first.child.kill('SIGKILL');
      killed = true;
      await Promise.all(clients);
      await exited(first.child);
      expect(receipts.length, 'receipts returned before the kill').to.be.greaterThan(10);

      const second = await spawnService(env);
      try {
        const info = (await call(second.url, 'GET', '/v1/log/info')).body;
        const logKey = parseVerifierKey(info.vkey);
        const jwks = (await call(second.url, 'GET', '/.well-known/jwks.json')).body;
        const latest = openCheckpoint((await call(second.url, 'GET', '/v1/log/checkpoint')).text, logKey);

        for (const receipt of receipts) {
          const result = await verifyReceipt(receipt, { jwks, logKey });
          expect(result.valid, JSON.stringify(result.checks)).to.equal(true);
          // The entry is in the tree of the checkpoint signed after the restart...
          const index = result.payload?.index as number;
          const inclusion = await call(
            second.url,
            'GET',
            `/v1/log/proof/inclusion?index=${index}&size=${latest.size}`,
          );
          const leaf = Buffer.from(result.payload?.jti ?? '', 'base64url');
          verifyInclusion(index, latest.size, leaf, inclusion.body.proof.map(fromBase64), latest.root);
          // ...and the checkpoint the receipt carried is a prefix of it.
          const earlier = openCheckpoint(parseTlogProof(result.payload?.tlog_proof ?? '').checkpoint, logKey);
          expect(earlier.size).to.be.at.most(latest.size);
          const proof = await call(
            second.url,
            'GET',
            `/v1/log/proof/consistency?from=${earlier.size}&to=${latest.size}`,
          );
          expect(proof.status).to.equal(200);
          verifyConsistency(
            earlier.size,
            latest.size,
            proof.body.proof.map(fromBase64),
            earlier.root,
            latest.root,
          );
        }

        // The restarted service keeps appending on top of what survived.
        const after = await call(second.url, 'POST', '/v1/cases', {
          token,
          json: { reference: 'AFTER', title: 'After' },
        });
        expect(after.status).to.equal(201);
        const db = await openDatabase(url);
        try {
          expect((await auditLedger(new LogRepository(db), logKey)).ok).to.equal(true);
        } finally {
          await db.destroy();
        }
      } finally {
        await stopService(second.child);
      }
    });
  });
});
