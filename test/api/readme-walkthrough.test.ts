import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { testDatabase } from '../support/database';
import { startTestService, type TestService } from '../support/service';

const REPOSITORY = path.join(__dirname, '..', '..', '..');
const MARKER = '<!-- walkthrough:';

/** The shell block that follows the walk-through marker in the README, exactly as a reader copies it. */
async function walkthroughBlock(): Promise<string> {
  const readme = await readFile(path.join(REPOSITORY, 'README.md'), 'utf8');
  const after = readme.slice(readme.indexOf(MARKER));
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(after);
  if (readme.indexOf(MARKER) < 0 || !block?.[1]) throw new Error('the README has no walk-through block');
  return block[1];
}

describe('the README walk-through', function () {
  this.timeout(300_000);
  let service: TestService;

  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
    await rm(path.join(REPOSITORY, 'walkthrough'), { recursive: true, force: true });
  });

  it('when its block is run as is against a fresh service, then every command succeeds and the checks it prints pass', async () => {
    const script = await walkthroughBlock();
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: REPOSITORY,
      env: {
        ...process.env,
        LEDGER: service.url,
        DATA_DIR: service.config.dataDir,
        DATABASE_URL: testDatabase().url,
        DATABASE_OWNER_URL: testDatabase().ownerUrl,
        LOG_LEVEL: 'warn',
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    // What the reader is told to expect, from the commands' own output.
    expect(stdout).to.include('walkthrough/copy.img: OK');
    expect(stdout).to.include('verified: the package is intact and everything in it verifies');
    expect(stdout).to.match(/^verified: evidence\.acquired of evidence:/m);
    expect(stdout).to.match(/^ok {3}the log of size \d+ extends the log of size \d+/m);
    expect(stdout).to.match(
      /^ok {3}every checkpoint signature, entry, chain link, tree node and root verified/m,
    );
    expect(stdout).to.not.match(/^FAIL/m);
    const report = JSON.parse(await readFile(path.join(REPOSITORY, 'walkthrough', 'report.json'), 'utf8'));
    expect(report.report.verification.verdict).to.equal('verified');
    expect(
      (await readFile(path.join(REPOSITORY, 'walkthrough', 'report.pdf'))).subarray(0, 5).toString(),
    ).to.equal('%PDF-');
  });
});
