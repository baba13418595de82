import { expect } from 'chai';
import {
  decodeDisclosure,
  disclosureDigest,
  encodeDisclosure,
  type LogEntryV2,
  revealFields,
  withholdFields,
} from '../../src/ledger';

/*
 * The disclosure primitives the verifier applies (formats.md §1.1) against
 * the known answers of the SD-JWT specification (RFC 9901, the examples of
 * its disclosure and digest sections), whose encoding formats.md adopts.
 */

/** RFC 9901: `["2GLC42sKQveCfGfryNRN9w", "given_name", "John"]`, as the specification spells it. */
const GIVEN_NAME = 'WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd';
const GIVEN_NAME_DIGEST = 'jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4';
/** RFC 9901: `["6qMQvRL5haj", "family_name", "Möbius"]`, a salt of 66 bits. */
const FAMILY_NAME = 'WyI2cU1RdlJMNWhhaiIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0';
const FAMILY_NAME_DIGEST = 'uutlBuYeMDyjLLTpf6Jxi7yNkEF35jdyWMn9U7b_RYY';

const codeOf = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

function entryWithholding(data: LogEntryV2['data']): LogEntryV2 {
  return {
    v: 2,
    log: 'disclosures.example/custody',
    subject: { type: 'evidence', id: 'item-1' },
    seq: 1,
    prev: null,
    type: 'custody.noted',
    at: '2026-11-20T09:00:00.000Z',
    actor: { agency: 'AZ-SSS', role: 'investigator', _sd: [FAMILY_NAME_DIGEST] },
    data: { ...data, _sd_alg: 'sha-256' },
  };
}

describe('disclosures against the SD-JWT known answers', () => {
  it('when the specification’s disclosures are digested, then their digests are the published ones', () => {
    expect(disclosureDigest(GIVEN_NAME)).to.equal(GIVEN_NAME_DIGEST);
    expect(disclosureDigest(FAMILY_NAME)).to.equal(FAMILY_NAME_DIGEST);
  });

  it('when a disclosure with a 128-bit salt is read, then it gives the salt, name and value it encodes', () => {
    expect(decodeDisclosure(GIVEN_NAME)).to.deep.equal({
      salt: '2GLC42sKQveCfGfryNRN9w',
      name: 'given_name',
      value: 'John',
    });
  });

  it('when a disclosure has a salt under 128 bits, then it is refused though its digest is well known', () => {
    expect(codeOf(() => decodeDisclosure(FAMILY_NAME))).to.equal('DISCLOSURE_INVALID');
  });

  it('when an entry commits to the published digest, then the disclosure reveals its field and the other stays withheld', () => {
    const entry = entryWithholding({ _sd: [GIVEN_NAME_DIGEST] });
    const revealed = revealFields(entry, [GIVEN_NAME]);
    expect(revealed.data).to.deep.equal({ given_name: 'John' });
    expect(revealed.actor).to.deep.equal({ agency: 'AZ-SSS', role: 'investigator' });
    expect(revealed.withheld).to.deep.equal({ actor: [FAMILY_NAME_DIGEST], data: [] });
  });

  it('when the disclosure is changed by one character, then it matches no digest of the entry', () => {
    const entry = entryWithholding({ _sd: [GIVEN_NAME_DIGEST] });
    const other = encodeDisclosure('2GLC42sKQveCfGfryNRN9w', 'given_name', 'Joan');
    expect(codeOf(() => revealFields(entry, [other]))).to.equal('DISCLOSURE_UNMATCHED');
  });

  it('when a field is named __proto__, then it is withheld and revealed as a field, never as a prototype', () => {
    const salt = 'c2FsdHNhbHRzYWx0c2FsdA';
    const data = JSON.parse('{"__proto__":"a name","kept":1}');
    const withheld = withholdFields(
      data,
      (name) => name === 'kept',
      () => salt,
      'data',
    );
    const disclosure = withheld.disclosures[0]?.disclosure as string;
    expect(decodeDisclosure(disclosure).name).to.equal('__proto__');
    const revealed = revealFields(entryWithholding(withheld.object), [disclosure]);
    expect(Object.hasOwn(revealed.data, '__proto__')).to.equal(true);
    expect(Object.getPrototypeOf(revealed.data)).to.equal(Object.prototype);
    expect(JSON.parse(JSON.stringify(revealed.data))).to.deep.equal(data);

    const publicName = withholdFields(
      data,
      () => true,
      () => salt,
      'data',
    ).object;
    expect(JSON.stringify(publicName)).to.equal('{"__proto__":"a name","kept":1}');
  });
});
