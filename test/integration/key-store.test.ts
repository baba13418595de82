import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ensureServiceKeys, keysDir, listReceiptKeys } from '../../src/keys/key-store';

describe('key store', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'custody-keys-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when the service first starts, then it creates three distinct Ed25519 keys readable only by the owner', async () => {
    const keys = await ensureServiceKeys(dataDir);
    const kids = new Set([keys.log.kid, keys.receipt.kid, keys.tokenIssuer.kid]);
    expect(kids.size).to.equal(3);
    for (const key of [keys.log, keys.receipt, keys.tokenIssuer]) {
      expect(key.privateJwk).to.include({ kty: 'OKP', crv: 'Ed25519' });
      expect(key.retiredAt).to.equal(null);
    }
    const dir = keysDir(dataDir);
    expect((await stat(dir)).mode & 0o777).to.equal(0o700);
    for (const file of ['log.json', 'token-issuer.json', path.join('receipts', 'initial.json')]) {
      expect((await stat(path.join(dir, file))).mode & 0o777, file).to.equal(0o600);
    }
  });

  it('when it starts again, then it loads the same keys instead of making new ones', async () => {
    const first = await ensureServiceKeys(dataDir);
    const second = await ensureServiceKeys(dataDir);
    expect(second).to.deep.equal(first);
    expect(await listReceiptKeys(dataDir)).to.have.length(1);
  });

  it('when several processes start at once, then they agree on one key of each kind and leave no temporary files', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => ensureServiceKeys(dataDir)));
    for (const keys of all) expect(keys).to.deep.equal(all[0]);
    expect((await readdir(keysDir(dataDir))).filter((name) => name.endsWith('.tmp'))).to.deep.equal([]);
  });
});
