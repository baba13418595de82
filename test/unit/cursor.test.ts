import { expect } from 'chai';
import { InvalidParameterError } from '../../src/errors';
import { decodeCursor, decodeKeyedCursor, encodeCursor } from '../../src/http/cursor';

const id = '00000000-0000-4000-8000-000000000001';
const createdAt = new Date('2026-11-30T01:00:00.000Z');
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function refusal(decode: () => unknown): unknown {
  try {
    decode();
  } catch (error) {
    return error instanceof InvalidParameterError ? [error.code, error.fields] : error;
  }
  return 'accepted';
}

describe('the cursor codec', () => {
  it('when a position is encoded, then it decodes to the same position, with its key in a keyed listing', () => {
    expect(decodeCursor(encodeCursor({ createdAt, id }))).to.deep.equal({ createdAt, id });
    const key = new Date('2026-12-01T00:00:00.000Z');
    expect(decodeKeyedCursor(encodeCursor({ createdAt, id, key }))).to.deep.equal({ createdAt, id, key });
    expect(decodeKeyedCursor(encodeCursor({ createdAt, id, key: null }))).to.deep.equal({
      createdAt,
      id,
      key: null,
    });
  });

  it('when a cursor is garbage or of the other kind of listing, then it is INVALID_PARAMETER at /cursor', () => {
    const refused = ['INVALID_PARAMETER', [{ pointer: '/cursor', reason: 'invalid_cursor' }]];
    const keyed = encodeCursor({ createdAt, id, key: null });
    const plain = encodeCursor({ createdAt, id });
    for (const cursor of [
      'nonsense',
      raw({ at: createdAt, id }),
      raw([createdAt.toISOString(), 'not-a-uuid']),
      raw([0, id]),
      raw([createdAt.toISOString(), id, 'yesterday']),
      raw([createdAt.toISOString(), id, null, null]),
      keyed,
    ]) {
      expect(
        refusal(() => decodeCursor(cursor)),
        cursor,
      ).to.deep.equal(refused);
    }
    expect(refusal(() => decodeKeyedCursor(plain))).to.deep.equal(refused);
  });
});
