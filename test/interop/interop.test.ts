import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CompactSign, calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import {
  appendLeaves,
  type Checkpoint,
  type CompactRange,
  consistencyProof,
  EMPTY_RANGE,
  type EntryDisclosure,
  encodeDisclosure,
  encodeTlogProof,
  encodeVerifierKey,
  entryLeafHash,
  formatCheckpoint,
  fromBase64,
  inclusionProof,
  type LogEntry,
  leafHash,
  type NodeId,
  type NodeReader,
  type NoteSigner,
  noteSigner,
  openCheckpoint,
  parseVerifierKey,
  signCheckpoint,
  toBase64,
  toBase64Url,
  utf8,
} from '../../src/ledger';
import { withholdEntryParts } from '../../src/log/entry-policy';
import { TILE_WIDTH } from '../../src/log/tiles';
import { openCase, uploadItem } from '../support/fixtures';
import { growLog, logSize } from '../support/grow-log';
import {
  buildGoVerifier,
  DEBIAN_PYTHON,
  INTEROP,
  JWS_SCRIPT,
  missingInteropTools,
  pythonEnv,
  runTool,
} from '../support/interop-tools';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/**
 * Interoperability: artefacts made by src/ledger are checked by implementations
 * that are not ours — golang.org/x/mod/sumdb/note and sumdb/tlog (Go, the
 * reference formats.md names), Python jwcrypto for receipts, and entries'
 * leaf hashes (RFC 8785) and disclosures (formats.md §1.1) checked with the
 * Python and Go standard libraries from the formats alone. Sources live in
 * the source tree, not in dist; build output goes under os.tmpdir().
 */
const ENTRY_SCRIPT = path.join(INTEROP, 'check_entry.py');

const ORIGIN = 'interop.example/custody';
const SIZES = [1, 2, 3, 7, 8, 13, 64, 1000] as const;

/** One case for test/interop/go/verify.go; see the comment at its top. */
type GoCase =
  | { id: string; kind: 'note'; vkey: string; note: string }
  | {
      id: string;
      kind: 'checkpoint-inclusion';
      vkey: string;
      note: string;
      leafHash: string;
      index: number;
      proof: string[];
    }
  | { id: string; kind: 'tlog-proof'; vkey: string; bundle: string; leafHash: string }
  | {
      id: string;
      kind: 'consistency';
      oldSize: number;
      oldRoot: string;
      newSize: number;
      newRoot: string;
      proof: string[];
    }
  | { id: string; kind: 'record-hash'; data: string }
  | {
      id: string;
      kind: 'tiles';
      baseUrl: string;
      vkey: string;
      index: number;
      leafHash: string;
      note?: string;
    }
  | { id: string; kind: 'disclosures'; entry: unknown; disclosures: string[] };

/** Fields of an entry as a reader sees them once its disclosures are applied, and how many stay withheld. */
interface Revealed {
  readonly actor?: Record<string, unknown>;
  readonly data?: Record<string, unknown>;
  readonly withheld?: { actor: number; data: number };
}

interface GoResult extends Revealed {
  readonly id: string;
  readonly kind: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly text?: string;
  readonly origin?: string;
  readonly size?: number;
  readonly root?: string;
  readonly hash?: string;
  readonly index?: number;
  readonly tiles?: number;
}

/** What test/interop/check_entry.py answers for an entry and its disclosures. */
interface EntryResult extends Revealed {
  readonly id: string;
  readonly ok: boolean;
  readonly error?: string;
  /** Base64 SHA-256(0x00 || JCS(entry)), computed in Python. */
  readonly leafHash?: string;
}

interface JwsResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly header?: Record<string, unknown>;
  readonly payload?: Record<string, unknown>;
}

/** Flips one bit of a copy of `bytes`. */
function flipBit(bytes: Uint8Array, byte: number, bit = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[byte] = (copy[byte] as number) ^ (1 << bit);
  return copy;
}

/** The tree the tests prove things about: leaves `entry 0` ... `entry 999`, every node kept in memory. */
class MemoryTree implements NodeReader {
  private readonly nodes = new Map<string, Uint8Array>();
  private range: CompactRange = EMPTY_RANGE;
  readonly roots = new Map<number, Uint8Array>();
  readonly leaves: Uint8Array[] = [];

  growTo(size: number): void {
    const batch: Uint8Array[] = [];
    for (let i = this.range.size; i < size; i++) batch.push(leafHash(utf8(`entry ${i}`)));
    this.append(batch);
  }

  append(batch: readonly Uint8Array[]): void {
    const { created, range, root } = appendLeaves(this.range, batch);
    for (const node of created) this.nodes.set(`${node.level}/${node.index}`, node.hash);
    this.leaves.push(...batch);
    this.range = range;
    this.roots.set(range.size, root);
  }

  async readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    return ids.map(({ level, index }) => {
      const hash = this.nodes.get(`${level}/${index}`);
      if (!hash) throw new Error(`node ${level}/${index} is not stored`);
      return hash;
    });
  }

  root(size: number): Uint8Array {
    const root = this.roots.get(size);
    if (!root) throw new Error(`no root recorded for size ${size}`);
    return root;
  }

  leaf(index: number): Uint8Array {
    const leaf = this.leaves[index];
    if (!leaf) throw new Error(`no leaf ${index}`);
    return leaf;
  }
}

