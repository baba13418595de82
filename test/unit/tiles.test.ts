import { expect } from 'chai';
import { LedgerError } from '../../src/errors';
import {
  encodeTileIndex,
  LruCache,
  parseTilePath,
  TILE_WIDTH,
  type TileId,
  tileNodeRange,
  tilePath,
  treeSizeFor,
} from '../../src/log/tiles';

/** The problem a parse failure becomes: its code, and the field pointer and reason. */
function refusal(path: string): { code: string; pointer?: string; reason?: string } {
  try {
    parseTilePath(path);
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    const field = (error as LedgerError & { fields?: Array<{ pointer: string; reason: string }> })
      .fields?.[0];
    return { code: error.code, ...(field ? { pointer: field.pointer, reason: field.reason } : {}) };
  }
  throw new Error(`${path} parsed`);
}

describe('tlog-tiles paths', () => {
  it('when tile indexes are encoded, then they are 3-digit elements with x before all but the last', () => {
    expect(encodeTileIndex(0)).to.equal('000');
    expect(encodeTileIndex(67)).to.equal('067');
    expect(encodeTileIndex(999)).to.equal('999');
    expect(encodeTileIndex(1000)).to.equal('x001/000');
    expect(encodeTileIndex(1234067)).to.equal('x001/x234/067');
    expect(encodeTileIndex(Number.MAX_SAFE_INTEGER)).to.equal('x009/x007/x199/x254/x740/991');
  });

  it('when a tile path is written, then a full tile has no suffix and a partial tile ends in .p/<W>', () => {
    expect(tilePath({ level: 0, index: 1234067, width: TILE_WIDTH })).to.equal('tile/0/x001/x234/067');
    expect(tilePath({ level: 4, index: 1234067, width: 1 })).to.equal('tile/4/x001/x234/067.p/1');
    expect(tilePath({ level: 63, index: 0, width: 255 })).to.equal('tile/63/000.p/255');
  });

  it('when canonical paths are parsed, then each gives back the tile that encodes to it', () => {
    const tiles: TileId[] = [
      { level: 0, index: 0, width: TILE_WIDTH },
      { level: 0, index: 0, width: 1 },
      { level: 1, index: 999, width: 255 },
      { level: 2, index: 1000, width: TILE_WIDTH },
      { level: 10, index: 1234067, width: 17 },
      { level: 63, index: Number.MAX_SAFE_INTEGER, width: TILE_WIDTH },
    ];
    for (const tile of tiles) {
      const path = tilePath(tile);
      expect(parseTilePath(path.slice('tile/'.length)), path).to.deep.equal(tile);
    }
  });

  it('when a level is not canonical or above 63, then it is INVALID_PARAMETER at /level', () => {
    for (const path of [
      '00/000',
      '01/000',
      '64/000',
      '100/000',
      '-1/000',
      '+1/000',
      'a/000',
      '/000',
      '1.0/000',
    ]) {
      expect(refusal(path), path).to.deep.equal({
        code: 'INVALID_PARAMETER',
        pointer: '/level',
        reason: 'not_a_tile_level',
      });
    }
  });

  it('when an index has leading zero elements, wrong widths, upper case, non-digits or too many elements, then it is INVALID_PARAMETER at /index', () => {
    const bad = [
      '0/00',
      '0/0000',
      '0/1',
      '0/x000/001',
      '0/x000/000',
      '0/X001/000',
      '0/x01/000',
      '0/001/000',
      '0/x001/x002',
      '0/x001',
      '0/00a',
      '0/%30%30%30',
      '0/000/',
      '0//000',
      '0/x001//000',
      '0/x001/x001/x001/x001/x001/x001/000',
      '0/x009/x007/x199/x254/x740/992',
      '0/000.p',
      '0/000.q/1',
      `0/${'x001/'.repeat(40)}000`,
    ];
    for (const path of bad) {
      expect(refusal(path), path).to.deep.equal({
        code: 'INVALID_PARAMETER',
        pointer: '/index',
        reason: 'not_a_tile_index',
      });
    }
  });

  it('when a partial width is 0, 256 or more, has leading zeros or is not decimal, then it is INVALID_PARAMETER at /width', () => {
    for (const path of [
      '0/000.p/0',
      '0/000.p/256',
      '0/000.p/01',
      '0/000.p/1000',
      '0/000.p/',
      '0/000.p/x',
      '0/000.p/1.5',
    ]) {
      expect(refusal(path), path).to.deep.equal({
        code: 'INVALID_PARAMETER',
        pointer: '/width',
        reason: 'not_a_tile_width',
      });
    }
  });

  it('when an entry bundle is asked for, then it is NOT_FOUND (entries are not published)', () => {
    for (const path of ['entries/000', 'entries/x001/000.p/3', 'entries']) {
      expect(refusal(path), path).to.deep.equal({ code: 'NOT_FOUND' });
    }
  });

  it('when a tile is placed in the tree, then its nodes are level 8·L from N·256, and it needs (N·256 + W)·256^L leaves', () => {
    expect(tileNodeRange({ level: 0, index: 3, width: 10 })).to.deep.equal({ level: 0, from: 768, to: 778 });
    expect(tileNodeRange({ level: 2, index: 1, width: TILE_WIDTH })).to.deep.equal({
      level: 16,
      from: 256,
      to: 512,
    });
    expect(treeSizeFor({ level: 0, index: 0, width: TILE_WIDTH })).to.equal(256n);
    expect(treeSizeFor({ level: 1, index: 0, width: 1 })).to.equal(256n);
    // The spec's example: a tree of 70,000 leaves has a level-1 partial tile 1 of width 17, a level-2 one of width 1.
    expect(treeSizeFor({ level: 1, index: 1, width: 17 })).to.equal(69_888n);
    expect(treeSizeFor({ level: 1, index: 1, width: 18 })).to.equal(70_144n);
    expect(treeSizeFor({ level: 2, index: 0, width: 1 })).to.equal(65_536n);
    expect(treeSizeFor({ level: 0, index: 273, width: 112 })).to.equal(70_000n);
  });
});

describe('the full-tile cache', () => {
  it('when it is over capacity, then the least recently used entry is dropped first', () => {
    const cache = new LruCache<string>(2);
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).to.equal('A');
    cache.set('c', 'C');
    expect(cache.size).to.equal(2);
    expect(cache.get('b')).to.equal(undefined);
    expect(cache.get('a')).to.equal('A');
    expect(cache.get('c')).to.equal('C');
    cache.set('a', 'A2');
    cache.set('d', 'D');
    expect([cache.get('c'), cache.get('a'), cache.get('d')]).to.deep.equal([undefined, 'A2', 'D']);
  });
});
