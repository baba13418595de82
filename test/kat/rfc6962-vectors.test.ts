import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { LedgerError } from '../../src/errors';
import {
  emptyRoot,
  fromBase64,
  leafHash,
  nodeHash,
  openNote,
  parseVerifierKey,
  toHex,
  utf8,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger';

/** Vectors live in the source tree (test/kat/vectors, Apache-2.0, see its LICENSE), not in dist. */
const VECTORS = path.join(__dirname, '..', '..', '..', 'test', 'kat', 'vectors');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : name.endsWith('.json') ? [full] : [];
  });
}

/** The vectors spell "no bytes" as "" and "no proof" as null. */
const bytes = (b64: string) => (b64 === '' ? new Uint8Array(0) : fromBase64(b64));

function outcome(run: () => void): 'verified' | string {
  try {
    run();
    return 'verified';
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    return error.code;
  }
}

describe('known answers: RFC 6962 proofs (transparency-dev vectors)', () => {
  const inclusion = filesUnder(path.join(VECTORS, 'rfc6962', 'inclusion'));
  const consistency = filesUnder(path.join(VECTORS, 'rfc6962', 'consistency'));

  it('when the vector set is loaded, then every file is present', () => {
    expect(inclusion.length + consistency.length).to.equal(196);
  });

  for (const file of inclusion) {
    const name = path.relative(VECTORS, file);
    const v = JSON.parse(readFileSync(file, 'utf8'));
    it(`when inclusion vector ${name} is checked, then it ${v.wantErr ? 'is rejected' : 'verifies'}`, () => {
      const result = outcome(() =>
        verifyInclusion(v.leafIdx, v.treeSize, bytes(v.leafHash), (v.proof ?? []).map(bytes), bytes(v.root)),
      );
      if (v.wantErr) expect(result).to.equal('PROOF_INVALID');
      else expect(result).to.equal('verified');
    });
  }

  for (const file of consistency) {
    const name = path.relative(VECTORS, file);
    const v = JSON.parse(readFileSync(file, 'utf8'));
    it(`when consistency vector ${name} is checked, then it ${v.wantErr ? 'is rejected' : 'verifies'}`, () => {
      const result = outcome(() =>
        verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(bytes), bytes(v.root1), bytes(v.root2)),
      );
      if (v.wantErr) expect(result).to.equal('PROOF_INVALID');
      else expect(result).to.equal('verified');
    });
  }
});

describe('known answers: RFC 6962 hasher', () => {
  const v = JSON.parse(readFileSync(path.join(VECTORS, 'rfc6962-hashes.json'), 'utf8'));
  it('when hashing the empty tree, an empty leaf, a leaf and two children, then the hashes match', () => {
    expect(toHex(emptyRoot())).to.equal(v.emptyTreeRootHex);
    expect(toHex(leafHash(new Uint8Array(0)))).to.equal(v.emptyLeafHashHex);
    expect(toHex(leafHash(utf8(v.leaf.data)))).to.equal(v.leaf.leafHashHex);
    expect(toHex(nodeHash(utf8(v.children.left), utf8(v.children.right)))).to.equal(v.children.nodeHashHex);
  });
});

describe('known answers: C2SP signed note', () => {
  const v = JSON.parse(readFileSync(path.join(VECTORS, 'signed-note.json'), 'utf8'));
  const verifier = parseVerifierKey(v.vkey);

  it('when the example note is opened with its vkey, then it verifies and yields the text', () => {
    expect(verifier.name).to.equal(v.keyName);
    expect(toHex(verifier.keyId)).to.equal(v.keyIdHex);
    expect(openNote(v.note, [verifier])).to.deep.equal({ text: v.text, verifiedBy: [v.keyName] });
  });

  it('when any byte of the text or signature is flipped, then the note is rejected', () => {
    const note = Buffer.from(v.note, 'utf8');
    for (let i = 0; i < note.length; i++) {
      const tampered = Buffer.from(note);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      const result = outcome(() => openNote(tampered.toString('utf8'), [verifier]));
      expect(result, `byte ${i}`).to.be.oneOf(['SIGNATURE_INVALID', 'NOTE_INVALID', 'ENCODING_INVALID']);
    }
  });
});
