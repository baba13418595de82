import { expect } from 'chai';
import fc from 'fast-check';
import { decodeDisclosure, disclosureDigest, encodeDisclosure, PURE_CODEC } from '../../src/ledger';
import { NATIVE_CODEC } from '../../src/log/native-codec';

/*
 * The service encodes and hashes disclosures with the platform (NATIVE_CODEC);
 * partners' browsers and the offline verifier with the pure codec. Both must
 * give the same strings and digests, and refuse the same spellings.
 */
describe('the native disclosure codec against the pure one', () => {
  it('when bytes are encoded, decoded and hashed, then both codecs agree', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = PURE_CODEC.encode(bytes);
        expect(NATIVE_CODEC.encode(bytes)).to.equal(text);
        expect(Buffer.from(NATIVE_CODEC.decode(text))).to.deep.equal(Buffer.from(PURE_CODEC.decode(text)));
        expect(Buffer.from(NATIVE_CODEC.sha256(bytes))).to.deep.equal(Buffer.from(PURE_CODEC.sha256(bytes)));
      }),
      { numRuns: 2000 },
    );
  });

  it('when a disclosure is written with either codec, then its string and digest are the same', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 22 }),
        fc.string({ minLength: 1 }),
        fc.jsonValue(),
        (salt, name, value) => {
          const safe = JSON.parse(
            JSON.stringify(value, (_k, v) => (typeof v === 'number' ? Math.trunc(v) : v)),
          );
          const pure = encodeDisclosure(salt, name, safe, PURE_CODEC);
          expect(encodeDisclosure(salt, name, safe, NATIVE_CODEC)).to.equal(pure);
          expect(disclosureDigest(pure, NATIVE_CODEC)).to.equal(disclosureDigest(pure, PURE_CODEC));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('when a disclosure is spelled with non-zero pad bits, then both codecs refuse it with DISCLOSURE_INVALID', () => {
    const genuine = encodeDisclosure('AAAAAAAAAAAAAAAAAAAAAA', 'notes', 'x');
    // The last character carries pad bits unless the length is a multiple of 4; flip the lowest one.
    expect(genuine.length % 4).to.not.equal(0);
    const last = genuine.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = genuine.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
    for (const codec of [PURE_CODEC, NATIVE_CODEC]) {
      expect(() => decodeDisclosure(genuine, codec)).not.to.throw();
      expect(() => decodeDisclosure(respelled, codec))
        .to.throw()
        .with.property('code', 'DISCLOSURE_INVALID');
    }
  });
});
