import { expect } from 'chai';
import {
  fixedPartBytes,
  largestUploadBytes,
  partBytesOf,
  S3_MAX_PART_BYTES,
  S3_MAX_PARTS,
} from '../../src/storage/s3-part-size';

const MIB = 1024 * 1024;
const TIB = 1024 ** 4;

describe('the part sizes of an upload to S3', () => {
  it('when an upload runs on, then its parts double every 1,000 parts, never beyond 5 GiB', () => {
    expect([1, 1000, 1001, 2001, 9999].map((n) => partBytesOf(n, 16 * MIB) / MIB)).to.deep.equal([
      16, 16, 32, 64, 5120,
    ]);
    expect(partBytesOf(S3_MAX_PARTS, 5 * MIB)).to.be.at.most(S3_MAX_PART_BYTES);
  });

  it('when the size is not known, then 10,000 growing parts hold the default largest file (2 TiB) from the smallest start', () => {
    expect(largestUploadBytes(5 * MIB)).to.be.greaterThan(2 * TIB);
    expect(largestUploadBytes(5 * MIB, Number.POSITIVE_INFINITY)).to.equal(S3_MAX_PARTS * 5 * MIB);
  });

  it('when the most bytes are known, then one size in whole MiB lets 10,000 parts hold them, and never less than the configured size', () => {
    expect(fixedPartBytes(2 * TIB, 16 * MIB)).to.equal(210 * MIB);
    expect((fixedPartBytes(2 * TIB, 16 * MIB) as number) * S3_MAX_PARTS).to.be.at.least(2 * TIB);
    expect(fixedPartBytes(1024 * MIB, 16 * MIB)).to.equal(16 * MIB);
    expect(fixedPartBytes(0, 5 * MIB)).to.equal(5 * MIB);
  });

  it('when even 5 GiB parts could not hold the bound, then there is no fixed size', () => {
    expect(fixedPartBytes(S3_MAX_PARTS * S3_MAX_PART_BYTES + 1, 16 * MIB)).to.equal(undefined);
  });
});
