import { expect } from 'chai';
import { type PackageFacts, packageCommands, packageReadme } from '../../src/reports/package-readme';

describe('README.txt of a disclosure package', () => {
  const facts: PackageFacts = {
    bagName: 'disclosure-3f0c',
    disclosureId: '3f0c',
    recipientAgency: 'DE-BKA-7',
    origin: 'ledger.agency.example/custody',
    logSize: 4711,
    itemCount: 3,
    exampleIndex: 42,
    browserVerifier: false,
  };
  const sections = (text: string) => text.split(`${'='.repeat(72)}\n`).slice(1);

  it('when a README is written, then each of its three languages names the package’s facts and gives every command', () => {
    const readme = packageReadme(facts);
    const { files, receipt } = packageCommands(facts);
    expect(files).to.include.members(['unzip disclosure-3f0c.zip', 'cd disclosure-3f0c']);
    expect(receipt).to.match(/ receipts\/42\.jws$/);
    expect(sections(readme)).to.have.length(3);
    for (const section of sections(readme)) {
      for (const value of ['3f0c', 'DE-BKA-7', 'ledger.agency.example/custody', '4711', '3'])
        expect(section).to.include(value);
      for (const command of [...files, receipt]) expect(section).to.include(`\n    ${command}\n`);
      for (const file of [
        'manifest-sha512.txt',
        'tagmanifest-sha256.txt',
        'custody.jsonld',
        'log.vkey',
        'verify.html',
      ])
        expect(section).to.include(file);
    }
  });

  it('when the bag carries the browser verifier, or has no receipt, then the README follows, and the file checks stay', () => {
    const without = packageReadme(facts);
    const withVerifier = packageReadme({ ...facts, browserVerifier: true });
    expect(withVerifier).not.to.equal(without);
    expect(withVerifier).to.include('sha512sum -c manifest-sha512.txt');
    const noReceipt = packageReadme({ ...facts, exampleIndex: undefined });
    expect(packageCommands({ ...facts, exampleIndex: undefined }).receipt).to.equal(undefined);
    expect(noReceipt).not.to.include('python3');
    expect(noReceipt).to.include('sha512sum -c manifest-sha512.txt');
  });
});
