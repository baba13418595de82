import type { LogRepository } from '../db/log.repository';
import { InvalidParameterError, LedgerError, NotFoundError } from '../errors';
import { HASH_SIZE, type NodeId, type NodeReader, nodeHash } from '../ledger';

/**
 * The Merkle tree as C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tiles of
 * height 8, each a run of up to 256 consecutive hashes of one tree level. Tile
 * level L holds the stored nodes of Merkle level 8·L, so a tile is one index
 * range of `log_nodes`. Only hash tiles are published: entry bundles
 * (`tile/entries/...`) would expose the entries, which hold confidential case data.
 */

/** A tile never changes once the tree holds it (a partial one is a fixed prefix of its full tile): caches keep it forever. */
export const TILE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export const TILE_HEIGHT = 8;
/** Hashes in a full tile (2^TILE_HEIGHT). */
export const TILE_WIDTH = 256;
/** The highest level the specification allows in a path. */
export const MAX_TILE_LEVEL = 63;
/**
 * Index path elements accepted: six cover every tile index up to 10^18, beyond
 * any tree this log can hold (sizes stop at 2^53 - 1). Longer paths are refused unread.
 */
const MAX_INDEX_ELEMENTS = 6;
/** The longest canonical path after `tile/` is 37 characters; anything much longer is refused unparsed. */
const MAX_PATH_LENGTH = 64;

/** One tile: its level, its index within the level, and its width (TILE_WIDTH for a full tile). */
export interface TileId {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

/** `<N>` of a tile path: zero-padded 3-digit elements, all but the last prefixed with `x`. */
export function encodeTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0)
    throw new RangeError('a tile index is a non-negative integer');
  const groups: string[] = [];
  let rest = index;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

/** The tile's path below the log's prefix: `tile/<L>/<N>[.p/<W>]`. */
export function tilePath(tile: TileId): string {
  const suffix = tile.width < TILE_WIDTH ? `.p/${tile.width}` : '';
  return `tile/${tile.level}/${encodeTileIndex(tile.index)}${suffix}`;
}

const LEVEL = /^(?:0|[1-9][0-9]?)$/;
const WIDTH = /^[1-9][0-9]{0,2}$/;
const INNER_ELEMENT = /^x[0-9]{3}$/;
const LAST_ELEMENT = /^[0-9]{3}$/;

function malformed(pointer: '/level' | '/index' | '/width', reason: string): InvalidParameterError {
  return new InvalidParameterError([{ pointer, reason }]);
}

/**
 * Parses `<L>/<N>[.p/<W>]` (the path after `tile/`, as sent: not percent-decoded)
 * in its one canonical spelling: no leading zeros, no `x000` element in front,
 * no upper case, no empty or extra elements. Anything else is INVALID_PARAMETER;
 * `entries/...` is NOT_FOUND, since entry bundles are not published.
 */
export function parseTilePath(path: string): TileId {
  if (path === 'entries' || path.startsWith('entries/')) {
    throw new LedgerError(
      'NOT_FOUND',
      'Entry bundles are not published: entries hold confidential case data',
    );
  }
  if (path.length > MAX_PATH_LENGTH) throw malformed('/index', 'not_a_tile_index');
  const elements = path.split('/');
  const levelText = elements[0] ?? '';
  if (!LEVEL.test(levelText) || Number(levelText) > MAX_TILE_LEVEL)
    throw malformed('/level', 'not_a_tile_level');
  let indexElements = elements.slice(1);
  let width = TILE_WIDTH;
  const beforeLast = indexElements[indexElements.length - 2];
  if (beforeLast?.endsWith('.p')) {
    const widthText = indexElements[indexElements.length - 1] as string;
    if (!WIDTH.test(widthText) || Number(widthText) >= TILE_WIDTH)
      throw malformed('/width', 'not_a_tile_width');
    width = Number(widthText);
    indexElements = [...indexElements.slice(0, -2), beforeLast.slice(0, -2)];
  }
  if (indexElements.length === 0 || indexElements.length > MAX_INDEX_ELEMENTS) {
    throw malformed('/index', 'not_a_tile_index');
  }
  const last = indexElements.length - 1;
  if (!indexElements.every((element, i) => (i < last ? INNER_ELEMENT : LAST_ELEMENT).test(element))) {
    throw malformed('/index', 'not_a_tile_index');
  }
  const index = Number(indexElements.map((element) => element.replace('x', '')).join(''));
  // The one canonical spelling: `x000/001` names tile 1 too, but is not its path.
  if (!Number.isSafeInteger(index) || encodeTileIndex(index) !== indexElements.join('/')) {
    throw malformed('/index', 'not_a_tile_index');
  }
  return { level: Number(levelText), index, width };
}

