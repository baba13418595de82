import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { HALT_REASONS } from '../../src/log/log-integrity';
import { VERIFY_CODES } from '../../src/verify';

/** The codes listed as `| \`CODE\` |` rows in the section of `doc` that starts at `heading`. */
async function documentedCodes(doc: string, heading: string): Promise<string[]> {
  const text = await readFile(path.join(__dirname, '..', '..', '..', 'docs', doc), 'utf8');
  const from = text.indexOf(heading);
  expect(from, `${doc} has a section "${heading}"`).to.be.at.least(0);
  const next = text.indexOf('\n## ', from + 1);
  const section = text.slice(from, next === -1 ? undefined : next);
  return [...section.matchAll(/^\| `([A-Z_]+)` *\|/gm)].map((match) => match[1] as string).sort();
}

describe('codes the documentation explains (docs are code)', () => {
  it('when docs/verifying.md is read, then its failure-code table lists exactly the verifier’s codes', async () => {
    expect(await documentedCodes('verifying.md', '## Failure codes')).to.deep.equal([...VERIFY_CODES].sort());
  });

  it('when docs/operations.md is read, then its table lists exactly the reasons the log halts for', async () => {
    expect(await documentedCodes('operations.md', '## What the service checks at start')).to.deep.equal(
      [...HALT_REASONS].sort(),
    );
  });
});
