import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ChainIntegrityError, LedgerError, VerificationError } from '../../src/errors';
import {
  type Checkpoint,
  encodeTlogProof,
  encodeVerifierKey,
  entryLeafData,
  entryLeafHash,
  entryName,
  equalBytes,
  formatCheckpoint,
  fromBase64,
  fromHex,
  fromUtf8,
  type LogEntry,
  type NoteSigner,
  noteKeyId,
  noteSigner,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseEntry,
  parseTlogProof,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  toBase64,
  toHex,
  utf8,
  verifyChain,
} from '../../src/ledger';

/** The LedgerError that `run` throws; anything else (or no error) fails the test. */
function ledgerError(run: () => unknown): LedgerError {
  try {
    run();
  } catch (error) {
    if (error instanceof LedgerError) return error;
    throw error;
  }
  throw new Error('expected a LedgerError, but nothing was thrown');
}

const codeOf = (run: () => unknown): string => ledgerError(run).code;

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
};

/** Ed25519 keys from fixed seeds, so that every run exercises the same key IDs and base64 spellings. */
const testKey = (name: string, label = 'log'): NoteSigner =>
  noteSigner(name, sha256(utf8(`seed ${label} ${name}`)));

/** The first test key under `name` whose vkey's base64 key part satisfies `wanted`. */
function testKeyWhere(name: string, wanted: (vkeyKeyPart: string) => boolean): NoteSigner {
  for (let label = 0; ; label++) {
    const key = testKey(name, String(label));
    const vkey = encodeVerifierKey(name, key.publicKey);
    if (wanted(vkey.slice(name.length + 10))) return key;
  }
}

/** A vkey's three parts; only the first two '+' separate, since base64 may contain '+'. */
function vkeyParts(vkey: string): [string, string, string] {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  return [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
}

/** The signature lines of a signed note (after its last blank line), without the final newline. */
const signatureLines = (note: string): string[] => note.slice(note.lastIndexOf('\n\n') + 2, -1).split('\n');

const ORIGIN = 'ledger.example/custody';

// ---------------------------------------------------------------------------

describe('ledger encoding', () => {
  // RFC 4648 §10 test vectors.
  const vectors: [string, string, string][] = [
    ['', '', ''],
    ['f', 'Zg==', '66'],
    ['fo', 'Zm8=', '666f'],
    ['foo', 'Zm9v', '666f6f'],
    ['foob', 'Zm9vYg==', '666f6f62'],
    ['fooba', 'Zm9vYmE=', '666f6f6261'],
    ['foobar', 'Zm9vYmFy', '666f6f626172'],
  ];

  it('when the RFC 4648 vectors are encoded and decoded, then base64 and hex give the published answers', () => {
    for (const [text, b64, base16] of vectors) {
      expect(toBase64(utf8(text))).to.equal(b64);
      expect(fromUtf8(fromBase64(b64))).to.equal(text);
      expect(toHex(utf8(text))).to.equal(base16);
      expect(fromUtf8(fromHex(base16))).to.equal(text);
    }
  });

  it('when random bytes of every length up to 70 go through base64 and hex, then they come back unchanged', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = new Uint8Array(randomBytes(length));
      expect(fromBase64(toBase64(bytes))).to.deep.equal(bytes);
      expect(fromHex(toHex(bytes))).to.deep.equal(bytes);
      expect(toBase64(bytes)).to.equal(Buffer.from(bytes).toString('base64'));
    }
  });

  for (const [why, text] of [
    ['padding is missing', 'Zg'],
    ['padding is short', 'Zm9vYg='],
    ['padding is excessive', 'Zg==='],
    ['padding is all there is', '===='],
    ['padding sits in the middle', 'Zg==Zg=='],
    ['the pad bits of one byte are not zero', 'Zh=='],
    ['the pad bits of two bytes are not zero', 'Zm9='],
    ['there is leading whitespace', ' Zm9v'],
    ['there is a trailing newline', 'Zm9v\n'],
    ['there is inner whitespace', 'Zm9v YmFy'],
    ['there is a line break', 'Zm9v\r\nYmFy'],
    ['the url-safe alphabet is used', '-_8='],
    ['the url-safe alphabet is used without padding', '__8'],
    ['a non-ASCII letter appears', 'Zm9é'],
  ] as const) {
    it(`when base64 ${why}, then fromBase64 answers ENCODING_INVALID`, () => {
      expect(codeOf(() => fromBase64(text))).to.equal('ENCODING_INVALID');
    });
  }

  it('when the standard alphabet spells the url-safe bytes, then fromBase64 accepts it', () => {
    // The positive twin of the url-safe rejections above: 0xfb 0xff is '+/8=' in RFC 4648 §4.
    expect(fromBase64('+/8=')).to.deep.equal(Uint8Array.of(0xfb, 0xff));
  });

  it('when fromBase64 or fromHex is handed something other than a string, then it answers ENCODING_INVALID', () => {
    for (const value of [undefined, null, 42, ['Zg=='], Uint8Array.of(1), { toString: () => 'Zg==' }]) {
      expect(codeOf(() => fromBase64(value))).to.equal('ENCODING_INVALID');
      expect(codeOf(() => fromHex(value))).to.equal('ENCODING_INVALID');
    }
  });

  for (const [why, text] of [
    ['is uppercase', 'ABCD'],
    ['is mixed case', 'aBcd'],
    ['has odd length', 'abc'],
    ['has a non-hex letter', 'zz'],
    ['has a 0x prefix', '0x12'],
    ['has whitespace', 'ab cd'],
    ['has a trailing newline', 'abcd\n'],
  ] as const) {
    it(`when hex ${why}, then fromHex answers ENCODING_INVALID`, () => {
      expect(codeOf(() => fromHex(text))).to.equal('ENCODING_INVALID');
    });
  }

  it('when bytes are not valid UTF-8, then fromUtf8 answers ENCODING_INVALID', () => {
    for (const bytes of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      expect(codeOf(() => fromUtf8(Uint8Array.from(bytes)))).to.equal('ENCODING_INVALID');
    }
    expect(fromUtf8(utf8('— é 😀'))).to.equal('— é 😀');
  });

  it('when two byte strings differ in one bit or in length, then equalBytes says so', () => {
    const a = new Uint8Array(randomBytes(32));
    const b = Uint8Array.from(a);
    expect(equalBytes(a, b)).to.equal(true);
    b[31] = (b[31] ?? 0) ^ 0x01;
    expect(equalBytes(a, b)).to.equal(false);
    expect(equalBytes(a, a.slice(0, 31))).to.equal(false);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).to.equal(true);
  });
});