/** Leaves a tree needs for the tile to exist: (index · 256 + width) · 256^level, exact. */
export function treeSizeFor(tile: TileId): bigint {
  return (
    (BigInt(tile.index) * BigInt(TILE_WIDTH) + BigInt(tile.width)) * BigInt(TILE_WIDTH) ** BigInt(tile.level)
  );
}

/**
 * The stored nodes a tile holds: Merkle level 8·L, indexes [N·256, N·256 + W).
 * Each hash is MTH of 256^L leaves, so level L of the tile is level 8·L of the tree.
 */
export function tileNodeRange(tile: TileId): { level: number; from: number; to: number } {
  const from = tile.index * TILE_WIDTH;
  return { level: tile.level * TILE_HEIGHT, from, to: from + tile.width };
}

/** The tile of a tree of `size` leaves that holds the hashes of level 8·L from `index`: full, or partial at the edge. */
export function tileAt(size: number, level: number, index: number): TileId {
  const hashesAtLevel = Math.floor(size / TILE_WIDTH ** level);
  return { level, index, width: Math.min(TILE_WIDTH, hashesAtLevel - index * TILE_WIDTH) };
}

/**
 * The client's side: a NodeReader (so `inclusionProof`, `consistencyProof` and
 * `treeRoot` work unchanged) over the tiles of a tree of `size` leaves, fetched
 * through `fetchTile`. A node of level ℓ is read from the tile of level ⌊ℓ/8⌋:
 * as one of its hashes when ℓ is a multiple of 8, else as the root of the
 * 2^(ℓ mod 8) consecutive hashes below it. It trusts what it is given: a proof
 * built from it must still be checked against a verified checkpoint.
 */
export function tileNodeReader(size: number, fetchTile: (tile: TileId) => Promise<Uint8Array>): NodeReader {
  return {
    async readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
      const placed = ids.map(({ level, index }) => {
        const tileLevel = Math.floor(level / TILE_HEIGHT);
        const span = 2 ** (level - tileLevel * TILE_HEIGHT);
        const first = index * span;
        if ((index + 1) * 2 ** level > size)
          throw new RangeError(`node ${level}/${index} is not in the tree`);
        return {
          tile: tileAt(size, tileLevel, Math.floor(first / TILE_WIDTH)),
          first: first % TILE_WIDTH,
          span,
        };
      });
      const wanted = new Map(placed.map(({ tile }) => [tilePath(tile), tile]));
      const fetched = new Map(
        await Promise.all([...wanted].map(async ([path, tile]) => [path, await fetchTile(tile)] as const)),
      );
      return placed.map(({ tile, first, span }) => {
        const data = fetched.get(tilePath(tile)) as Uint8Array;
        if (data.length !== tile.width * HASH_SIZE)
          throw new RangeError(`tile ${tilePath(tile)} has the wrong length`);
        let row = Array.from({ length: span }, (_, i) =>
          data.subarray((first + i) * HASH_SIZE, (first + i + 1) * HASH_SIZE),
        );
        while (row.length > 1) {
          row = Array.from({ length: row.length / 2 }, (_, i) =>
            nodeHash(row[2 * i] as Uint8Array, row[2 * i + 1] as Uint8Array),
          );
        }
        return row[0] as Uint8Array;
      });
    },
  };
}

