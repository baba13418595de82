import { expect } from 'chai';
import {
  type Checkpoint,
  inclusionProof,
  openCheckpoint,
  parseVerifierKey,
  toBase64,
  treeRoot,
  verifyInclusion,
} from '../../src/ledger';
import { TILE_WIDTH, type TileId, tileAt, tileNodeReader, tilePath } from '../../src/log/tiles';
import { growLog, logSize } from '../support/grow-log';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/** Leaves the log holds at least for these tests: a full level-0 tile, a partial one, and a level-1 tile. */
const ENTRIES = 300;
const IMMUTABLE = 'public, max-age=31536000, immutable';

describe('the log as C2SP tlog-tiles over HTTP', () => {
  let service: TestService;
  let token: string;
  /** The checkpoint the tests start from, opened with the published vkey. */
  let checkpoint: Checkpoint;
  /** Log indexes of the entries this test wrote (its principal may read them). */
  const own: number[] = [];

  before(async function () {
    this.timeout(120_000);
    service = await startTestService();
    token = await service.token(uniqueSub('alice'), uniqueAgency(), 'investigator');
    // Some entries of its own in any case: the run's other tests may have filled the log already.
    await grow(Math.max(ENTRIES, (await logSize(service)) + 30));
    // A size that is not a multiple of 256, so that a partial level-0 tile exists too.
    if ((await logSize(service)) % TILE_WIDTH === 0) await grow((await logSize(service)) + 1);
    checkpoint = await verifiedCheckpoint();
  });
  after(async () => {
    await service.stop();
  });

  async function grow(size: number): Promise<void> {
    own.push(...(await growLog(service, token, size)));
  }

  async function verifiedCheckpoint(): Promise<Checkpoint> {
    const { vkey } = (await service.call('GET', '/v1/log/info')).body;
    const note = await service.call('GET', '/v1/log/checkpoint');
    expect(note.status).to.equal(200);
    return openCheckpoint(note.text, parseVerifierKey(vkey));
  }

  /** GET a tile as bytes, with no token. */
  async function fetchTile(path: string): Promise<Response> {
    return fetch(new URL(`/v1/log/${path}`, service.url));
  }

  async function tileBytes(tile: TileId): Promise<Uint8Array> {
    const response = await fetchTile(tilePath(tile));
    expect(response.status, tilePath(tile)).to.equal(200);
    return new Uint8Array(await response.arrayBuffer());
  }

  it('when /v1/log/checkpoint is read, then it is the signed note as text/plain; charset=utf-8, not cached', async () => {
    const response = await service.call('GET', '/v1/log/checkpoint');
    expect(response.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(response.headers.get('cache-control')).to.equal('no-cache');
  });

  it('when the tiles of the checkpoint’s tree are fetched without a token, then their hashes give its root and the service’s inclusion proofs', async () => {
    const { size, root } = checkpoint;
    expect(size).to.be.greaterThan(TILE_WIDTH);
    const fetched: string[] = [];
    const reader = tileNodeReader(size, (tile) => {
      fetched.push(tilePath(tile));
      return tileBytes(tile);
    });
    expect(toBase64(await treeRoot(reader, size))).to.equal(toBase64(root));
    // The root of a tree of more than 256 leaves needs a level-1 tile, and a partial level-0 one here.
    expect(fetched).to.include(tilePath(tileAt(size, 1, 0)));
    expect(fetched).to.include(tilePath(tileAt(size, 0, Math.floor(size / TILE_WIDTH))));

    const level0 = await tileBytes({ level: 0, index: 0, width: TILE_WIDTH });
    const mine = own.filter((index) => index < size);
    const indexes = [0, 1, 255, 256, size - 1, mine[0], mine[mine.length - 1]] as number[];
    for (const index of indexes) {
      const fromTiles = await inclusionProof(reader, index, size);
      const served = await service.call('GET', `/v1/log/proof/inclusion?index=${index}&size=${size}`);
      expect(served.status).to.equal(200);
      expect(fromTiles.map(toBase64), `index ${index}`).to.deep.equal(served.body.proof);
      // The leaf hash itself comes from a level-0 tile.
      const leafTile =
        index < TILE_WIDTH ? level0 : await tileBytes(tileAt(size, 0, Math.floor(index / TILE_WIDTH)));
      const leaf = leafTile.subarray((index % TILE_WIDTH) * 32, ((index % TILE_WIDTH) + 1) * 32);
      verifyInclusion(index, size, leaf, fromTiles, root);
    }
    // A level-0 tile holds the leaf hashes of the entries: those this principal may read say so.
    for (const index of [mine[0], mine[mine.length - 1]] as number[]) {
      const entry = await service.call('GET', `/v1/log/entries/${index}`, { token });
      expect(entry.status).to.equal(200);
      const leafTile = await tileBytes(tileAt(size, 0, Math.floor(index / TILE_WIDTH)));
      expect(
        toBase64(leafTile.subarray((index % TILE_WIDTH) * 32, ((index % TILE_WIDTH) + 1) * 32)),
      ).to.equal(entry.body.leafHash);
    }
  });

  it('when a full and a partial tile are fetched, then they are octet-streams of 32-byte hashes, immutable, the partial one a prefix of the full one', async () => {
    const full = await fetchTile('tile/0/000');
    expect(full.status).to.equal(200);
    expect(full.headers.get('content-type')).to.equal('application/octet-stream');
    expect(full.headers.get('cache-control')).to.equal(IMMUTABLE);
    const fullBytes = new Uint8Array(await full.arrayBuffer());
    expect(fullBytes.length).to.equal(8192);

    // Superseded by the full tile, a partial one of the same tile is still served: same prefix, forever.
    const partial = await fetchTile('tile/0/000.p/7');
    expect(partial.status).to.equal(200);
    expect(partial.headers.get('content-type')).to.equal('application/octet-stream');
    expect(partial.headers.get('cache-control')).to.equal(IMMUTABLE);
    expect(toBase64(new Uint8Array(await partial.arrayBuffer()))).to.equal(
      toBase64(fullBytes.subarray(0, 7 * 32)),
    );

    const edge = tileAt(checkpoint.size, 0, Math.floor(checkpoint.size / TILE_WIDTH));
    expect(edge.width).to.be.within(1, 255);
    expect((await tileBytes(edge)).length).to.equal(edge.width * 32);
    expect((await tileBytes(tileAt(checkpoint.size, 1, 0))).length).to.equal(
      Math.floor(checkpoint.size / TILE_WIDTH) * 32,
    );
  });

  it('when the log grows, then the tiles fetched before are unchanged and the new tiles give the new root', async () => {
    const before = checkpoint;
    const edge = tileAt(before.size, 0, Math.floor(before.size / TILE_WIDTH));
    const edgeBefore = await tileBytes(edge);
    await grow(before.size + 30);
    const after = await verifiedCheckpoint();
    expect(toBase64(await tileBytes(edge))).to.equal(toBase64(edgeBefore));
    const reader = tileNodeReader(after.size, tileBytes);
    expect(toBase64(await treeRoot(reader, after.size))).to.equal(toBase64(after.root));
    // The older tree's root, from the newer tree's tiles: its checkpoint still holds.
    expect(toBase64(await treeRoot(reader, before.size))).to.equal(toBase64(before.root));
  });

  it('when a tile lies beyond the tree or is wider than what exists, then it is 404 NOT_FOUND as problem+json, not cached', async () => {
    const size = await logSize(service);
    const edgeIndex = Math.floor(size / TILE_WIDTH);
    const edgeWidth = size % TILE_WIDTH || 1;
    const beyond = [
      `tile/0/${String(edgeIndex + 1).padStart(3, '0')}`,
      `tile/0/${String(edgeIndex + 1).padStart(3, '0')}.p/1`,
      `tile/0/${String(edgeIndex).padStart(3, '0')}.p/${Math.min(255, edgeWidth + 100)}`,
      'tile/1/000',
      'tile/2/000.p/1',
      'tile/63/000',
      'tile/0/x009/x007/x199/x254/x740/991',
    ];
    if (size % TILE_WIDTH !== 0) beyond.push(`tile/0/${String(edgeIndex).padStart(3, '0')}`);
    for (const path of beyond) {
      const response = await service.call('GET', `/v1/log/${path}`);
      expect(response.status, path).to.equal(404);
      expect(response.headers.get('content-type'), path).to.match(/^application\/problem\+json/);
      expect(response.headers.get('cache-control'), path).to.equal('no-store');
      expect(response.body.code, path).to.equal('NOT_FOUND');
      expect(response.body.type, path).to.equal('urn:custody-ledger:problem:not-found');
    }
  });

  it('when a tile path is malformed, then it is 400 INVALID_PARAMETER naming the element', async () => {
    const cases: Array<[string, string]> = [
      ['tile/00/000', '/level'],
      ['tile/64/000', '/level'],
      ['tile/0/0', '/index'],
      ['tile/0/x000/000', '/index'],
      ['tile/0/X001/000', '/index'],
      ['tile/0/00a', '/index'],
      ['tile/0/%30%30%30', '/index'],
      ['tile/0/000/', '/index'],
      [`tile/0/${'x001/'.repeat(30)}000`, '/index'],
      ['tile/0/000.p/0', '/width'],
      ['tile/0/000.p/256', '/width'],
      ['tile/0/000.p/007', '/width'],
    ];
    for (const [path, pointer] of cases) {
      const response = await service.call('GET', `/v1/log/${path}`);
      expect(response.status, path).to.equal(400);
      expect(response.headers.get('content-type'), path).to.match(/^application\/problem\+json/);
      expect(response.body.code, path).to.equal('INVALID_PARAMETER');
      expect(response.body.type, path).to.equal('urn:custody-ledger:problem:invalid-parameter');
      expect(response.body.errors?.[0]?.pointer, path).to.equal(pointer);
    }
  });

  it('when an entry bundle is asked for, with or without a token, then it is 404 NOT_FOUND: entries are not published', async () => {
    for (const options of [{}, { token }]) {
      for (const path of ['tile/entries/000', 'tile/entries/000.p/1']) {
        const response = await service.call('GET', `/v1/log/${path}`, options);
        expect(response.status, path).to.equal(404);
        expect(response.body.code, path).to.equal('NOT_FOUND');
        expect(response.text).to.not.match(/case\.opened/);
      }
    }
  });
});