// ---------------------------------------------------------------------------

describe('ledger signed notes (C2SP signed-note, Ed25519)', () => {
  const logKey = testKey(ORIGIN);
  const verifier = parseVerifierKey(encodeVerifierKey(logKey.name, logKey.publicKey));
  const text = 'ledger.example/custody\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';

  it('when a note is signed and opened with its vkey, then the text and the signer come back', () => {
    const note = signNote(text, logKey);
    expect(note.startsWith(`${text}\n\u2014 ${ORIGIN} `)).to.equal(true);
    expect(note.endsWith('\n')).to.equal(true);
    const signature = fromBase64(note.slice(note.lastIndexOf(' ') + 1, -1));
    expect(signature.length).to.equal(4 + 64);
    expect(signature.slice(0, 4)).to.deep.equal(logKey.keyId);
    expect(openNote(note, [verifier])).to.deep.equal({ text, verifiedBy: [ORIGIN] });
  });

  it('when a vkey is encoded and parsed, then the key ID is SHA-256(name || 0x0A || 0x01 || key)[:4] and the key round trips', () => {
    const expectedId = sha256(utf8(ORIGIN), Uint8Array.of(0x0a, 0x01), logKey.publicKey).slice(0, 4);
    expect(noteKeyId(ORIGIN, logKey.publicKey)).to.deep.equal(expectedId);
    expect(logKey.keyId).to.deep.equal(expectedId);
    const vkey = encodeVerifierKey(ORIGIN, logKey.publicKey);
    expect(vkey).to.equal(
      `${ORIGIN}+${Buffer.from(expectedId).toString('hex')}+${Buffer.concat([Uint8Array.of(1), logKey.publicKey]).toString('base64')}`,
    );
    expect(parseVerifierKey(vkey)).to.deep.equal({
      name: ORIGIN,
      keyId: expectedId,
      publicKey: logKey.publicKey,
    });
  });

  describe('parseVerifierKey', () => {
    const [name, hexId, key] = vkeyParts(encodeVerifierKey(ORIGIN, logKey.publicKey));
    const otherKey = Buffer.concat([Uint8Array.of(1), testKey(ORIGIN, 'other').publicKey]).toString('base64');
    const typeTwo = Buffer.concat([Uint8Array.of(2), logKey.publicKey]).toString('base64');
    const shortKey = Buffer.concat([Uint8Array.of(1), logKey.publicKey.slice(0, 31)]).toString('base64');
    const flipped = `${hexId.slice(0, 7)}${hexId.endsWith('0') ? '1' : '0'}`;

    for (const [why, vkey] of [
      ['the key ID belongs to another key', `${name}+${hexId}+${otherKey}`],
      ['the key ID differs in one digit', `${name}+${flipped}+${key}`],
      ['the key ID is uppercase', `${name}+${hexId.toUpperCase()}+${key}`],
      ['the key ID is too short', `${name}+${hexId.slice(0, 6)}+${key}`],
      ['the key ID is computed for another name', `other.example/log+${hexId}+${key}`],
      ['the type byte is not 0x01', `${name}+${hexId}+${typeTwo}`],
      ['the key is not 32 bytes', `${name}+${hexId}+${shortKey}`],
      ['it has two parts', `${name}+${hexId}`],
      ['it has one part', name],
      ['it is empty', ''],
      ['the name contains a +', `ledger+example+${hexId}+${key}`],
      ['the name contains a space', `ledger example+${hexId}+${key}`],
      ['the name contains a tab', `ledger\texample+${hexId}+${key}`],
      ['the name contains a non-breaking space', `ledger\u00a0example+${hexId}+${key}`],
      ['the name is empty', `+${hexId}+${key}`],
    ] as const) {
      it(`when ${why}, then the vkey is refused with NOTE_INVALID`, () => {
        expect(codeOf(() => parseVerifierKey(vkey))).to.equal('NOTE_INVALID');
      });
    }

    it('when the key part is not canonical base64 or has text appended, then the vkey is refused with ENCODING_INVALID', () => {
      // 0x01 || 32-byte key is 33 bytes: 44 base64 characters without padding, so drop one.
      expect(codeOf(() => parseVerifierKey(`${name}+${hexId}+${key.slice(0, -1)}`))).to.equal(
        'ENCODING_INVALID',
      );
      expect(codeOf(() => parseVerifierKey(`${name}+${hexId}+${key.replace(/[A-Za-z0-9]/, '-')}`))).to.equal(
        'ENCODING_INVALID',
      );
      expect(codeOf(() => parseVerifierKey(`${name}+${hexId}+${key}+extra`))).to.equal('ENCODING_INVALID');
    });

    it('when the base64 key itself contains + or /, then the vkey still round trips', () => {
      // About half of all Ed25519 vkeys have a '+' in their base64 key (golang.org/x/mod/sumdb/note
      // splits at the first two '+' only).
      for (const wanted of ['+', '/']) {
        const signer = testKeyWhere(ORIGIN, (keyPart) => keyPart.includes(wanted));
        const vkey = encodeVerifierKey(ORIGIN, signer.publicKey);
        expect(vkeyParts(vkey)[2]).to.include(wanted);
        expect(parseVerifierKey(vkey)).to.deep.equal({
          name: ORIGIN,
          keyId: signer.keyId,
          publicKey: signer.publicKey,
        });
        expect(openNote(signNote(text, signer), [parseVerifierKey(vkey)]).verifiedBy).to.deep.equal([ORIGIN]);
      }
    });

    it('when the key ID has hex letters, then its upper-case spelling differs (precondition of the case test)', () => {
      expect(hexId.toUpperCase()).not.to.equal(hexId);
    });

    it('when a key name contains a + or whitespace, then no signer, key ID or vkey can be made for it', () => {
      for (const bad of ['a+b', 'a b', '', 'a\nb']) {
        expect(codeOf(() => noteKeyId(bad, logKey.publicKey))).to.equal('NOTE_INVALID');
        expect(codeOf(() => encodeVerifierKey(bad, logKey.publicKey))).to.equal('NOTE_INVALID');
        expect(codeOf(() => testKey(bad))).to.equal('NOTE_INVALID');
      }
    });
  });

  describe('openNote', () => {
    const note = signNote(text, logKey);
    const [ownLine] = signatureLines(note) as [string];
    const cosigner = testKey('witness.example/w1');
    const [cosignatureLine] = signatureLines(signNote(text, cosigner)) as [string];
    const withLines = (...lines: string[]) => `${text}\n${lines.join('\n')}\n`;

    it('when text is signed that does not end in a newline, is empty or has a blank line, then signNote refuses with NOTE_INVALID', () => {
      for (const bad of ['no newline', '', '\n', 'a\n\nb\n', '\nleading blank\n', 'trailing blank\n\n']) {
        expect(codeOf(() => signNote(bad, logKey))).to.equal('NOTE_INVALID');
      }
    });

    it('when the note has no blank line before the signatures, then it is refused with NOTE_INVALID', () => {
      expect(codeOf(() => openNote(`${text}${ownLine}\n`, [verifier]))).to.equal('NOTE_INVALID');
      expect(codeOf(() => openNote(text, [verifier]))).to.equal('NOTE_INVALID');
    });

    it('when the note does not end in a newline or has no signature lines, then it is refused with NOTE_INVALID', () => {
      expect(codeOf(() => openNote(note.slice(0, -1), [verifier]))).to.equal('NOTE_INVALID');
      expect(codeOf(() => openNote(`${text}\n`, [verifier]))).to.equal('NOTE_INVALID');
    });

    it('when the signed text itself contains a blank line, then the note is refused with NOTE_INVALID', () => {
      // A valid signature over the part after the blank line does not make the whole note acceptable.
      const inner = 'second paragraph\n';
      const [line] = signatureLines(signNote(inner, logKey)) as [string];
      expect(codeOf(() => openNote(`first paragraph\n\n${inner}\n${line}\n`, [verifier]))).to.equal(
        'NOTE_INVALID',
      );
    });

    it('when a signature by the known key name and key ID has wrong bytes, then the note is refused with SIGNATURE_INVALID', () => {
      const forged = toBase64(Buffer.concat([logKey.keyId, randomBytes(64)]));
      expect(codeOf(() => openNote(withLines(`\u2014 ${ORIGIN} ${forged}`), [verifier]))).to.equal(
        'SIGNATURE_INVALID',
      );
      const truncated = toBase64(fromBase64(ownLine.slice(ownLine.lastIndexOf(' ') + 1)).slice(0, 67));
      expect(codeOf(() => openNote(withLines(`\u2014 ${ORIGIN} ${truncated}`), [verifier]))).to.equal(
        'SIGNATURE_INVALID',
      );
    });

    it('when a bad signature by the known key sits next to a good one, then the whole note is refused with SIGNATURE_INVALID', () => {
      const forged = toBase64(Buffer.concat([logKey.keyId, randomBytes(64)]));
      expect(codeOf(() => openNote(withLines(ownLine, `\u2014 ${ORIGIN} ${forged}`), [verifier]))).to.equal(
        'SIGNATURE_INVALID',
      );
    });

    it('when any byte of the text is changed, then the note is refused with SIGNATURE_INVALID', () => {
      const tampered = note.replace('\n42\n', '\n43\n');
      expect(tampered).not.to.equal(note);
      expect(codeOf(() => openNote(tampered, [verifier]))).to.equal('SIGNATURE_INVALID');
    });

    it('when only unknown keys signed, then the note is refused with SIGNATURE_INVALID', () => {
      expect(codeOf(() => openNote(withLines(cosignatureLine), [verifier]))).to.equal('SIGNATURE_INVALID');
      expect(
        codeOf(() =>
          openNote(note, [parseVerifierKey(encodeVerifierKey(cosigner.name, cosigner.publicKey))]),
        ),
      ).to.equal('SIGNATURE_INVALID');
      // Same name, another key: the key ID differs, so the signature is not by the known key.
      const impostor = testKey(ORIGIN, 'impostor');
      expect(codeOf(() => openNote(signNote(text, impostor), [verifier]))).to.equal('SIGNATURE_INVALID');
      expect(codeOf(() => openNote(note, []))).to.equal('SIGNATURE_INVALID');
    });

    for (const [why, line] of [
      ['it lacks the em dash', `- ${ORIGIN} AAAAAAAA`],
      ['it has no space after the em dash', `\u2014${ORIGIN} AAAAAAAA`],
      ['it has no signature', `\u2014 ${ORIGIN}`],
      ['it has a trailing field', `\u2014 ${ORIGIN} AAAAAAAA extra`],
      ['it has two spaces before the signature', `\u2014 ${ORIGIN}  AAAAAAAA`],
      ['its signature is shorter than five bytes', `\u2014 ${ORIGIN} AAAAAA==`],
      ['it is empty', ''],
    ] as const) {
      it(`when a signature line is malformed because ${why}, then the note is refused with NOTE_INVALID`, () => {
        expect(codeOf(() => openNote(withLines(ownLine, line), [verifier]))).to.equal('NOTE_INVALID');
      });
    }

    it('when a signature is not canonical base64, then the note is refused with ENCODING_INVALID', () => {
      const unpadded = ownLine.replace(/=+$/, '');
      expect(unpadded).not.to.equal(ownLine);
      expect(codeOf(() => openNote(withLines(unpadded), [verifier]))).to.equal('ENCODING_INVALID');
    });

    it('when cosignature lines from unknown keys come before or after the log signature, then they are ignored', () => {
      const unknownGarbage = `\u2014 other.example/x ${toBase64(randomBytes(68))}`;
      for (const lines of [
        [ownLine, cosignatureLine],
        [cosignatureLine, ownLine],
        [unknownGarbage, ownLine, cosignatureLine],
      ]) {
        expect(openNote(withLines(...lines), [verifier])).to.deep.equal({ text, verifiedBy: [ORIGIN] });
      }
      const both = [verifier, parseVerifierKey(encodeVerifierKey(cosigner.name, cosigner.publicKey))];
      expect(openNote(withLines(ownLine, cosignatureLine), both).verifiedBy).to.deep.equal([
        ORIGIN,
        cosigner.name,
      ]);
    });

    it('when the note is over 1 MiB, has over 100 signatures or is not a string, then it is refused with NOTE_INVALID', () => {
      expect(codeOf(() => openNote(`${'x'.repeat(1 << 20)}\n\n${ownLine}\n`, [verifier]))).to.equal(
        'NOTE_INVALID',
      );
      expect(
        codeOf(() => openNote(withLines(ownLine, ...Array(100).fill(cosignatureLine)), [verifier])),
      ).to.equal('NOTE_INVALID');
      expect(
        openNote(withLines(ownLine, ...Array(99).fill(cosignatureLine)), [verifier]).verifiedBy,
      ).to.deep.equal([ORIGIN]);
      expect(codeOf(() => openNote(undefined as unknown as string, [verifier]))).to.equal('NOTE_INVALID');
    });
  });
});