/**
 * A bounded least-recently-used map: a Map keeps insertion order, so the first
 * key is the least recently used once every hit is moved to the end.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Full tiles kept in memory: 1,024 tiles of 8 KiB (8 MiB) hold every full tile
 * of a log of 262,144 entries, and the hot ones of any larger log.
 */
export const FULL_TILE_CACHE_SIZE = 1024;

/**
 * Partial tiles kept in memory, apart from the full ones so that requests for
 * many widths cannot push full tiles out: the right edge of the current tree
 * (one partial tile a level) is what every client proving against the latest
 * checkpoint asks for.
 */
export const PARTIAL_TILE_CACHE_SIZE = 256;

/**
 * Reads tiles from the stored tree. A tile never changes once the tree holds
 * it (a partial tile is the first W hashes of its full tile), so it is read
 * from the database once and then served from a bounded cache; a partial tile
 * is cut from the cached full tile when there is one. Either way a tile costs
 * at most one statement while it lies inside the tree.
 */
export class TileReader {
  private readonly fullTiles: LruCache<Buffer>;
  private readonly partialTiles: LruCache<Buffer>;

  constructor(
    private readonly log: Pick<LogRepository, 'nodeLevels' | 'head'>,
    cacheSize = FULL_TILE_CACHE_SIZE,
  ) {
    this.fullTiles = new LruCache(cacheSize);
    this.partialTiles = new LruCache(PARTIAL_TILE_CACHE_SIZE);
  }

  /** Full tiles held in memory now. */
  get cachedTiles(): number {
    return this.fullTiles.size;
  }

  /** The tile's hashes, 32 bytes each, concatenated; NOT_FOUND when the tree does not hold all of them yet. */
  async read(tile: TileId): Promise<Buffer> {
    const cached = this.fullTiles.get(`${tile.level}/${tile.index}`);
    if (cached) return tile.width === TILE_WIDTH ? cached : cached.subarray(0, tile.width * HASH_SIZE);
    const partial = tile.width < TILE_WIDTH ? this.partialTiles.get(tilePath(tile)) : undefined;
    if (partial) return partial;
    if (treeSizeFor(tile) > BigInt(Number.MAX_SAFE_INTEGER)) throw new NotFoundError('tile');
    let hashes = await this.readNodes(tile);
    if (!hashes) {
      // Absent nodes mean a tile beyond the tree, unless the head already covers
      // it (a batch committed after the read): then its nodes are there to read.
      const head = await this.log.head();
      if (!head || BigInt(head.size) < treeSizeFor(tile)) throw new NotFoundError('tile');
      hashes = await this.readNodes(tile);
      if (!hashes) throw new Error(`log nodes of tile ${tilePath(tile)} are missing`);
    }
    if (tile.width === TILE_WIDTH) this.fullTiles.set(`${tile.level}/${tile.index}`, hashes);
    else this.partialTiles.set(tilePath(tile), hashes);
    return hashes;
  }

  /** The tile's hashes in one statement, or undefined when the tree does not hold all of them. */
  private async readNodes(tile: TileId): Promise<Buffer | undefined> {
    const { level, from, to } = tileNodeRange(tile);
    const [row] = await this.log.nodeLevels([level], [from], [to]);
    // Each node comes as its index (int8) and hash: the stored indexes are unique, so W nodes are all of them.
    const stride = 8 + HASH_SIZE;
    const nodes = row?.nodes;
    if (!nodes || nodes.length !== tile.width * stride) return undefined;
    const hashes = Buffer.allocUnsafe(tile.width * HASH_SIZE);
    for (let i = 0; i < tile.width; i++) nodes.copy(hashes, i * HASH_SIZE, i * stride + 8, (i + 1) * stride);
    return hashes;
  }
}
