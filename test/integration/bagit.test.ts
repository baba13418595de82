import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'chai';
import { openBag, type PayloadFile, verifyBag, writeBag } from '../../src/reports/bagit';

function payloadOf(name: string, bytes: Buffer): PayloadFile {
  return {
    path: name,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sha512: createHash('sha512').update(bytes).digest('hex'),
    open: () => Readable.from([bytes]),
  };
}

describe('BagIt bags (RFC 8493) as zip', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-bag-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const files = { image: randomBytes(200_000), logs: Buffer.from('line 1\nline 2\n') };
  const info = {
    sourceOrganization: 'AZ-SSS',
    externalIdentifier: 'disclosure-1',
    baggingDate: '2026-11-28',
  };

  async function build(payload: PayloadFile[], file = path.join(dir, 'bag.zip')) {
    const tags = [{ path: 'receipts/7.jws', bytes: Buffer.from('eyJhbGciOiJFZERTQSJ9.e30.sig') }];
    await pipeline(writeBag('disclosure-1', payload, tags, info), createWriteStream(file));
    return file;
  }

  async function checksOf(file: string) {
    const bag = await openBag(file);
    try {
      return (await verifyBag(bag)).checks;
    } finally {
      bag.close();
    }
  }

  it('when a bag is written and read back, then every check passes and the oxum counts the payload', async () => {
    const file = await build([
      payloadOf('EX-1/image.dd', files.image),
      payloadOf('EX-2/logs.txt', files.logs),
    ]);
    const checks = await checksOf(file);
    expect(checks.filter((c) => !c.ok)).to.deep.equal([]);
    expect(checks.map((c) => c.name)).to.include.members([
      'bagit.txt declares BagIt 1.0',
      'data/EX-1/image.dd matches its SHA-256 and SHA-512',
      'tag file receipts/7.jws matches the tag manifest',
    ]);
    const bag = await openBag(file);
    try {
      expect((await bag.read('bag-info.txt')).toString()).to.contain(
        `Payload-Oxum: ${files.image.length + files.logs.length}.2`,
      );
    } finally {
      bag.close();
    }
  });

  it('when one payload byte is changed inside the zip, then the payload check fails', async () => {
    const file = await build([payloadOf('EX-1/image.dd', files.image)]);
    const zipped = await readFile(file);
    const at = zipped.indexOf(files.image.subarray(1000, 1032));
    expect(at).to.be.greaterThan(0);
    zipped[at] = (zipped[at] as number) ^ 0xff;
    await writeFile(file, zipped);
    const failed = (await checksOf(file)).filter((c) => !c.ok).map((c) => c.name);
    expect(failed).to.deep.equal(['data/EX-1/image.dd matches its SHA-256 and SHA-512']);
  });

  it('when the manifest promises other bytes than the payload holds, then the bag does not verify', async () => {
    const lying = {
      ...payloadOf('EX-1/logs.txt', files.logs),
      open: () => Readable.from([Buffer.from('other bytes!!!')]),
    };
    const failed = (await checksOf(await build([lying]))).filter((c) => !c.ok).map((c) => c.name);
    expect(failed).to.include('data/EX-1/logs.txt matches its SHA-256 and SHA-512');
  });

  it('when a payload path tries to leave the bag, then writing refuses', () => {
    for (const bad of ['../etc/passwd', '/abs', 'a//b', 'a/./b']) {
      expect(() => writeBag('b', [payloadOf(bad, files.logs)], [], info), bad).to.throw();
    }
  });
});
