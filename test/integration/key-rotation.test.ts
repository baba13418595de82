import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { decodeProtectedHeader } from 'jose';
import { childEnv } from '../../scripts/lib/service-process';
import { parseVerifierKey } from '../../src/ledger';
import { verifyReceipt } from '../../src/verify';
import { withScratchDatabase } from '../support/database';
import { startTestService, uniqueAgency, uniqueSub } from '../support/service';

const KEYS = path.join(__dirname, '..', '..', 'scripts', 'keys.js');

type RotatingService = Awaited<ReturnType<typeof startTestService>>;

/** A service on a scratch database with its own DATA_DIR, and the keys command bound to both. */
async function withKeyedService(
  prefix: string,
  body: (service: RotatingService, keys: (...args: string[]) => Promise<{ stdout: string }>) => Promise<void>,
): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  try {
    await withScratchDatabase(async (url) => {
      const service = await startTestService({ DATABASE_URL: url, DATA_DIR: dataDir });
      try {
        await body(service, (...args) =>
          promisify(execFile)(process.execPath, [KEYS, ...args], {
            env: childEnv({ DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'warn' }),
          }),
        );
      } finally {
        await service.stop();
      }
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Opens a case and returns the receipt it was answered with. */
async function receiptOfNewCase(service: RotatingService, token: string): Promise<string> {
  const opened = await service.call('POST', '/v1/cases', {
    token,
    json: { reference: randomUUID(), title: 'T' },
  });
  return opened.body.receipt as string;
}

describe('receipt key rotation (npm run keys -- rotate)', function () {
  this.timeout(60_000);

  it('when the receipt key is rotated, then old receipts still verify, the rotation is logged and new receipts use the new key', async () => {
    await withKeyedService('custody-rotation-', async (service, keys) => {
      const token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
      const openCase = () => receiptOfNewCase(service, token);
      const before = await openCase();
      const oldKid = decodeProtectedHeader(before).kid;

      const { stdout } = await keys('rotate', '--sub', 'ops-rashad', '--agency', 'AZ-SSS');
      const rotation = JSON.parse(stdout);
      expect(rotation.retired).to.deep.equal([oldKid]);
      expect(rotation.current).to.not.equal(oldKid);

      const jwks = (await service.call('GET', '/.well-known/jwks.json')).body;
      expect(jwks.keys.map((key: { kid: string }) => key.kid)).to.have.members([oldKid, rotation.current]);
      const status = Object.fromEntries(
        jwks.custody_ledger.keys.map((key: { kid: string; status: string }) => [key.kid, key.status]),
      );
      expect(status).to.deep.equal({ [oldKid as string]: 'retired', [rotation.current]: 'current' });

      const logKey = parseVerifierKey((await service.call('GET', '/v1/log/info')).body.vkey);
      expect(
        (await verifyReceipt(before, { jwks, logKey })).valid,
        'receipt from before the rotation',
      ).to.equal(true);
      const logged = await verifyReceipt(rotation.receipt, { jwks, logKey });
      expect(logged.valid).to.equal(true);
      expect(logged.payload?.entry).to.deep.include({
        subject: { type: 'key', id: rotation.current },
        type: 'key.rotated',
      });
      // The operator is named only behind a digest: a key rotation is a public fact, the person is not.
      expect(logged.payload?.entry.actor).to.deep.include({ agency: 'AZ-SSS', role: 'admin' });
      expect(logged.payload?.entry.actor).not.to.have.property('sub');
      expect(JSON.stringify(logged.payload?.entry)).not.to.include('ops-rashad');
      expect(logged.payload?.entry.data).to.deep.include({ kid: rotation.current, retires: [oldKid] });
      expect(logged.payload?.index).to.equal(rotation.index);

      // The running service notices the rotation within its refresh interval.
      let kid = oldKid;
      for (const deadline = Date.now() + 15_000; kid === oldKid && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        kid = decodeProtectedHeader(await openCase()).kid;
      }
      expect(kid).to.equal(rotation.current);
    });
  });

  it('when the current key is marked compromised since a time, then it is rotated out, the JWKS publishes the time, and what it made after that time no longer verifies', async () => {
    await withKeyedService('custody-compromise-', async (service, keys) => {
      const token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
      const openCase = () => receiptOfNewCase(service, token);
      const before = await openCase();
      const kid = decodeProtectedHeader(before).kid as string;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const since = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const after = await openCase();

      const future = await keys('compromised', '--kid', kid, '--since', '2999-01-01T00:00:00Z').catch(
        (error: { code: number }) => error,
      );
      expect((future as { code: number }).code).to.equal(64);

      const marked = JSON.parse((await keys('compromised', '--kid', kid, '--since', since)).stdout);
      expect(marked).to.include({ compromised: kid, since });
      expect(marked.rotated.retired).to.deep.equal([kid]);

      const jwks = (await service.call('GET', '/.well-known/jwks.json')).body;
      const published = jwks.keys.find((key: { kid: string }) => key.kid === kid);
      expect(published.compromised_at).to.equal(since);
      expect(published.retired_at).to.be.a('string');
      const logKey = parseVerifierKey((await service.call('GET', '/v1/log/info')).body.vkey);
      expect(verifyReceipt(before, { jwks, logKey }).valid).to.equal(true);
      expect(verifyReceipt(after, { jwks, logKey }).reason).to.equal('KEY_COMPROMISED');
      const checked = await service.call('POST', '/v1/receipts/verify', { json: { receipt: after } });
      expect(checked.body).to.include({ valid: false, reason: 'KEY_COMPROMISED' });
      const logged = verifyReceipt(marked.receipt, { jwks, logKey });
      expect(logged.payload?.entry).to.deep.include({
        subject: { type: 'key', id: kid },
        type: 'key.compromised',
      });
    });
  });
});