// ---------------------------------------------------------------------------

describe('ledger checkpoints (C2SP tlog-checkpoint)', () => {
  const logKey = testKey(ORIGIN);
  const logVerifier = parseVerifierKey(encodeVerifierKey(logKey.name, logKey.publicKey));
  const root = sha256(utf8('some root'));
  const checkpoint: Checkpoint = { origin: ORIGIN, size: 12345, root };
  const rootText = toBase64(root);

  it('when a checkpoint is formatted, then the text is origin, size and base64 root, one per line', () => {
    expect(formatCheckpoint(checkpoint)).to.equal(`${ORIGIN}\n12345\n${rootText}\n`);
  });

  it('when checkpoints of size 0, 1 and 2^53 - 1 are formatted and parsed, then they round trip', () => {
    for (const size of [0, 1, 12345, 2 ** 53 - 1]) {
      expect(parseCheckpoint(formatCheckpoint({ ...checkpoint, size }))).to.deep.equal({
        ...checkpoint,
        size,
      });
    }
  });

  it('when extension lines follow the root, then parseCheckpoint ignores them', () => {
    expect(parseCheckpoint(`${ORIGIN}\n12345\n${rootText}\nextension one\n`)).to.deep.equal(checkpoint);
  });

  for (const [why, sizeText] of [
    ['has a leading zero', '01'],
    ['is 2^53', '9007199254740992'],
    ['is 2^53 + 1', '9007199254740993'],
    ['has 17 digits', '10000000000000000'],
    ['is negative', '-1'],
    ['has a plus sign', '+1'],
    ['is fractional', '1.0'],
    ['is in exponent form', '1e3'],
    ['has a space', ' 1'],
    ['is hex', '0x10'],
    ['is empty', ''],
  ] as const) {
    it(`when the size ${why}, then parseCheckpoint answers CHECKPOINT_INVALID`, () => {
      expect(codeOf(() => parseCheckpoint(`${ORIGIN}\n${sizeText}\n${rootText}\n`))).to.equal(
        'CHECKPOINT_INVALID',
      );
    });
  }

  for (const [why, rootLine] of [
    ['is 31 bytes', toBase64(root.slice(0, 31))],
    ['is 33 bytes', toBase64(Buffer.concat([root, Uint8Array.of(0)]))],
    ['is empty', ''],
  ] as const) {
    it(`when the root ${why}, then parseCheckpoint answers CHECKPOINT_INVALID`, () => {
      expect(codeOf(() => parseCheckpoint(`${ORIGIN}\n12345\n${rootLine}\n`))).to.equal('CHECKPOINT_INVALID');
    });
  }

  it('when the root is not canonical base64, then parseCheckpoint answers ENCODING_INVALID', () => {
    expect(codeOf(() => parseCheckpoint(`${ORIGIN}\n12345\n${rootText.replace('=', '')}\n`))).to.equal(
      'ENCODING_INVALID',
    );
  });

  for (const [why, text] of [
    ['the trailing newline is missing', `${ORIGIN}\n12345\n${rootText}`],
    ['an extension line lacks its newline', `${ORIGIN}\n12345\n${rootText}\next`],
    ['the root line is missing', `${ORIGIN}\n12345\n`],
    ['the origin is empty', `\n12345\n${rootText}\n`],
    ['the origin has a space', `ledger example\n12345\n${rootText}\n`],
  ] as const) {
    it(`when ${why}, then parseCheckpoint answers CHECKPOINT_INVALID`, () => {
      expect(codeOf(() => parseCheckpoint(text))).to.equal('CHECKPOINT_INVALID');
    });
  }

  it('when a checkpoint is signed with the log key and opened with its vkey, then its contents come back', () => {
    const note = signCheckpoint(checkpoint, logKey);
    expect(note.startsWith(`${formatCheckpoint(checkpoint)}\n\u2014 ${ORIGIN} `)).to.equal(true);
    expect(openCheckpoint(note, logVerifier)).to.deep.equal(checkpoint);
  });

  it('when the log key name is not the origin, then signCheckpoint refuses with CHECKPOINT_INVALID', () => {
    expect(codeOf(() => signCheckpoint(checkpoint, testKey('other.example/log')))).to.equal(
      'CHECKPOINT_INVALID',
    );
  });

  it('when a checkpoint is validly signed by a key whose name is not its origin, then openCheckpoint answers CHECKPOINT_INVALID with the evidence', () => {
    const otherKey = testKey('other.example/log');
    const otherVerifier = parseVerifierKey(encodeVerifierKey(otherKey.name, otherKey.publicKey));
    const note = signNote(formatCheckpoint(checkpoint), otherKey);
    expect(openNote(note, [otherVerifier]).verifiedBy).to.deep.equal(['other.example/log']);
    const error = ledgerError(() => openCheckpoint(note, otherVerifier));
    expect(error.code).to.equal('CHECKPOINT_INVALID');
    expect(error).to.be.instanceOf(VerificationError);
    expect((error as VerificationError).expected).to.equal('other.example/log');
    expect((error as VerificationError).actual).to.equal(ORIGIN);
  });

  it('when the size of a signed checkpoint is tampered with, then openCheckpoint answers SIGNATURE_INVALID', () => {
    const note = signCheckpoint(checkpoint, logKey);
    const tampered = note.replace('\n12345\n', '\n12346\n');
    expect(tampered).not.to.equal(note);
    expect(codeOf(() => openCheckpoint(tampered, logVerifier))).to.equal('SIGNATURE_INVALID');
  });

  it("when a checkpoint is opened with another log's vkey, then openCheckpoint answers SIGNATURE_INVALID", () => {
    const stranger = testKey(ORIGIN, 'stranger');
    const note = signCheckpoint(checkpoint, stranger);
    expect(codeOf(() => openCheckpoint(note, logVerifier))).to.equal('SIGNATURE_INVALID');
  });
});

