import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../scripts/lib/service-process';
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
      { CUSTODY_TOKEN: token, CUSTODY_URL: service.url },
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
      },
    );
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(`127.0.0.1:${port}`);
    expect(run.stderr).to.include('--url');
    expect(run.stderr).to.not.match(STACK_FRAME);
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
