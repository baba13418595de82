import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { childEnv, freePort } from '../../scripts/lib/service-process';
import { testDatabase } from '../support/database';
import { runScript } from '../support/script';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/** A stack trace line: never shown to a person using the CLI. */
const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe('the upload CLI (npm run upload)', () => {
  let service: TestService;
  let dir: string;
  let token: string;
  let caseId: string;

  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'custody-upload-cli-'));
    token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
    const opened = await service.call('POST', '/v1/cases', {
      token,
      json: { reference: 'CLI-1', title: 'Upload CLI' },
    });
    caseId = opened.body.case.id;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const upload = (file: string, ...extra: string[]) =>
    runScript(
      'upload',
      [
        '--case',
        caseId,
        '--file',
        file,
        '--exhibit',
        `EX-${randomBytes(3).toString('hex')}`,
        '--description',
        'd',
        ...extra,
      ],
      { CUSTODY_TOKEN: token, CUSTODY_URL: service.url, CUSTODY_UPLOAD_STATE: path.join(dir, 'state.json') },
    );

  it('when a file is uploaded without a terminal, then plain progress lines in human units go to stderr and the item to stdout', async () => {
    const bytes = randomBytes(3_500_000);
    const file = path.join(dir, 'disk.dd');
    await writeFile(file, bytes);
    const run = await upload(file);
    expect(run.code).to.equal(0);
    const { evidence, receipt } = JSON.parse(run.stdout);
    expect(evidence.digests.sha256).to.equal(createHash('sha256').update(bytes).digest('hex'));
    expect(evidence.size).to.equal(bytes.length);
    expect(receipt).to.be.a('string');
    expect(run.stderr).to.match(/^uploading: 100%, 3\.5 MB of 3\.5 MB, .+\/s, ETA .+$/m);
    expect(run.stderr).to.not.include('\u001b['); // no terminal control sequences in a log
    expect(run.stderr).to.match(/^stored 3\.5 MB \(3500000 bytes\)/m);
    expect(run.stderr).to.not.include('resumed');
  });

  it('when --file is a directory, then it exits 64 saying so, without a stack trace or a request', async () => {
    const before = await service.call('GET', `/v1/log/info`);
    const run = await upload(dir);
    expect(run.code).to.equal(64);
    expect(run.stderr).to.include('--file');
    expect(run.stderr).to.not.match(STACK_FRAME);
    expect((await service.call('GET', `/v1/log/info`)).body.size).to.equal(before.body.size);
  });

  it('when --file does not exist, then it exits 64 without a stack trace', async () => {
    const run = await upload(path.join(dir, 'missing.E01'));
    expect(run.code).to.equal(64);
    expect(run.stderr).to.not.match(STACK_FRAME);
  });

  it('when --file is empty, then it is refused with 64 unless --allow-empty, which stores a 0-byte item', async () => {
    const file = path.join(dir, 'empty.bin');
    await writeFile(file, '');
    const refused = await upload(file);
    expect(refused.code).to.equal(64);
    expect(refused.stderr).to.include('--allow-empty');

    const allowed = await upload(file, '--allow-empty');
    expect(allowed.code).to.equal(0);
    const { evidence } = JSON.parse(allowed.stdout);
    expect(evidence.size).to.equal(0);
    expect(evidence.digests.sha256).to.equal(createHash('sha256').digest('hex'));
  });

  it('when nothing listens at the URL, then it exits 1 naming the URL and the --url option', async () => {
    const file = path.join(dir, 'disk.dd');
    await writeFile(file, randomBytes(1000));
    const port = await freePort();
    const run = await runScript(
      'upload',
      ['--case', caseId, '--file', file, '--exhibit', 'EX-1', '--description', 'd'],
      {
        CUSTODY_TOKEN: token,
        CUSTODY_URL: `http://127.0.0.1:${port}`,
        CUSTODY_UPLOAD_STATE: path.join(dir, 'state.json'),
      },
    );
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(`127.0.0.1:${port}`);
    expect(run.stderr).to.include('--url');
    expect(run.stderr).to.not.match(STACK_FRAME);
  });

  it('when the CLI is killed mid-upload and run again, then it resumes at the offset the service holds, without hashing or sending the file again, and stores one item', async () => {
    const bytes = randomBytes(12 * 1024 * 1024);
    const file = path.join(dir, 'laptop.E01');
    await writeFile(file, bytes);
    const proxy = await throttlingProxy(new URL(service.url), 4 * 1024 * 1024);
    const exhibit = `EX-${randomBytes(3).toString('hex')}`;
    const args = ['--case', caseId, '--file', file, '--exhibit', exhibit, '--description', 'd'];
    const env = {
      CUSTODY_TOKEN: token,
      CUSTODY_URL: proxy.url,
      CUSTODY_UPLOAD_STATE: path.join(dir, 'state.json'),
    };
    try {
      const first = spawn(
        process.execPath,
        [path.join(__dirname, '..', '..', 'scripts', 'upload.js'), ...args],
        {
          env: childEnv(env),
          stdio: 'ignore',
        },
      );
      // Killed once the service holds a good part of the file, and not all of it.
      let offset = 0;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && offset < 3 * 1024 * 1024; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        offset = await heldOffset(service, caseId);
      }
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const held = await heldOffset(service, caseId);
      expect(held).to.be.greaterThan(0);
      expect(held).to.be.lessThan(bytes.length);
      proxy.reset();

      const second = await runScript('upload', args, env);
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stderr).to.match(/^resumed an earlier upload at /m);
      expect(second.stderr).to.not.match(/^hashing/m);
      const { evidence } = JSON.parse(second.stdout);
      expect(evidence.digests.sha256).to.equal(createHash('sha256').update(bytes).digest('hex'));
      expect(evidence.exhibitNumber).to.equal(exhibit);
      // The second run sent what the service did not hold, and requests' headers: nothing twice.
      expect(proxy.sent()).to.be.at.most(bytes.length - held + 64 * 1024);
      const [items] = await testDatabase().db.query(
        'SELECT count(*)::int AS n FROM evidence WHERE case_id = $1',
        [caseId],
      );
      expect(items.n).to.equal(1);
    } finally {
      await proxy.close();
    }
  });

  it('when the service refuses the upload, then it exits 1 with the problem code on one line', async () => {
    const file = path.join(dir, 'disk.dd');
    await writeFile(file, randomBytes(1000));
    const first = await upload(file, '--exhibit', 'EX-SAME');
    expect(first.code).to.equal(0);
    const second = await upload(file, '--exhibit', 'EX-SAME');
    expect(second.code).to.equal(1);
    expect(second.stderr).to.match(/^upload refused: 409 EXHIBIT_NUMBER_TAKEN/m);
  });
});

/** The bytes the service holds of the case's one open upload (its file in the upload directory). */
async function heldOffset(service: TestService, caseId: string): Promise<number> {
  const [row] = await testDatabase().db.query('SELECT id FROM evidence_uploads WHERE case_id = $1', [caseId]);
  if (!row) return 0;
  return (await stat(path.join(service.config.resumableUploads.dir, row.id)).catch(() => ({ size: 0 }))).size;
}

/**
 * A TCP proxy to `target` that forwards the client's bytes at about
 * `bytesPerSecond` (a slow link), counting them; the answers pass unthrottled.
 */
async function throttlingProxy(target: URL, bytesPerSecond: number) {
  let sent = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      upstream.write(chunk);
      client.pause();
      setTimeout(() => client.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => sent,
    reset: () => {
      sent = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