// ---------------------------------------------------------------------------

describe('ledger tlog-proof bundles (C2SP tlog-proof)', () => {
  const logKey = testKey(ORIGIN);
  const logVerifier = parseVerifierKey(encodeVerifierKey(logKey.name, logKey.publicKey));
  const checkpointNote = signCheckpoint({ origin: ORIGIN, size: 6, root: sha256(utf8('root')) }, logKey);
  const proof = [sha256(utf8('a')), sha256(utf8('b')), sha256(utf8('c'))];
  const proofLines = proof.map((hash) => toBase64(hash)).join('\n');

  it('when a bundle without extra is encoded, then it is header, index, proof lines, a blank line and the checkpoint', () => {
    const text = encodeTlogProof({ index: 5, proof, checkpoint: checkpointNote });
    expect(text).to.equal(`c2sp.org/tlog-proof@v1\nindex 5\n${proofLines}\n\n${checkpointNote}`);
    const parsed = parseTlogProof(text);
    expect(parsed).to.deep.equal({ index: 5, proof, checkpoint: checkpointNote });
    expect(parsed).not.to.have.property('extra');
    expect(openCheckpoint(parsed.checkpoint, logVerifier).size).to.equal(6);
  });

  it('when a bundle with extra data is encoded, then the extra line follows the header and round trips', () => {
    const extra = new Uint8Array(randomBytes(20));
    const text = encodeTlogProof({ index: 5, proof, checkpoint: checkpointNote, extra });
    expect(text).to.equal(
      `c2sp.org/tlog-proof@v1\nextra ${toBase64(extra)}\nindex 5\n${proofLines}\n\n${checkpointNote}`,
    );
    expect(parseTlogProof(text)).to.deep.equal({ index: 5, proof, checkpoint: checkpointNote, extra });
  });

  it('when the proof is empty or the index is 2^53 - 1, then the bundle round trips', () => {
    for (const bundle of [
      { index: 0, proof: [], checkpoint: checkpointNote },
      { index: 2 ** 53 - 1, proof, checkpoint: checkpointNote },
    ]) {
      expect(parseTlogProof(encodeTlogProof(bundle))).to.deep.equal(bundle);
    }
  });

  for (const [why, header] of [
    ['names another version', 'c2sp.org/tlog-proof@v2'],
    ['is in upper case', 'C2SP.ORG/TLOG-PROOF@V1'],
    ['has a leading space', ' c2sp.org/tlog-proof@v1'],
    ['has a trailing space', 'c2sp.org/tlog-proof@v1 '],
    ['is missing', ''],
  ] as const) {
    it(`when the header ${why}, then parseTlogProof answers PROOF_INVALID`, () => {
      expect(codeOf(() => parseTlogProof(`${header}\nindex 5\n${proofLines}\n\n${checkpointNote}`))).to.equal(
        'PROOF_INVALID',
      );
    });
  }

  for (const [why, indexLine] of [
    ['has a leading zero', 'index 01'],
    ['is negative', 'index -1'],
    ['is fractional', 'index 1.5'],
    ['is 2^53', 'index 9007199254740992'],
    ['is empty', 'index '],
    ['has two spaces', 'index  5'],
    ['has another keyword', 'idx 5'],
    ['is missing', ''],
  ] as const) {
    it(`when the index line ${why}, then parseTlogProof answers PROOF_INVALID`, () => {
      expect(
        codeOf(() =>
          parseTlogProof(`c2sp.org/tlog-proof@v1\n${indexLine}\n${proofLines}\n\n${checkpointNote}`),
        ),
      ).to.equal('PROOF_INVALID');
    });
  }

  it('when the blank line before the checkpoint is missing, then parseTlogProof refuses the bundle', () => {
    const glued = `c2sp.org/tlog-proof@v1\nindex 5\n${proofLines}\n${checkpointNote}`;
    // The checkpoint's origin line is then read as a proof line, and it is not base64.
    expect(codeOf(() => parseTlogProof(glued))).to.equal('ENCODING_INVALID');
    expect(codeOf(() => parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 5\n${proofLines}\n`))).to.equal(
      'PROOF_INVALID',
    );
    expect(codeOf(() => parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 5\n${proofLines}`))).to.equal(
      'PROOF_INVALID',
    );
    expect(codeOf(() => parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 5\n${proofLines}\n\n`))).to.equal(
      'PROOF_INVALID',
    );
  });

  for (const [why, line] of [
    ['is 31 bytes', toBase64(new Uint8Array(31))],
    ['is 33 bytes', toBase64(new Uint8Array(33))],
    ['is 64 bytes', toBase64(new Uint8Array(64))],
  ] as const) {
    it(`when a proof line ${why}, then parseTlogProof answers PROOF_INVALID`, () => {
      expect(
        codeOf(() =>
          parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 5\n${proofLines}\n${line}\n\n${checkpointNote}`),
        ),
      ).to.equal('PROOF_INVALID');
    });
  }

  it('when a proof line or the extra is not canonical base64, then parseTlogProof answers ENCODING_INVALID', () => {
    const unpadded = toBase64(proof[0] as Uint8Array).replace('=', '');
    expect(
      codeOf(() => parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 5\n${unpadded}\n\n${checkpointNote}`)),
    ).to.equal('ENCODING_INVALID');
    expect(
      codeOf(() =>
        parseTlogProof(`c2sp.org/tlog-proof@v1\nextra Zg\nindex 5\n${proofLines}\n\n${checkpointNote}`),
      ),
    ).to.equal('ENCODING_INVALID');
  });

  it('when there are more than 64 proof lines, then parseTlogProof answers PROOF_INVALID', () => {
    const many = Array(65)
      .fill(toBase64(new Uint8Array(32)))
      .join('\n');
    expect(
      codeOf(() => parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 5\n${many}\n\n${checkpointNote}`)),
    ).to.equal('PROOF_INVALID');
    const enough = Array(64)
      .fill(toBase64(new Uint8Array(32)))
      .join('\n');
    expect(
      parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 5\n${enough}\n\n${checkpointNote}`).proof,
    ).to.have.length(64);
  });

  it('when the bundle is not a string, then parseTlogProof answers PROOF_INVALID', () => {
    expect(codeOf(() => parseTlogProof(42 as unknown as string))).to.equal('PROOF_INVALID');
  });
});

// ---------------------------------------------------------------------------

const PREV = toBase64(sha256(utf8('previous entry')));

function entry(overrides: Record<string, unknown> = {}): LogEntry {
  return {
    v: 1,
    log: ORIGIN,
    subject: { type: 'evidence', id: '3f0c6a2e-5b7d-4c1a-9e8f-0a1b2c3d4e5f' },
    seq: 2,
    prev: PREV,
    type: 'custody.transferred',
    at: '2026-11-28T10:15:00.123Z',
    actor: { sub: 'alice', agency: 'NL-POL', role: 'custodian' },
    data: { to: 'bob' },
    ...overrides,
  } as LogEntry;
}

describe('ledger log entries (RFC 8785 leaf data)', () => {
  it('when a known entry is canonicalised, then its leaf data are the exact RFC 8785 bytes and its name is SHA-256(0x00 || bytes)', () => {
    const known = entry({
      // Insertion order is deliberately not the canonical order.
      data: {
        to: 'bob',
        b: [3, 'é', null, true, { z: 9007199254740991, a: -7 }],
        esc: 'q"b\\s/t\tc\u0001',
        '9': 2,
        '10': 1,
        A: 'x',
        '\uFFFD': false,
        '\u{1F600}': 0,
      },
    });
    // Keys sort by UTF-16 code units, so U+1F600 (a surrogate pair, 0xD83D) precedes U+FFFD.
    const expected = String.raw`{"actor":{"agency":"NL-POL","role":"custodian","sub":"alice"},"at":"2026-11-28T10:15:00.123Z","data":{"10":1,"9":2,"A":"x","b":[3,"é",null,true,{"a":-7,"z":9007199254740991}],"esc":"q\"b\\s/t\tc\u0001","to":"bob","${'\u{1F600}'}":0,"${'\uFFFD'}":false},"log":"ledger.example/custody","prev":"${PREV}","seq":2,"subject":{"id":"3f0c6a2e-5b7d-4c1a-9e8f-0a1b2c3d4e5f","type":"evidence"},"type":"custody.transferred","v":1}`;
    const bytes = Buffer.from(expected, 'utf8');
    expect(Buffer.from(entryLeafData(known)).toString('utf8')).to.equal(expected);
    expect(entryLeafData(known)).to.deep.equal(new Uint8Array(bytes));
    const hash = sha256(Uint8Array.of(0x00), bytes);
    expect(entryLeafHash(known)).to.deep.equal(hash);
    expect(entryName(known)).to.equal(Buffer.from(hash).toString('base64'));
  });

  it('when two entries differ only in key insertion order, then their leaf data are identical', () => {
    const a = entry({ data: { x: 1, y: { p: 1, q: 2 } } });
    const b = {
      data: { y: { q: 2, p: 1 }, x: 1 },
      actor: { role: 'custodian', agency: 'NL-POL', sub: 'alice' },
      at: a.at,
      type: a.type,
      prev: a.prev,
      seq: a.seq,
      subject: { id: a.subject.id, type: a.subject.type },
      log: a.log,
      v: 1,
    } as LogEntry;
    expect(entryLeafData(b)).to.deep.equal(entryLeafData(a));
    expect(entryName(b)).to.equal(entryName(a));
  });

  it('when a well-formed entry is parsed, then it comes back unchanged', () => {
    expect(parseEntry(entry())).to.deep.equal(entry());
    expect(parseEntry(entry({ seq: 1, prev: null }))).to.deep.equal(entry({ seq: 1, prev: null }));
  });

  const invalid: [string, unknown][] = [
    ['data holds a float', entry({ data: { weight: 1.5 } })],
    ['data holds a float deep inside', entry({ data: { list: [1, { x: 0.1 }] } })],
    ['data holds an integer beyond 2^53', entry({ data: { n: 2 ** 53 } })],
    ['seq is 0', entry({ seq: 0, prev: null })],
    ['seq is negative', entry({ seq: -1 })],
    ['seq is fractional', entry({ seq: 2.5 })],
    ['seq is a string', entry({ seq: '2' })],
    ['prev is not null at seq 1', entry({ seq: 1 })],
    ['prev is null at seq 2', entry({ prev: null })],
    ['prev is base64 of 31 bytes', entry({ prev: toBase64(new Uint8Array(31)) })],
    ['prev is hex instead of base64', entry({ prev: toHex(sha256(utf8('x'))) })],
    ['prev is unpadded base64', entry({ prev: PREV.replace('=', '') })],
    ['there is an unknown top-level field', { ...entry(), extra: true }],
    ['the subject has an unknown field', entry({ subject: { type: 'evidence', id: 'x', name: 'y' } })],
    ['the actor has an unknown field', entry({ actor: { sub: 'a', agency: 'b', role: 'c', admin: true } })],
    ['a required field is missing', (({ actor: _actor, ...rest }) => rest)(entry())],
    ['v is 2', entry({ v: 2 })],
    ['the subject type is unknown', entry({ subject: { type: 'person', id: 'x' } })],
    ['the type is not lower-case dotted', entry({ type: 'Custody.Transferred' })],
    ['at has no milliseconds', entry({ at: '2026-11-28T10:15:00Z' })],
    ['at has microseconds', entry({ at: '2026-11-28T10:15:00.123456Z' })],
    ['at has an offset instead of Z', entry({ at: '2026-11-28T10:15:00.123+00:00' })],
    ['at has a lower-case z', entry({ at: '2026-11-28T10:15:00.123z' })],
    ['at has a space instead of T', entry({ at: '2026-11-28 10:15:00.123Z' })],
    ['at is a date only', entry({ at: '2026-11-28' })],
    ['at names month 13', entry({ at: '2026-13-28T10:15:00.123Z' })],
    ['at names February 30', entry({ at: '2026-02-30T10:15:00.123Z' })],
    ['at names hour 24', entry({ at: '2026-11-28T24:00:00.000Z' })],
    ['the entry is null', null],
    ['the entry is an array', [entry()]],
    ['the entry is a JSON string', JSON.stringify(entry())],
  ];
  for (const [why, value] of invalid) {
    it(`when ${why}, then parseEntry answers ENTRY_INVALID`, () => {
      expect(codeOf(() => parseEntry(value))).to.equal('ENTRY_INVALID');
    });
  }

  it('when an invalid entry is hashed, then entryLeafData and entryName refuse with ENTRY_INVALID', () => {
    const bad = entry({ data: { weight: 1.5 } });
    expect(codeOf(() => entryLeafData(bad))).to.equal('ENTRY_INVALID');
    expect(codeOf(() => entryName(bad))).to.equal('ENTRY_INVALID');
  });
});

// ---------------------------------------------------------------------------

/** A well-linked chain of `length` entries of one subject. */
function chain(length: number, subjectId = 'e-1'): LogEntry[] {
  const entries: LogEntry[] = [];
  for (let seq = 1; seq <= length; seq++) {
    const previous = entries[entries.length - 1];
    entries.push(
      entry({
        subject: { type: 'evidence', id: subjectId },
        seq,
        prev: previous ? entryName(previous) : null,
        type: seq === 1 ? 'evidence.received' : 'custody.transferred',
        data: { step: seq },
      }),
    );
  }
  return entries;
}

function chainError(entries: readonly LogEntry[]): ChainIntegrityError {
  const error = ledgerError(() => verifyChain(entries));
  expect(error).to.be.instanceOf(ChainIntegrityError);
  return error as ChainIntegrityError;
}

describe('ledger subject chains', () => {
  const five = chain(5);
  const [e1, e2, e3, e4, e5] = five as [LogEntry, LogEntry, LogEntry, LogEntry, LogEntry];

  it('when five well-linked entries are verified, then the head is the name of the fifth', () => {
    expect(verifyChain(five)).to.equal(entryName(e5));
    expect(verifyChain([e1])).to.equal(entryName(e1));
  });

  it('when the chain is empty, then there is no head', () => {
    expect(verifyChain([])).to.equal(null);
  });

  it('when an entry is missing from the middle, then verification fails with CHAIN_BROKEN at the gap', () => {
    const error = chainError([e1, e2, e4, e5]);
    expect(error.code).to.equal('CHAIN_BROKEN');
    expect([error.seq, error.expected, error.actual]).to.deep.equal([3, '3', '4']);
  });

  it('when the first entry is missing, then verification fails with CHAIN_BROKEN', () => {
    expect(chainError([e2, e3]).code).to.equal('CHAIN_BROKEN');
  });

  it('when two entries share a seq, then verification fails with CHAIN_FORK', () => {
    const rival = entry({ subject: e2.subject, seq: 2, prev: entryName(e1), data: { step: 'rival' } });
    expect(entryName(rival)).not.to.equal(entryName(e2));
    const fork = chainError([e1, e2, rival, e3]);
    expect(fork.code).to.equal('CHAIN_FORK');
    expect([fork.seq, fork.expected, fork.actual]).to.deep.equal([3, '3', '2']);
    expect(chainError([e1, e2, e2]).code).to.equal('CHAIN_FORK');
  });

  it('when an entry names the wrong prev, then verification fails with CHAIN_BROKEN carrying expected and actual', () => {
    const wrong = entry({ subject: e3.subject, seq: 3, prev: entryName(e1), data: { step: 3 } });
    const error = chainError([e1, e2, wrong, e4]);
    expect(error.code).to.equal('CHAIN_BROKEN');
    expect(error.seq).to.equal(3);
    expect(error.expected).to.equal(entryName(e2));
    expect(error.actual).to.equal(entryName(e1));
  });

  it('when a later entry is altered, then the next entry no longer links and verification fails with CHAIN_BROKEN', () => {
    const altered = entry({ ...e3, data: { step: 'altered' } });
    const error = chainError([e1, e2, altered, e4, e5]);
    expect(error.code).to.equal('CHAIN_BROKEN');
    expect([error.seq, error.expected, error.actual]).to.deep.equal([4, entryName(altered), entryName(e3)]);
  });

  it('when an entry of another subject is linked in, then verification fails with CHAIN_BROKEN', () => {
    for (const subject of [
      { type: 'evidence', id: 'e-2' },
      { type: 'case', id: 'e-1' },
    ] as const) {
      const stranger = entry({ subject, seq: 4, prev: entryName(e3), data: { step: 4 } });
      const error = chainError([e1, e2, e3, stranger, e5]);
      expect(error.code).to.equal('CHAIN_BROKEN');
      expect(error.seq).to.equal(4);
    }
  });

  it('when an entry in the chain is malformed, then verification fails with ENTRY_INVALID', () => {
    const malformed = entry({ subject: e3.subject, seq: 3, prev: entryName(e2), data: { weight: 1.5 } });
    expect(codeOf(() => verifyChain([e1, e2, malformed]))).to.equal('ENTRY_INVALID');
  });
});