/** Indexes worth proving in a tree of `size`: both ends, the middle, around powers of two. */
function indexesFor(size: number): number[] {
  const candidates = [0, 1, size - 2, size - 1, Math.floor(size / 2), 5, 6, 7, 8, 511, 512, 513, 767];
  return [...new Set(candidates.filter((i) => i >= 0 && i < size))].sort((a, b) => a - b);
}

/**
 * An HTTP proxy in front of `upstream` that forwards every GET and flips one
 * bit in the middle of the body of each answer whose path `alter` picks: a
 * network between partner and log that changes what it carries.
 */
async function startAlteringProxy(
  upstream: string,
  alter: (path: string) => boolean,
): Promise<{ url: string; altered: () => number; stop: () => Promise<void> }> {
  let altered = 0;
  const server: Server = createServer(async (req, res) => {
    try {
      const answer = await fetch(new URL(req.url ?? '/', upstream));
      const body = Buffer.from(await answer.arrayBuffer());
      if (alter(req.url ?? '') && body.length > 0) {
        const middle = Math.floor(body.length / 2);
        body[middle] = (body[middle] as number) ^ 0x01;
        altered++;
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
      res.end(body);
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    altered: () => altered,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('interop: our artefacts checked by implementations that are not ours', () => {
  let workDir = '';
  let verifyBinary = '';
  const tree = new MemoryTree();
  let logKey: NoteSigner;
  let vkey = '';
  const checkpoints = new Map<number, string>();

  before(async function () {
    this.timeout(180_000);
    const missing = await missingInteropTools();
    if (missing.length > 0) {
      if (process.env.INTEROP_REQUIRED === '1') {
        throw new Error(
          `INTEROP_REQUIRED=1 but missing: ${missing.join('; ')}. Run scripts/install-interop-tools.sh`,
        );
      }
      // The tools are installed by scripts/install-interop-tools.sh; CI sets
      // INTEROP_REQUIRED=1 so these never skip there.
      this.skip();
    }

    workDir = mkdtempSync(path.join(os.tmpdir(), 'custody-interop-'));
    verifyBinary = await buildGoVerifier(workDir);

    logKey = noteSigner(ORIGIN, new Uint8Array(randomBytes(32)));
    vkey = encodeVerifierKey(ORIGIN, logKey.publicKey);
    for (const size of SIZES) {
      tree.growTo(size);
      checkpoints.set(size, signCheckpoint({ origin: ORIGIN, size, root: tree.root(size) }, logKey));
    }
  });

  after(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function goCheck(cases: readonly GoCase[]): Promise<Map<string, GoResult>> {
    const output = await runTool(verifyBinary, [], JSON.stringify({ cases }));
    if (output.code !== 0) throw new Error(`verify exited ${output.code}: ${output.stderr}`);
    const { results } = JSON.parse(output.stdout) as { results: GoResult[] };
    expect(results.map((r) => r.id)).to.deep.equal(cases.map((c) => c.id));
    return new Map(results.map((r) => [r.id, r]));
  }

  function result(results: Map<string, GoResult>, id: string): GoResult {
    const found = results.get(id);
    if (!found) throw new Error(`no result for case ${id}`);
    return found;
  }

  function checkpointFor(size: number): string {
    const note = checkpoints.get(size);
    if (!note) throw new Error(`no checkpoint for size ${size}`);
    return note;
  }

  describe('Go golang.org/x/mod/sumdb (note, tlog)', () => {
    it('when tlog.RecordHash hashes the same data, then it equals our leafHash', async () => {
      const inputs = [
        new Uint8Array(0),
        utf8('entry 0'),
        utf8('{"v":1,"log":"interop.example/custody"}'),
        new Uint8Array(randomBytes(1000)),
      ];
      const results = await goCheck(
        inputs.map((data, i) => ({ id: `data-${i}`, kind: 'record-hash', data: toBase64(data) })),
      );
      for (const [i, data] of inputs.entries()) {
        const r = result(results, `data-${i}`);
        expect(r.ok, r.error).to.equal(true);
        expect(r.hash).to.equal(toBase64(leafHash(data)));
      }
    });

    it('when every signed checkpoint is opened with our vkey, then sumdb/note verifies it and returns the checkpoint text', async () => {
      const results = await goCheck(
        SIZES.map((size) => ({ id: `cp-${size}`, kind: 'note', vkey, note: checkpointFor(size) })),
      );
      for (const size of SIZES) {
        const r = result(results, `cp-${size}`);
        expect(r.ok, r.error).to.equal(true);
        const expected: Checkpoint = { origin: ORIGIN, size, root: tree.root(size) };
        expect(r.text).to.equal(formatCheckpoint(expected));
      }
    });

    it('when a checkpoint is tampered with or signed by another key, then sumdb/note rejects it', async () => {
      const genuine = checkpointFor(7);
      const otherSize = genuine.replace(`${ORIGIN}\n7\n`, `${ORIGIN}\n8\n`);
      expect(otherSize).to.not.equal(genuine);
      const otherRoot = genuine.replace(toBase64(tree.root(7)), toBase64(tree.root(8)));
      expect(otherRoot).to.not.equal(genuine);
      const [text, signatureLine] = genuine.split('\n\n') as [string, string];
      const signature = fromBase64(signatureLine.slice(`\u2014 ${ORIGIN} `.length).trimEnd());
      const flippedSignature = `${text}\n\n\u2014 ${ORIGIN} ${toBase64(flipBit(signature, 40))}\n`;
      const impostor = signCheckpoint(
        { origin: ORIGIN, size: 7, root: tree.root(7) },
        noteSigner(ORIGIN, new Uint8Array(randomBytes(32))),
      );
      const results = await goCheck([
        { id: 'genuine', kind: 'note', vkey, note: genuine },
        { id: 'size-changed', kind: 'note', vkey, note: otherSize },
        { id: 'root-changed', kind: 'note', vkey, note: otherRoot },
        { id: 'signature-bit', kind: 'note', vkey, note: flippedSignature },
        { id: 'other-key', kind: 'note', vkey, note: impostor },
      ]);
      expect(result(results, 'genuine').ok).to.equal(true);
      for (const id of ['size-changed', 'root-changed', 'signature-bit', 'other-key']) {
        expect(result(results, id).ok, id).to.equal(false);
      }
    });

    it('when the C2SP known-answer note is opened, then sumdb/note verifies it and rejects a flipped byte', async () => {
      const vector = JSON.parse(
        readFileSync(path.join(INTEROP, '..', 'kat', 'vectors', 'signed-note.json'), 'utf8'),
      ) as { vkey: string; text: string; note: string };
      // Lowercasing the first letter of the text changes one byte under the same signature.
      const tampered = `${vector.note.charAt(0).toLowerCase()}${vector.note.slice(1)}`;
      expect(tampered).to.not.equal(vector.note);
      const results = await goCheck([
        { id: 'kat', kind: 'note', vkey: vector.vkey, note: vector.note },
        { id: 'kat-tampered', kind: 'note', vkey: vector.vkey, note: tampered },
      ]);
      const kat = result(results, 'kat');
      expect(kat.ok, kat.error).to.equal(true);
      expect(kat.text).to.equal(vector.text);
      expect(result(results, 'kat-tampered').ok).to.equal(false);
    });

    it('when inclusion proofs for many indexes and sizes are checked against the signed checkpoints, then tlog.CheckRecord accepts every one', async () => {
      const cases: GoCase[] = [];
      for (const size of SIZES) {
        for (const index of indexesFor(size)) {
          const proof = await inclusionProof(tree, index, size);
          cases.push({
            id: `incl-${index}-${size}`,
            kind: 'checkpoint-inclusion',
            vkey,
            note: checkpointFor(size),
            leafHash: toBase64(tree.leaf(index)),
            index,
            proof: proof.map(toBase64),
          });
        }
      }
      expect(cases.length).to.be.greaterThan(40);
      const results = await goCheck(cases);
      for (const c of cases) {
        const r = result(results, c.id);
        expect(r.ok, `${c.id}: ${r.error}`).to.equal(true);
        const size = Number(c.id.split('-')[2]);
        expect({ origin: r.origin, size: r.size, root: r.root }).to.deep.equal({
          origin: ORIGIN,
          size,
          root: toBase64(tree.root(size)),
        });
      }
    });

    it('when an inclusion proof has one flipped bit, the wrong index, the wrong leaf or a tampered checkpoint, then tlog.CheckRecord rejects it', async () => {
      const size = 1000;
      const index = 513;
      const proof = await inclusionProof(tree, index, size);
      const note = checkpointFor(size);
      const base = {
        kind: 'checkpoint-inclusion' as const,
        vkey,
        note,
        leafHash: toBase64(tree.leaf(index)),
        index,
        proof: proof.map(toBase64),
      };
      const cases: GoCase[] = [{ ...base, id: 'genuine' }];
      for (const [position, hash] of proof.entries()) {
        const flipped = proof.map(toBase64);
        flipped[position] = toBase64(flipBit(hash, position % 32, position % 8));
        cases.push({ ...base, id: `proof-bit-${position}`, proof: flipped });
      }
      cases.push(
        { ...base, id: 'leaf-bit', leafHash: toBase64(flipBit(tree.leaf(index), 31, 7)) },
        { ...base, id: 'wrong-index', index: index + 1 },
        { ...base, id: 'wrong-leaf', leafHash: toBase64(tree.leaf(index + 1)) },
        { ...base, id: 'proof-too-short', proof: proof.slice(0, -1).map(toBase64) },
        { ...base, id: 'size-changed', note: note.replace(`${ORIGIN}\n1000\n`, `${ORIGIN}\n1001\n`) },
        // Our genuine checkpoint for a smaller tree: signed, but the proof is for size 1000.
        { ...base, id: 'other-checkpoint', note: checkpointFor(64) },
      );
      const results = await goCheck(cases);
      const genuine = result(results, 'genuine');
      expect(genuine.ok, genuine.error).to.equal(true);
      for (const c of cases.slice(1)) expect(result(results, c.id).ok, c.id).to.equal(false);
    });

    it('when consistency proofs between every pair of sizes are checked, then tlog.CheckTree accepts every one', async () => {
      const cases: GoCase[] = [];
      for (const oldSize of SIZES) {
        for (const newSize of SIZES.filter((n) => n >= oldSize)) {
          const proof = await consistencyProof(tree, oldSize, newSize);
          cases.push({
            id: `cons-${oldSize}-${newSize}`,
            kind: 'consistency',
            oldSize,
            oldRoot: toBase64(tree.root(oldSize)),
            newSize,
            newRoot: toBase64(tree.root(newSize)),
            proof: proof.map(toBase64),
          });
        }
      }
      expect(cases.length).to.equal((SIZES.length * (SIZES.length + 1)) / 2);
      const results = await goCheck(cases);
      for (const c of cases) {
        const r = result(results, c.id);
        expect(r.ok, `${c.id}: ${r.error}`).to.equal(true);
      }
    });

    it('when a consistency proof has one flipped bit or mismatched roots, then tlog.CheckTree rejects it', async () => {
      const [oldSize, newSize] = [13, 1000];
      const proof = await consistencyProof(tree, oldSize, newSize);
      const base = {
        kind: 'consistency' as const,
        oldSize,
        oldRoot: toBase64(tree.root(oldSize)),
        newSize,
        newRoot: toBase64(tree.root(newSize)),
        proof: proof.map(toBase64),
      };
      const cases: GoCase[] = [{ ...base, id: 'genuine' }];
      for (const [position, hash] of proof.entries()) {
        const flipped = proof.map(toBase64);
        flipped[position] = toBase64(flipBit(hash, (position * 7) % 32, position % 8));
        cases.push({ ...base, id: `proof-bit-${position}`, proof: flipped });
      }
      cases.push(
        { ...base, id: 'old-root', oldRoot: toBase64(tree.root(8)) },
        { ...base, id: 'new-root', newRoot: toBase64(tree.root(64)) },
        { ...base, id: 'old-size', oldSize: 12 },
        { ...base, id: 'proof-too-short', proof: proof.slice(1).map(toBase64) },
      );
      const results = await goCheck(cases);
      const genuine = result(results, 'genuine');
      expect(genuine.ok, genuine.error).to.equal(true);
      for (const c of cases.slice(1)) expect(result(results, c.id).ok, c.id).to.equal(false);
    });
  });

  describe('Python jwcrypto (receipts) with the Go verifier for the tlog-proof inside', () => {
    let receiptKey: KeyObject;
    let kid = '';
    let jwks: { keys: JWK[] } = { keys: [] };

    before(async () => {
      const pair = generateKeyPairSync('ed25519');
      receiptKey = pair.privateKey;
      const publicJwk = await exportJWK(pair.publicKey);
      kid = await calculateJwkThumbprint(publicJwk);
      // A retired key stays in the JWKS; verification must pick the key by kid.
      const retired = await exportJWK(generateKeyPairSync('ed25519').publicKey);
      const retiredKid = await calculateJwkThumbprint(retired);
      jwks = {
        keys: [
          { ...retired, kid: retiredKid, alg: 'EdDSA', use: 'sig' },
          { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
        ],
      };
    });

    async function jwcryptoVerify(token: string, keys = jwks): Promise<JwsResult> {
      const output = await runTool(DEBIAN_PYTHON, ['-I', JWS_SCRIPT], JSON.stringify({ jwks: keys, token }), {
        env: pythonEnv(),
      });
      if (output.code !== 0) throw new Error(`verify_jws.py exited ${output.code}: ${output.stderr}`);
      return JSON.parse(output.stdout) as JwsResult;
    }

    async function receiptFor(index: number, size: number) {
      const leaf = tree.leaf(index);
      const tlogProof = encodeTlogProof({
        index,
        proof: await inclusionProof(tree, index, size),
        checkpoint: checkpointFor(size),
      });
      return {
        iss: ORIGIN,
        iat: 1795857300,
        jti: toBase64Url(leaf),
        sub: 'evidence:6f1c2b7e-8a53-4c1d-9a2e-0d7b5e3f4a10',
        entry: { note: `entry ${index}` },
        index,
        tlog_proof: tlogProof,
      };
    }

    function sign(payload: unknown, key: KeyObject = receiptKey): Promise<string> {
      return new CompactSign(utf8(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'custody-receipt+jwt' })
        .sign(key);
    }

    it('when a receipt signed with jose is verified by jwcrypto, then the header and payload come back intact and Go verifies its tlog-proof', async () => {
      const payload = await receiptFor(777, 1000);
      const verified = await jwcryptoVerify(await sign(payload));
      expect(verified.ok, verified.error).to.equal(true);
      expect(verified.header).to.deep.equal({ alg: 'EdDSA', kid, typ: 'custody-receipt+jwt' });
      expect(verified.payload).to.deep.equal(payload);

      // formats.md §4 steps 3-5 with outside tools only: the leaf hash comes from the verified jti.
      const bundle = verified.payload?.tlog_proof;
      const jti = verified.payload?.jti;
      expect(bundle).to.be.a('string');
      expect(jti).to.be.a('string');
      const leaf = Buffer.from(jti as string, 'base64url').toString('base64');
      const results = await goCheck([
        { id: 'receipt', kind: 'tlog-proof', vkey, bundle: bundle as string, leafHash: leaf },
        {
          id: 'receipt-other-leaf',
          kind: 'tlog-proof',
          vkey,
          bundle: bundle as string,
          leafHash: toBase64(tree.leaf(776)),
        },
      ]);
      const receipt = result(results, 'receipt');
      expect(receipt.ok, receipt.error).to.equal(true);
      expect({ origin: receipt.origin, size: receipt.size, index: receipt.index }).to.deep.equal({
        origin: verified.payload?.iss,
        size: 1000,
        index: verified.payload?.index,
      });
      expect(result(results, 'receipt-other-leaf').ok).to.equal(false);
    });

    it('when the payload of a signed receipt is replaced, then jwcrypto rejects it', async () => {
      const token = await sign(await receiptFor(5, 8));
      const [header, , signature] = token.split('.') as [string, string, string];
      const forged = Buffer.from(JSON.stringify(await receiptFor(6, 8))).toString('base64url');
      const results = await Promise.all([
        jwcryptoVerify(token),
        jwcryptoVerify(`${header}.${forged}.${signature}`),
      ]);
      expect(results.map((r) => r.ok)).to.deep.equal([true, false]);
    });

    it('when a receipt is signed by a key that is not in the JWKS under that kid, then jwcrypto rejects it', async () => {
      const stranger = generateKeyPairSync('ed25519').privateKey;
      const payload = await receiptFor(0, 1);
      const results = await Promise.all([
        jwcryptoVerify(await sign(payload)),
        jwcryptoVerify(await sign(payload, stranger)),
      ]);
      expect(results.map((r) => r.ok)).to.deep.equal([true, false]);
    });
    describe('log entries of both versions and their disclosures, from formats.md alone (jwcrypto, Python, Go)', () => {
      const SD_ORIGIN = 'entries.interop.example/custody';
      const entriesTree = new MemoryTree();
      const entryLog = noteSigner(SD_ORIGIN, new Uint8Array(randomBytes(32)));
      const entryVkey = encodeVerifierKey(SD_ORIGIN, entryLog.publicKey);
      const actor = { sub: 'officer-7', agency: 'AZ-SSS', role: 'custodian' };
      const item = '6f1c2b7e-8a53-4c1d-9a2e-0d7b5e3f4a10';
      /** What each entry was written from: its actor and data before anything was withheld. */
      const written: Array<{ data: Record<string, unknown>; disclosures: readonly EntryDisclosure[] }> = [];
      const entries: LogEntry[] = [];
      let checkpoint = '';

      /** Appends an entry of item's chain: version 1 with every field clear, version 2 as the service withholds. */
      function append(v: 1 | 2, type: string, data: Record<string, LogEntry['data'][string]>): void {
        const previous = entries[entries.length - 1];
        const frame = {
          log: SD_ORIGIN,
          subject: { type: 'evidence' as const, id: item },
          seq: entries.length + 1,
          prev: previous ? toBase64(entryLeafHash(previous)) : null,
          type,
          at: new Date(Date.UTC(2026, 10, 20, 9, entries.length)).toISOString(),
        };
        const parts = withholdEntryParts(type, actor, data);
        entries.push(
          v === 1
            ? { v: 1, ...frame, actor, data }
            : { v: 2, ...frame, actor: parts.actor, data: parts.data },
        );
        written.push({ data, disclosures: v === 1 ? [] : parts.disclosures });
      }

      before(() => {
        // JCS orders members by UTF-16 code units: U+FF61 sorts after U+1F600 there, before it by code point.
        append(1, 'evidence.acquired', {
          sha256: 'ab'.repeat(32),
          size: 4096,
          '\uff61': 'halfwidth',
          '\u{1f600}': 'astral',
          'quote"and\\slash': 'tab\tnul\u0001 é',
        });
        append(2, 'custody.transferred', {
          purpose: 'to the lab, sealed',
          counterparty: { agency: 'AZ-LAB', sub: 'analyst-3' },
          bags: [1, 2, 3],
        });
        append(2, 'integrity.verified', {
          sha256: 'ab'.repeat(32),
          size: 4096,
          method: 'rehash',
          notes: 'ok',
        });
        append(2, 'report.issued', { format: 'json' });
        entriesTree.append(entries.map(entryLeafHash));
        checkpoint = signCheckpoint(
          { origin: SD_ORIGIN, size: entries.length, root: entriesTree.root(entries.length) },
          entryLog,
        );
      });

      async function receipt(index: number): Promise<string> {
        const entry = entries[index] as LogEntry;
        const proof = await inclusionProof(entriesTree, index, entries.length);
        return sign({
          iss: SD_ORIGIN,
          iat: Math.floor(Date.parse(entry.at) / 1000) + 1,
          jti: toBase64Url(entryLeafHash(entry)),
          sub: `evidence:${item}`,
          entry,
          index,
          tlog_proof: encodeTlogProof({ index, proof, checkpoint }),
        });
      }

      async function pythonCheck(
        cases: ReadonlyArray<{ id: string; entry: unknown; disclosures: readonly string[] }>,
      ): Promise<Map<string, EntryResult>> {
        const output = await runTool(DEBIAN_PYTHON, ['-I', ENTRY_SCRIPT], JSON.stringify({ cases }), {
          env: pythonEnv(),
        });
        if (output.code !== 0) throw new Error(`check_entry.py exited ${output.code}: ${output.stderr}`);
        const { results } = JSON.parse(output.stdout) as { results: EntryResult[] };
        expect(results.map((r) => r.id)).to.deep.equal(cases.map((c) => c.id));
        return new Map(results.map((r) => [r.id, r]));
      }

      /** The same cases through Python and through Go, each from the standards alone. */
      async function bothCheck(cases: ReadonlyArray<{ id: string; entry: unknown; disclosures: string[] }>) {
        const [python, go] = await Promise.all([
          pythonCheck(cases),
          goCheck(cases.map((c) => ({ ...c, kind: 'disclosures' as const }))),
        ]);
        return cases.map(({ id }) => ({ id, python: python.get(id) as EntryResult, go: result(go, id) }));
      }

      const disclosuresOf = (index: number, pick: (one: EntryDisclosure) => boolean = () => true) =>
        (written[index]?.disclosures ?? []).filter(pick).map((one) => one.disclosure);

      it('when receipts of version 1 and 2 entries are verified by jwcrypto, then Python recomputes each leaf hash (RFC 8785, RFC 6962) as its jti names it, and Go proves it in the signed tree', async () => {
        const verified = await Promise.all(
          entries.map(async (_entry, index) => jwcryptoVerify(await receipt(index))),
        );
        for (const one of verified) expect(one.ok, one.error).to.equal(true);
        const payloads = verified.map(
          (one) => one.payload as { entry: LogEntry; jti: string; tlog_proof: string },
        );
        const altered = payloads[1]?.entry as LogEntry;
        const hashes = await pythonCheck([
          ...payloads.map((payload, index) => ({
            id: `entry-${index}`,
            entry: payload.entry,
            disclosures: [],
          })),
          // One digest of `_sd` changed: the entry commits to other fields, so it is another leaf.
          {
            id: 'sd-changed',
            entry: {
              ...altered,
              data: { ...altered.data, _sd: [...(altered.data._sd as string[])].reverse() },
            },
            disclosures: [],
          },
        ]);
        const cases: GoCase[] = payloads.map((payload, index) => {
          const python = hashes.get(`entry-${index}`) as EntryResult;
          expect(python.ok, python.error).to.equal(true);
          expect(Buffer.from(python.leafHash as string, 'base64').toString('base64url')).to.equal(
            payload.jti,
          );
          return {
            id: `proof-${index}`,
            kind: 'tlog-proof',
            vkey: entryVkey,
            bundle: payload.tlog_proof,
            leafHash: python.leafHash as string,
          };
        });
        cases.push({
          ...(cases[1] as GoCase & { kind: 'tlog-proof' }),
          id: 'sd-changed',
          leafHash: hashes.get('sd-changed')?.leafHash as string,
        });
        expect(entries.map((entry) => entry.v)).to.deep.equal([1, 2, 2, 2]);
        const proofs = await goCheck(cases);
        for (const index of entries.keys()) {
          const proven = result(proofs, `proof-${index}`);
          expect(proven.ok, proven.error).to.equal(true);
          expect(proven.index).to.equal(index);
        }
        expect(result(proofs, 'sd-changed').ok).to.equal(false);
      });

      it('when the disclosures of version 2 entries are checked by Python and by Go, then each reveals its field where the entry committed to it, and what is not given counts as withheld', async () => {
        const v2 = [1, 2, 3];
        const cases = v2.flatMap((index) => [
          { id: `all-${index}`, entry: entries[index], disclosures: disclosuresOf(index) },
          { id: `none-${index}`, entry: entries[index], disclosures: [] },
          {
            id: `data-only-${index}`,
            entry: entries[index],
            disclosures: disclosuresOf(index, (one) => one.in === 'data').reverse(),
          },
        ]);
        const published = (index: number) => {
          const { _sd, _sd_alg, ...clear } = (entries[index] as LogEntry).data;
          return clear;
        };
        const withheldData = (index: number) => disclosuresOf(index, (one) => one.in === 'data').length;
        const expected = (id: string): Revealed => {
          const [kind, index] = [id.replace(/-\d+$/, ''), Number(id.split('-').pop())];
          const { agency, role } = actor;
          if (kind === 'all') return { actor, data: written[index]?.data, withheld: { actor: 0, data: 0 } };
          if (kind === 'none')
            return {
              actor: { agency, role },
              data: published(index),
              withheld: { actor: 1, data: withheldData(index) },
            };
          return { actor: { agency, role }, data: written[index]?.data, withheld: { actor: 1, data: 0 } };
        };
        for (const { id, python, go } of await bothCheck(cases)) {
          expect(python.ok, `${id}: ${python.error}`).to.equal(true);
          expect(go.ok, `${id}: ${go.error}`).to.equal(true);
          const want = expected(id);
          expect(
            { actor: python.actor, data: python.data, withheld: python.withheld },
            `python ${id}`,
          ).to.deep.equal(want);
          expect({ actor: go.actor, data: go.data, withheld: go.withheld }, `go ${id}`).to.deep.equal(want);
        }
        // A transfer publishes none of its data: a reader given no disclosures sees three fields withheld.
        expect(withheldData(1)).to.equal(3);
      });

      it('when a disclosure is altered, invented, malformed, repeated or given for another entry, then Python and Go both refuse it', async () => {
        const [purpose, counterparty] = [
          disclosuresOf(1, (one) => one.name === 'purpose')[0] as string,
          disclosuresOf(1, (one) => one.name === 'counterparty')[0] as string,
        ];
        const [salt] = JSON.parse(Buffer.from(purpose, 'base64url').toString('utf8')) as [string];
        const freshSalt = toBase64Url(new Uint8Array(randomBytes(16)));
        const middle = Math.floor(purpose.length / 2);
        const oneCharacter = `${purpose.slice(0, middle)}${purpose[middle] === 'A' ? 'B' : 'A'}${purpose.slice(middle + 1)}`;
        const hand = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        // The alphabet of RFC 4648 §4, with padding: not the base64url formats.md names.
        const standard = Buffer.from(JSON.stringify([freshSalt, 'purpose', 'x/y?>>>'])).toString('base64');
        expect(standard).to.match(/[+/=]/);
        const bad: Array<[string, number, string[]]> = [
          ['genuine', 1, [purpose, counterparty]],
          ['altered-value', 1, [encodeDisclosure(salt, 'purpose', 'to the incinerator')]],
          ['one-character', 1, [oneCharacter]],
          ['invented-field', 1, [purpose, encodeDisclosure(freshSalt, 'informant', 'N. N.')]],
          ['padded', 1, [`${purpose}=`]],
          ['standard-base64', 1, [standard]],
          ['two-elements', 1, [hand([salt, 'purpose'])]],
          ['short-salt', 1, [encodeDisclosure('c2FsdA', 'purpose', 'to the lab, sealed')]],
          ['float-value', 1, [hand([freshSalt, 'weight', 1.5])]],
          ['twice', 1, [purpose, counterparty, purpose]],
          ['another-entry', 2, [purpose]],
          ['version-1-entry', 0, [purpose]],
        ];
        const cases = bad.map(([id, index, disclosures]) => ({ id, entry: entries[index], disclosures }));
        const answers = await bothCheck(cases);
        expect(oneCharacter).to.not.equal(purpose);
        expect(answers.map(({ id, python, go }) => [id, python.ok, go.ok])).to.deep.equal(
          bad.map(([id]) => [id, id === 'genuine', id === 'genuine']),
        );
      });
    });
  });

  describe('Go tlog over the service’s C2SP tiles, fetched over HTTP', () => {
    let service: TestService;
    let token = '';
    let logVkey = '';
    /** A checkpoint of the log signed before its last growth. */
    let earlier = '';
    /** Entries this test wrote, whose leaf hashes its principal may read. */
    let own: number[] = [];

    before(async function () {
      this.timeout(120_000);
      service = await startTestService();
      token = await service.token(uniqueSub('partner'), uniqueAgency(), 'investigator');
      logVkey = (await service.call('GET', '/v1/log/info')).body.vkey;
      own = await growLog(service, token, 280);
      earlier = (await service.call('GET', '/v1/log/checkpoint')).text;
      own.push(...(await growLog(service, token, (await logSize(service)) + 40)));
      // A size that is not a multiple of 256: the tree has partial tiles at levels 0 and 1.
      if ((await logSize(service)) % TILE_WIDTH === 0) own.push(...(await growLog(service, token, 1)));
    });
    after(async () => {
      await service.stop();
    });

    /** The leaf hashes of entries this test wrote, read with its token (each read is itself logged). */
    async function leafHashes(indexes: readonly number[]): Promise<Map<number, string>> {
      const hashes = new Map<number, string>();
      for (const index of indexes) {
        const entry = await service.call('GET', `/v1/log/entries/${index}`, { token });
        expect(entry.status).to.equal(200);
        hashes.set(index, entry.body.leafHash);
      }
      return hashes;
    }

    it('when Go proves our entries from tiles alone, then tlog.CheckRecord accepts each against the checkpoint it opened, and tlog.CheckTree links an earlier checkpoint', async () => {
      const indexes = [
        ...new Set([own[0], own[Math.floor(own.length / 2)], own[own.length - 1]]),
      ] as number[];
      const leaves = await leafHashes(indexes);
      const baseUrl = `${service.url}/v1/log`;
      const cases: GoCase[] = indexes.map((index) => ({
        id: `tiles-${index}`,
        kind: 'tiles',
        baseUrl,
        vkey: logVkey,
        index,
        leafHash: leaves.get(index) as string,
      }));
      cases.push({ ...(cases[0] as GoCase & { kind: 'tiles' }), id: 'tiles-consistency', note: earlier });
      const results = await goCheck(cases);
      // Nothing wrote to the log while Go ran: the checkpoint it opened is the one now served.
      const current = openCheckpoint(
        (await service.call('GET', '/v1/log/checkpoint')).text,
        parseVerifierKey(logVkey),
      );
      expect(current.size).to.be.greaterThan(TILE_WIDTH);
      expect(current.size % TILE_WIDTH).to.not.equal(0);
      for (const c of cases) {
        const r = result(results, c.id);
        expect(r.ok, `${c.id}: ${r.error}`).to.equal(true);
        expect({ origin: r.origin, size: r.size, root: r.root }).to.deep.equal({
          origin: current.origin,
          size: current.size,
          root: toBase64(current.root),
        });
        expect(r.tiles, c.id).to.be.within(2, 12);
      }
      expect(openCheckpoint(earlier, parseVerifierKey(logVkey)).size).to.be.lessThan(current.size);
    });

    it('when a tile or the checkpoint is altered in transit, or the leaf hash or index is wrong, then Go rejects the proof', async () => {
      const index = own.find((i) => i < TILE_WIDTH) ?? (own[0] as number);
      const leaf = (await leafHashes([index])).get(index) as string;
      const otherIndex = own.find((i) => i !== index) as number;
      const otherLeaf = (await leafHashes([otherIndex])).get(otherIndex) as string;
      const tileOfLeaf = `/v1/log/tile/0/${String(Math.floor(index / TILE_WIDTH)).padStart(3, '0')}`;
      // The leaf's level-0 tile, full or partial (`.p/<W>`), whichever the tree has.
      const alteredTile = await startAlteringProxy(service.url, (path) => path.startsWith(tileOfLeaf));
      const alteredCheckpoint = await startAlteringProxy(
        service.url,
        (path) => path === '/v1/log/checkpoint',
      );
      try {
        const base = {
          kind: 'tiles' as const,
          baseUrl: `${service.url}/v1/log`,
          vkey: logVkey,
          index,
          leafHash: leaf,
        };
        const cases: GoCase[] = [
          { ...base, id: 'genuine' },
          { ...base, id: 'tile-altered', baseUrl: `${alteredTile.url}/v1/log` },
          { ...base, id: 'checkpoint-altered', baseUrl: `${alteredCheckpoint.url}/v1/log` },
          { ...base, id: 'wrong-leaf', leafHash: otherLeaf },
          { ...base, id: 'wrong-index', index: otherIndex },
          { ...base, id: 'leaf-bit', leafHash: toBase64(flipBit(fromBase64(leaf), 31, 7)) },
        ];
        const results = await goCheck(cases);
        const genuine = result(results, 'genuine');
        expect(genuine.ok, genuine.error).to.equal(true);
        // An altered tile is caught by tlog.CheckRecord against the opened checkpoint's root (Debian's
        // x/mod 0.7.0 TileHashReader does not authenticate every tile: CVE-2026-56865, fixed in 0.40.0).
        for (const c of cases.slice(1)) expect(result(results, c.id).ok, c.id).to.equal(false);
        // The altering proxies did alter what Go fetched through them.
        expect(alteredTile.altered()).to.be.greaterThan(0);
        expect(alteredCheckpoint.altered()).to.be.greaterThan(0);
      } finally {
        await alteredTile.stop();
        await alteredCheckpoint.stop();
      }
    });
  });

  describe('a custody report from the service, checked from its JWS alone by jwcrypto, Python and Go', () => {
    let service: TestService;

    before(async function () {
      this.timeout(120_000);
      service = await startTestService();
    });
    after(async () => {
      await service.stop();
    });

    it('when the report is verified by jwcrypto, then Python recomputes each entry’s leaf hash as the report names it, and Go checks each entry’s tlog-proof against the report’s checkpoint with the vkey', async () => {
      const token = await service.token(uniqueSub('court'), uniqueAgency(), 'investigator');
      const caseId = await openCase(service, token);
      const itemId = await uploadItem(service, token, caseId);
      const sealed = await service.call('POST', `/v1/evidence/${itemId}/events`, {
        token,
        json: { type: 'custody.sealed', purpose: 'examination', sealNumber: 'S-7' },
      });
      expect(sealed.status).to.equal(201);
      const { jws } = (await service.call('GET', `/v1/evidence/${itemId}/report`, { token })).body as {
        jws: string;
      };
      const jwks = (await service.call('GET', '/.well-known/jwks.json')).body;
      const logVkey = (await service.call('GET', '/v1/log/info')).body.vkey as string;

      // From here on only the JWS, the JWKS and the vkey, and no code of ours.
      const output = await runTool(DEBIAN_PYTHON, ['-I', JWS_SCRIPT], JSON.stringify({ jwks, token: jws }), {
        env: pythonEnv(),
      });
      const verified = JSON.parse(output.stdout) as JwsResult;
      expect(verified.ok, verified.error).to.equal(true);
      expect(verified.header?.typ).to.equal('custody-report+jwt');
      const report = verified.payload as {
        log: { origin: string; size: number; checkpoint: string };
        entries: Array<{ index: number; leafHash: string; entry: unknown; tlog_proof: string }>;
      };
      expect(report.entries).to.have.length(3);
      const hashed = await runTool(
        DEBIAN_PYTHON,
        ['-I', ENTRY_SCRIPT],
        JSON.stringify({
          cases: report.entries.map((row) => ({
            id: `entry-${row.index}`,
            entry: row.entry,
            disclosures: [],
          })),
        }),
        { env: pythonEnv() },
      );
      const leaves = new Map(
        (JSON.parse(hashed.stdout) as { results: EntryResult[] }).results.map((r) => [r.id, r]),
      );
      const cases: GoCase[] = report.entries.map((row) => {
        const python = leaves.get(`entry-${row.index}`);
        expect(python?.ok, python?.error).to.equal(true);
        expect(python?.leafHash).to.equal(row.leafHash);
        return {
          id: `proof-${row.index}`,
          kind: 'tlog-proof',
          vkey: logVkey,
          bundle: row.tlog_proof,
          leafHash: python?.leafHash as string,
        };
      });
      const [first, second] = report.entries as [(typeof report.entries)[0], (typeof report.entries)[0]];
      // Another entry's leaf under this entry's proof: the proof binds one leaf at one index.
      cases.push({
        id: 'other-leaf',
        kind: 'tlog-proof',
        vkey: logVkey,
        bundle: first.tlog_proof,
        leafHash: second.leafHash,
      });
      const results = await goCheck(cases);
      for (const row of report.entries) {
        const proven = result(results, `proof-${row.index}`);
        expect(proven.ok, proven.error).to.equal(true);
        expect({ origin: proven.origin, size: proven.size, index: proven.index }).to.deep.equal({
          origin: report.log.origin,
          size: report.log.size,
          index: row.index,
        });
      }
      expect(result(results, 'other-leaf').ok).to.equal(false);
    });
  });
});
