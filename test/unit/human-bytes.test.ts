import { expect } from 'chai';
import { humanBytes } from '../../scripts/lib/human-bytes';

describe('human byte counts (upload progress)', () => {
  for (const [bytes, expected] of [
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [22_000_000, '22.0 MB'],
    [200_000_000_000, '200.0 GB'],
    [2 * 1024 ** 4, '2.2 TB'],
  ] as const) {
    it(`when ${bytes} bytes are shown, then they read ${expected}`, () => {
      expect(humanBytes(bytes)).to.equal(expected);
    });
  }

  it('when a part is shown in the unit of its total, then both share one unit', () => {
    expect(humanBytes(22_000_000, 200_000_000_000)).to.equal('0.0 GB');
    expect(humanBytes(1_500_000_000, 200_000_000_000)).to.equal('1.5 GB');
  });
});
