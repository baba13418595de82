import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  appendLeaves,
  consistencyProof,
  disclosureDigest,
  EMPTY_RANGE,
  type EntryDisclosure,
  encodeDisclosure,
  encodeTlogProof,
  encodeVerifierKey,
  entryLeafHash,
  inclusionProof,
  type LogEntry,
  type NodeId,
  type NoteSigner,
  noteSigner,
  signCheckpoint,
  toBase64,
  toBase64Url,
} from '../../src/ledger';
import { type WithheldEntryParts, withholdEntryParts } from '../../src/log/entry-policy';
import type { Bundle, VerifyCode } from '../../src/verify';

/**
 * The tampered-bundle corpus: good bundles built from a small log signed with
 * test keys, and every way an outsider (or a dishonest operator holding the
 * log key) could try to pass a bad one. Plain JSON, so the same cases run in
 * Node and in a browser. `expected` is the exact set of failure codes.
 */
export interface Corpus {
  readonly vkey: string;
  readonly jwks: unknown;
  readonly cases: readonly CorpusCase[];
}

export type CorpusCase =
  | {
      readonly name: string;
      readonly kind: 'bundle';
      readonly input: Bundle;
      readonly expected: VerifyCode[];
    }
  | {
      readonly name: string;
      readonly kind: 'receipt';
      readonly input: unknown;
      readonly expected: VerifyCode[];
    }
  | {
      readonly name: string;
      /** A signed report on its own (its JWS), checked self-contained: no receipts, no other proofs. */
      readonly kind: 'report';
      readonly input: unknown;
      readonly expected: VerifyCode[];
    };

const ORIGIN = 'corpus.example/custody';
const T0 = Date.parse('2026-11-20T09:00:00.000Z');
const minutes = (n: number) => new Date(T0 + n * 60_000).toISOString();
const ITEM_A = '0b0e7f9c-5a43-4d6e-9a57-3c2a1f0e4b11';
const ITEM_B = '7d1c2e3f-8a9b-4c5d-8e6f-0a1b2c3d4e5f';
const ITEM_C = 'c3d4e5f6-1a2b-4c3d-9e4f-5a6b7c8d9e0f';
const ACTOR = { sub: 'investigator-1', agency: 'AZ-SSS', role: 'investigator' };

interface ReceiptKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

function receiptKey(kid: string, validity: Record<string, string> = {}): ReceiptKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  return { kid, privateKey, jwk: { kty, crv, x, kid, alg: 'EdDSA', use: 'sig', ...validity } };
}

const b64url = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');

/** A compact JWS made by hand, so that malformed headers and payloads can be signed too. */
function jws(header: unknown, payload: unknown, key: KeyObject): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(sign(null, Buffer.from(input), key))}`;
}

const digest = (algorithm: string, bytes: string) => createHash(algorithm).update(bytes).digest('hex');

/** What an `evidence.acquired` entry records of an exhibit's bytes, and a payload file's measure. */
const intake = (bytes: string) => ({
  sha256: digest('sha256', bytes),
  sha512: digest('sha512', bytes),
  size: bytes.length,
});

/**
 * A log held in memory: entries in order, every tree node, checkpoints signed
 * on demand. Version 2 entries withhold what the service's entry policy
 * withholds; their disclosures are kept by index.
 */
class MemoryLog {
  readonly entries: LogEntry[] = [];
  readonly disclosures: EntryDisclosure[][] = [];
  private range = EMPTY_RANGE;
  private readonly nodes = new Map<string, Uint8Array>();
  private readonly heads = new Map<string, LogEntry>();

  constructor(
    private readonly signer: NoteSigner,
    private readonly version: LogEntry['v'] = 1,
  ) {}

  append(subject: string, type: string, at: string, data: LogEntry['data'], seqOverride?: number): number {
    return this.version === 1
      ? this.add(subject, type, at, { actor: ACTOR, data, disclosures: [] }, seqOverride)
      : this.add(subject, type, at, withholdEntryParts(type, ACTOR, data), seqOverride);
  }

  /** Appends a version 2 entry made by hand, as a holder of the log key could. */
  appendWithheld(subject: string, type: string, at: string, parts: WithheldEntryParts): number {
    return this.add(subject, type, at, parts);
  }

  private add(
    subject: string,
    type: string,
    at: string,
    parts: Pick<LogEntry, 'actor' | 'data'> & { disclosures: readonly EntryDisclosure[] },
    seqOverride?: number,
  ): number {
    const previous = this.heads.get(subject);
    const seq = seqOverride ?? (previous?.seq ?? 0) + 1;
    const frame = {
      log: ORIGIN,
      subject: { type: 'evidence' as const, id: subject },
      seq,
      prev: previous ? toBase64(entryLeafHash(previous)) : null,
      type,
      at,
    };
    const entry = { v: this.version, ...frame, actor: parts.actor, data: parts.data } as LogEntry;
    this.heads.set(subject, entry);
    this.entries.push(entry);
    this.disclosures.push([...parts.disclosures]);
    const appended = appendLeaves(this.range, [entryLeafHash(entry)]);
    for (const node of appended.created) this.nodes.set(`${node.level}/${node.index}`, node.hash);
    this.range = appended.range;
    return this.entries.length - 1;
  }

  private reader() {
    return {
      readNodes: async (ids: readonly NodeId[]) =>
        ids.map((id) => this.nodes.get(`${id.level}/${id.index}`) as Uint8Array),
    };
  }

  checkpoint(size = this.entries.length): string {
    const range = appendLeaves(EMPTY_RANGE, this.entries.slice(0, size).map(entryLeafHash));
    return signCheckpoint({ origin: this.signer.name, size, root: range.root }, this.signer);
  }

  proof(index: number, size = this.entries.length) {
    return inclusionProof(this.reader(), index, size);
  }

  private readonly proofs = new Map<string, Uint8Array[]>();

  /** Makes every inclusion proof into the tree of `size` ahead, so that a report can be signed at once. */
  async prepareProofs(size = this.entries.length): Promise<void> {
    for (let index = 0; index < size; index++)
      this.proofs.set(`${index}/${size}`, await this.proof(index, size));
  }

  /** The tlog-proof of an entry against the checkpoint of `size`, as reports carry it (proofs prepared). */
  tlogProof(index: number, size = this.entries.length): string {
    const proof = this.proofs.get(`${index}/${size}`);
    if (!proof) throw new Error(`no proof prepared for ${index} in ${size}`);
    return encodeTlogProof({ index, proof, checkpoint: this.checkpoint(size) });
  }

  consistency(from: number, to: number) {
    return consistencyProof(this.reader(), from, to);
  }
}

async function receiptOf(
  log: MemoryLog,
  index: number,
  key: ReceiptKey,
  change: { header?: object; claims?: object; iat?: number } = {},
): Promise<string> {
  const entry = log.entries[index] as LogEntry;
  const proof = await log.proof(index);
  const claims = {
    iss: ORIGIN,
    iat: change.iat ?? Math.floor(Date.parse(entry.at) / 1000) + 1,
    jti: toBase64Url(entryLeafHash(entry)),
    sub: `${entry.subject.type}:${entry.subject.id}`,
    entry,
    index,
    tlog_proof: encodeTlogProof({ index, proof, checkpoint: log.checkpoint() }),
    ...change.claims,
  };
  return jws(
    { alg: 'EdDSA', kid: key.kid, typ: 'custody-receipt+jwt', ...change.header },
    claims,
    key.privateKey,
  );
}

/** Which disclosures a reader is given for the entry at an index. */
type Audience = (index: number) => readonly string[];

/**
 * A signed custody report of one item. Given an audience, each entry lists
 * the disclosures it gives and the fields it withholds (as reports of
 * version 2 entries do); without one, the entries are as version 1 reports list them.
 */
function reportOf(
  log: MemoryLog,
  item: string,
  size: number,
  key: ReceiptKey,
  generatedAt: string,
  audience?: Audience,
) {
  const entries = log.entries
    .map((entry, index) => {
      if (index >= size || entry.subject.id !== item) return undefined;
      const row = {
        index,
        leafHash: toBase64(entryLeafHash(entry)),
        entry,
        tlog_proof: log.tlogProof(index, size),
      };
      if (!audience) return row;
      const given = audience(index);
      const withheld = (log.disclosures[index] ?? [])
        .filter((one) => !given.includes(one.disclosure))
        .map((one) => `${one.in}.${one.name}`);
      return { ...row, disclosures: [...given], withheld };
    })
    .filter((row) => row !== undefined);
  const report = {
    generatedAt,
    item: { id: item },
    log: { origin: ORIGIN, size, checkpoint: log.checkpoint(size) },
    entries,
    verification: { verdict: 'verified' },
  };
  return {
    json: report,
    jws: jws({ alg: 'EdDSA', kid: key.kid, typ: 'custody-report+jwt' }, report, key.privateKey),
  };
}

/** Builds the corpus (fresh keys each time; the cases and their expected codes are fixed). */
export async function buildCorpus(): Promise<Corpus> {
  const logSigner = noteSigner(ORIGIN, new Uint8Array(32).fill(7));
  const current = receiptKey('k-current');
  const retired = receiptKey('k-retired', { retired_at: minutes(1.5) });
  const compromised = receiptKey('k-compromised', { retired_at: minutes(10), compromised_at: minutes(0.5) });
  const stranger = receiptKey('k-stranger');

  const bytesA = 'exhibit A: a disk image';
  const bytesB = 'exhibit B: a phone extraction';
  const log = new MemoryLog(logSigner);
  log.append(ITEM_A, 'evidence.acquired', minutes(0), intake(bytesA)); // 0
  log.append(ITEM_B, 'evidence.acquired', minutes(0.2), intake(bytesB)); // 1
  log.append(ITEM_A, 'custody.transferred', minutes(1), {
    purpose: 'to the lab',
    counterparty: { agency: 'AZ-LAB' },
  }); // 2
  log.append(ITEM_A, 'custody.received', minutes(2), { purpose: 'received at the lab' }); // 3
  log.append(ITEM_A, 'report.issued', minutes(3), { format: 'json' }); // 4
  log.append(ITEM_B, 'report.issued', minutes(4), { format: 'json' }); // 5
  const size = log.entries.length;

  const receipts = await Promise.all(
    log.entries.map(async (_entry, index) => ({
      name: `receipts/${index}.jws`,
      jws: await receiptOf(log, index, current),
    })),
  );
  const proofs = await Promise.all(
    log.entries.map(async (_entry, index) => ({
      name: `proofs/${index}.tlog-proof`,
      text: encodeTlogProof({ index, proof: await log.proof(index), checkpoint: log.checkpoint() }),
    })),
  );
  await log.prepareProofs(5);
  await log.prepareProofs(6);
  const reportA = reportOf(log, ITEM_A, 5, current, minutes(3.1));
  const reportB = reportOf(log, ITEM_B, 6, current, minutes(4.1));
  const reports = [
    { name: `reports/${ITEM_A}.jws`, ...reportA },
    { name: `reports/${ITEM_B}.jws`, ...reportB },
  ];
  const consistency = [
    {
      name: 'proofs/consistency-5-6.txt',
      value: { from: 5, to: size, proof: (await log.consistency(5, size)).map(toBase64) },
    },
  ];
  const payloadA = { path: `data/EX-1-${ITEM_A}/a.img`, evidenceId: ITEM_A, ...intake(bytesA) };
  const payloadB = { path: `data/EX-2-${ITEM_B}/b.bin`, evidenceId: ITEM_B, ...intake(bytesB) };
  const good: Bundle = { receipts, proofs, consistency, reports, payloads: [payloadA, payloadB] };
  const without = <T extends { name: string }>(parts: readonly T[], ...names: string[]) =>
    parts.filter((part) => !names.includes(part.name));
  const receiptOnly: Bundle = { receipts };

  // A dishonest operator holds the log key: it can sign other histories, which the verifier must expose.
  const forked = new MemoryLog(logSigner);
  forked.append(ITEM_A, 'evidence.acquired', minutes(0), intake(bytesA));
  forked.append(ITEM_A, 'custody.transferred', minutes(1), { purpose: 'to the lab' });
  forked.append(ITEM_A, 'custody.disposed', minutes(1.5), { purpose: 'destroyed' }, 2);
  const reordered = new MemoryLog(logSigner);
  reordered.append(ITEM_A, 'evidence.acquired', minutes(0), intake(bytesA));
  reordered.append(ITEM_A, 'custody.received', minutes(2), { purpose: 'received' }, 3);
  reordered.append(ITEM_A, 'custody.transferred', minutes(1), { purpose: 'sent' }, 2);
  const splitView = new MemoryLog(logSigner);
  for (const entry of log.entries.slice(0, 5))
    splitView.append(entry.subject.id, entry.type, entry.at, entry.data);
  splitView.append(ITEM_B, 'custody.disposed', minutes(4), { purpose: 'other history' });
  const otherLog = new MemoryLog(noteSigner('other.example/custody', new Uint8Array(32).fill(9)));
  otherLog.append(ITEM_A, 'evidence.acquired', minutes(0), intake(bytesA));

  const receiptsOf = (other: MemoryLog) =>
    Promise.all(
      other.entries.map(async (_entry, index) => ({
        name: `r${index}`,
        jws: await receiptOf(other, index, current),
      })),
    );
  const truncated = await log.proof(2);
  const signedReceipt = (index: number, change: Parameters<typeof receiptOf>[3]) =>
    receiptOf(log, index, current, change);
  const tamperedReport = { ...reportA.json, verification: { verdict: 'verified', note: 'added later' } };
  const [head, payload, signature] = String(receipts[2]?.jws ?? '').split('.') as [string, string, string];
  const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;

  const bundles: Array<[string, Bundle, VerifyCode[]]> = [
    ['a complete package verifies', good, []],
    ['receipts of complete chains alone verify', receiptOnly, []],
    ['receipts with their detached proofs verify', { receipts, proofs }, []],
    [
      'a chain with an entry removed (an unacknowledged transfer, seq 2)',
      { receipts: without(receipts, 'receipts/2.jws'), proofs: without(proofs, 'proofs/2.tlog-proof') },
      ['CHAIN_INCOMPLETE'],
    ],
    [
      'a chain with an entry removed, beside the signed report',
      {
        ...good,
        receipts: without(receipts, 'receipts/2.jws'),
        proofs: without(proofs, 'proofs/2.tlog-proof'),
      },
      ['CHAIN_INCOMPLETE', 'REPORT_ENTRIES_MISMATCH'],
    ],
    [
      'the last entry removed, which only the signed report shows',
      {
        ...good,
        receipts: without(receipts, 'receipts/4.jws'),
        proofs: without(proofs, 'proofs/4.tlog-proof'),
      },
      ['REPORT_ENTRIES_MISMATCH'],
    ],
    [
      'a fork: two entries claim seq 2 (signed by the log key holder)',
      { receipts: await receiptsOf(forked) },
      ['CHAIN_FORK'],
    ],
    [
      'a chain reordered in the log: seq 3 logged before seq 2 (by the log key holder)',
      { receipts: await receiptsOf(reordered) },
      ['CHAIN_BROKEN'],
    ],
    [
      'a report whose JSON reorders the entries it signed',
      {
        ...good,
        reports: [
          {
            name: 'reports/a.jws',
            jws: reportA.jws,
            json: { ...reportA.json, entries: [...reportA.json.entries].reverse() },
          },
          reports[1] as (typeof reports)[number],
        ],
      },
      ['REPORT_MISMATCH'],
    ],
    [
      'a swapped payload (each exhibit’s bytes under the other)',
      {
        ...good,
        payloads: [
          { ...payloadA, sha256: payloadB.sha256, sha512: payloadB.sha512, size: payloadB.size },
          { ...payloadB, sha256: payloadA.sha256, sha512: payloadA.sha512, size: payloadA.size },
        ],
      },
      ['PAYLOAD_DIGEST_MISMATCH'],
    ],
    [
      'a payload of an item the bundle does not prove',
      {
        ...good,
        payloads: [
          payloadA,
          payloadB,
          { ...payloadA, path: 'data/x/y.bin', evidenceId: '00000000-0000-4000-8000-000000000000' },
        ],
      },
      ['PAYLOAD_UNATTESTED'],
    ],
    [
      'a report forged after signing',
      {
        ...good,
        reports: [
          {
            name: 'reports/a.jws',
            jws: `${reportA.jws.split('.')[0]}.${b64url(JSON.stringify(tamperedReport))}.${reportA.jws.split('.')[2]}`,
            json: tamperedReport,
          },
          reports[1] as (typeof reports)[number],
        ],
      },
      ['SIGNATURE_INVALID'],
    ],
    [
      'a report signed by a key the JWKS does not hold',
      {
        ...good,
        reports: [
          { name: 'reports/a.jws', ...reportOf(log, ITEM_A, 5, stranger, minutes(3.1)) },
          reports[1] as (typeof reports)[number],
        ],
      },
      ['KEY_UNKNOWN'],
    ],
    [
      'a detached proof against a checkpoint of another log',
      {
        receipts,
        proofs: [
          {
            name: 'proofs/0.tlog-proof',
            text: encodeTlogProof({ index: 0, proof: await log.proof(0), checkpoint: otherLog.checkpoint() }),
          },
        ],
      },
      ['CHECKPOINT_INVALID'],
    ],
    [
      'a split view: the log key signed two roots for size 6',
      {
        receipts,
        proofs: [
          {
            name: 'proofs/0.tlog-proof',
            text: encodeTlogProof({
              index: 0,
              proof: await splitView.proof(0),
              checkpoint: splitView.checkpoint(),
            }),
          },
        ],
      },
      ['SPLIT_VIEW'],
    ],
    [
      'a truncated inclusion proof',
      {
        receipts,
        proofs: [
          {
            name: 'proofs/2.tlog-proof',
            text: encodeTlogProof({ index: 2, proof: truncated.slice(0, -1), checkpoint: log.checkpoint() }),
          },
        ],
      },
      ['INCLUSION_INVALID'],
    ],
    [
      'checkpoints of two sizes without a consistency proof',
      { ...good, consistency: [] },
      ['CONSISTENCY_UNPROVEN'],
    ],
    [
      'a consistency proof that does not hold',
      {
        ...good,
        consistency: [
          {
            name: 'proofs/consistency-5-6.txt',
            value: {
              from: 5,
              to: 6,
              proof: [...(consistency[0]?.value.proof ?? [])].reverse().concat(toBase64(new Uint8Array(32))),
            },
          },
        ],
      },
      ['CONSISTENCY_INVALID', 'CONSISTENCY_UNPROVEN'],
    ],
    [
      'a proof for an entry the bundle has no receipt for',
      { receipts: without(receipts, 'receipts/5.jws'), proofs },
      ['PROOF_UNMATCHED'],
    ],
    [
      'two receipts naming different entries at one index (a split view)',
      {
        receipts: [
          ...receipts,
          { name: 'receipts/5-again.jws', jws: await receiptOf(splitView, 5, current) },
        ],
      },
      ['INDEX_MISMATCH', 'SPLIT_VIEW'],
    ],
    ['no receipts at all', { receipts: [] }, ['BUNDLE_MALFORMED']],
    [
      'a garbled detached proof',
      { receipts, proofs: [{ name: 'proofs/1.tlog-proof', text: 'c2sp.org/tlog-proof@v1\nindex one\n' }] },
      ['PROOF_MALFORMED'],
    ],
    [
      'a garbled report',
      {
        ...good,
        reports: [{ name: 'reports/a.jws', jws: 'not-a-report' }, reports[1] as (typeof reports)[number]],
      },
      ['REPORT_MALFORMED'],
    ],
  ];

  const receiptCases: Array<[string, unknown, VerifyCode[]]> = [
    ['a good receipt', receipts[2]?.jws, []],
    [
      'a receipt by a retired key, for an entry logged before its retirement',
      await receiptOf(log, 0, retired),
      [],
    ],
    [
      'a receipt by a retired key, for an entry logged after its retirement',
      await receiptOf(log, 3, retired),
      ['KEY_RETIRED'],
    ],
    [
      'a receipt by a compromised key, for an entry logged before the compromise',
      await receiptOf(log, 0, compromised),
      [],
    ],
    [
      'a receipt by a compromised key, for an entry logged after the compromise',
      await receiptOf(log, 2, compromised),
      ['KEY_COMPROMISED'],
    ],
    [
      'a receipt by a compromised key with a backdated iat',
      await receiptOf(log, 2, compromised, { iat: Math.floor(T0 / 1000) - 60 }),
      ['KEY_COMPROMISED'],
    ],
    ['a receipt by a key the JWKS does not hold', await receiptOf(log, 2, stranger), ['KEY_UNKNOWN']],
    [
      'a receipt claiming the current key but signed by another',
      await receiptOf(log, 2, { ...stranger, kid: current.kid }),
      ['SIGNATURE_INVALID'],
    ],
    [
      'a receipt without kid',
      jws({ alg: 'EdDSA', typ: 'custody-receipt+jwt' }, {}, current.privateKey),
      ['KEY_UNKNOWN'],
    ],
    ['a receipt with a flipped signature bit', `${head}.${payload}.${flipped}`, ['SIGNATURE_INVALID']],
    ['a receipt with padding appended to the signature', `${receipts[2]?.jws}==`, ['RECEIPT_MALFORMED']],
    ['a receipt with trailing data', `${receipts[2]?.jws}.e30`, ['RECEIPT_MALFORMED']],
    [
      'a receipt with a crit header',
      await signedReceipt(2, { header: { crit: ['exp'] } }),
      ['RECEIPT_MALFORMED'],
    ],
    [
      'a receipt with an embedded jwk header',
      await signedReceipt(2, { header: { jwk: current.jwk } }),
      ['RECEIPT_MALFORMED'],
    ],
    [
      'a receipt typed as an access token',
      await signedReceipt(2, { header: { typ: 'at+jwt' } }),
      ['RECEIPT_MALFORMED'],
    ],
    [
      'a correctly signed receipt with a null payload',
      jws({ alg: 'EdDSA', kid: current.kid, typ: 'custody-receipt+jwt' }, null, current.privateKey),
      ['RECEIPT_MALFORMED'],
    ],
    [
      'a receipt with an extra claim',
      await signedReceipt(2, { claims: { admin: true } }),
      ['RECEIPT_MALFORMED'],
    ],
    [
      'a receipt whose entry is not well formed',
      await signedReceipt(2, { claims: { entry: { v: 1 } } }),
      ['ENTRY_INVALID'],
    ],
    [
      'a receipt whose jti is another entry’s',
      await signedReceipt(2, { claims: { jti: toBase64Url(entryLeafHash(log.entries[0] as LogEntry)) } }),
      ['LEAF_HASH_MISMATCH'],
    ],
    [
      'a receipt whose index differs from its proof',
      await signedReceipt(2, { claims: { index: 3 } }),
      ['INDEX_MISMATCH'],
    ],
    [
      'a receipt whose proof leads elsewhere',
      await signedReceipt(2, {
        claims: {
          tlog_proof: encodeTlogProof({
            index: 2,
            proof: truncated.slice(0, -1),
            checkpoint: log.checkpoint(),
          }),
        },
      }),
      ['INCLUSION_INVALID'],
    ],
    [
      'a receipt whose checkpoint is another log’s',
      await signedReceipt(2, {
        claims: {
          tlog_proof: encodeTlogProof({ index: 2, proof: truncated, checkpoint: otherLog.checkpoint() }),
        },
      }),
      ['CHECKPOINT_INVALID'],
    ],
    [
      'a receipt whose issuer is another log',
      await signedReceipt(2, { claims: { iss: 'other.example/custody' } }),
      ['ORIGIN_MISMATCH'],
    ],
    ['not a string', 42, ['RECEIPT_MALFORMED']],
    ['two parts', 'eyJhbGciOiJFZERTQSJ9.e30', ['RECEIPT_MALFORMED']],
    ['an empty string', '', ['RECEIPT_MALFORMED']],
  ];
  const withholding = await selectiveDisclosureCases(logSigner, current, receipts);
  await forked.prepareProofs();
  const reportCases = signedReportCases(log, reportA.json, current, forked, otherLog);

  return {
    vkey: encodeVerifierKey(ORIGIN, logSigner.publicKey),
    jwks: { keys: [current.jwk, retired.jwk, compromised.jwk] },
    cases: [
      ...[...bundles, ...withholding.bundles].map(([name, input, expected]) => ({
        name,
        kind: 'bundle' as const,
        input,
        expected,
      })),
      ...[...receiptCases, ...withholding.receipts].map(([name, input, expected]) => ({
        name,
        kind: 'receipt' as const,
        input,
        expected,
      })),
      ...reportCases.map(([name, input, expected]) => ({
        name,
        kind: 'report' as const,
        input,
        expected,
      })),
    ],
  };
}

/** The bytes of item C, whose chain is logged as version 2 entries. */
export const EXHIBIT_C = 'exhibit C: a memory card';

/** The base64url (no padding) of a JSON value: a disclosure written by hand, well formed or not. */
const handDisclosure = (value: unknown) => b64url(JSON.stringify(value));

/**
 * Selective disclosure (formats.md §1.1): item C's chain is logged as version
 * 2 entries, which withhold the person acting, notes and purposes behind
 * salted digests. Good bundles give a reader all, some or none of the
 * disclosures; bad ones alter, invent, garble or repeat one, give one for an
 * entry the bundle does not prove, or sign a report that disagrees with the
 * package's disclosures files.
 */
async function selectiveDisclosureCases(
  signer: NoteSigner,
  key: ReceiptKey,
  v1Receipts: Bundle['receipts'],
): Promise<{
  bundles: Array<[string, Bundle, VerifyCode[]]>;
  receipts: Array<[string, unknown, VerifyCode[]]>;
}> {
  const bytes = EXHIBIT_C;
  const log = new MemoryLog(signer, 2);
  log.append(ITEM_C, 'evidence.acquired', minutes(0), {
    ...intake(bytes),
    seizedFrom: 'a flat in Baku',
    examiner: 'K. Aliyev',
  }); // 0
  log.append(ITEM_C, 'custody.transferred', minutes(1), {
    purpose: 'to the lab',
    counterparty: { agency: 'AZ-LAB' },
  }); // 1
  log.append(ITEM_C, 'custody.received', minutes(2), {
    purpose: 'received at the lab',
    notes: 'seal intact',
  }); // 2
  log.append(ITEM_C, 'report.issued', minutes(3), { format: 'json' }); // 3: its data withholds nothing
  const last = log.entries.length - 1;
  await log.prepareProofs();

  const receipts = await Promise.all(
    log.entries.map(async (_entry, index) => ({
      name: `receipts/${index}.jws`,
      jws: await receiptOf(log, index, key),
    })),
  );
  const proofs = await Promise.all(
    log.entries.map(async (_entry, index) => ({
      name: `proofs/${index}.tlog-proof`,
      text: encodeTlogProof({ index, proof: await log.proof(index), checkpoint: log.checkpoint() }),
    })),
  );
  const payload = { path: `data/EX-3-${ITEM_C}/c.img`, evidenceId: ITEM_C, ...intake(bytes) };

  const given = (index: number, pick: (one: EntryDisclosure) => boolean) =>
    (log.disclosures[index] ?? []).filter(pick).map((one) => one.disclosure);
  const everything: Audience = (index) => given(index, () => true);
  // The data, except the notes: the reader learns what happened, not who did it.
  const some: Audience = (index) => given(index, (one) => one.in === 'data' && one.name !== 'notes');
  const nothing: Audience = () => [];
  const filesOf = (audience: Audience) =>
    log.entries.map((_entry, index) => ({
      name: `disclosures/${index}.json`,
      value: [...audience(index)] as unknown,
    }));
  const reportFor = (audience: Audience) => ({
    name: `reports/${ITEM_C}.jws`,
    ...reportOf(log, ITEM_C, log.entries.length, key, minutes(3.1), audience),
  });
  const packaged = (audience: Audience): Bundle => ({
    receipts,
    proofs,
    reports: [reportFor(audience)],
    disclosures: filesOf(audience),
    payloads: [payload],
  });
  /** The disclosures files of every disclosure, with entry 1's list replaced. */
  const withTransfer = (list: unknown) =>
    filesOf(everything).map((file) => (file.name === 'disclosures/1.json' ? { ...file, value: list } : file));

  const purpose = given(1, (one) => one.name === 'purpose')[0] as string;
  const counterparty = given(1, (one) => one.name === 'counterparty')[0] as string;
  const [salt] = JSON.parse(Buffer.from(purpose, 'base64url').toString('utf8')) as [string];
  const freshSalt = toBase64Url(new Uint8Array(16).fill(42));
  const altered = encodeDisclosure(salt, 'purpose', 'to the incinerator');
  const lying = reportFor((index) => (index === 1 ? [altered] : everything(index)));

  // The log key holder logs an entry that commits to two values for one field: each disclosure
  // matches a digest, but they cannot both be the field.
  const twoValues = new MemoryLog(signer, 2);
  const first = encodeDisclosure(freshSalt, 'purpose', 'to the lab');
  const second = encodeDisclosure(salt, 'purpose', 'to the incinerator');
  twoValues.appendWithheld(ITEM_C, 'custody.transferred', minutes(1), {
    actor: {
      agency: ACTOR.agency,
      role: ACTOR.role,
      _sd: [disclosureDigest(handDisclosure([freshSalt, 'sub', ACTOR.sub]))],
    },
    data: { _sd: [disclosureDigest(first), disclosureDigest(second)].sort(), _sd_alg: 'sha-256' },
    disclosures: [],
  });
  const reportJson = reportFor(everything).json;
  const garbledReport = {
    ...reportJson,
    entries: reportJson.entries.map((row, index) => (index === 1 ? { ...row, disclosures: [42] } : row)),
  };
  const bundles: Array<[string, Bundle, VerifyCode[]]> = [
    ['version 2 entries with every disclosure, beside the report that gives them', packaged(everything), []],
    ['version 2 entries with some of their fields disclosed', packaged(some), []],
    ['version 2 entries with nothing disclosed', packaged(nothing), []],
    ['receipts of version 2 entries alone verify', { receipts }, []],
    [
      'disclosures files that list them in another order than the report',
      {
        ...packaged(everything),
        disclosures: filesOf(everything).map((file) => ({
          ...file,
          value: [...(file.value as string[])].reverse(),
        })),
      },
      [],
    ],
    [
      'an altered disclosure: the same salt and field, another value',
      { receipts, disclosures: withTransfer([altered, counterparty]) },
      ['DISCLOSURE_UNMATCHED'],
    ],
    [
      'an altered disclosure beside the signed report that gives the genuine one',
      { ...packaged(everything), disclosures: withTransfer([altered, counterparty]) },
      ['DISCLOSURE_UNMATCHED', 'REPORT_ENTRIES_MISMATCH'],
    ],
    [
      'a disclosure of a field the entry does not commit to',
      {
        receipts,
        disclosures: withTransfer([purpose, counterparty, encodeDisclosure(freshSalt, 'informant', 'N. N.')]),
      },
      ['DISCLOSURE_UNMATCHED'],
    ],
    [
      'a disclosure given for a version 1 entry, which withholds nothing',
      { receipts: v1Receipts, disclosures: [{ name: 'disclosures/2.json', value: [purpose] }] },
      ['DISCLOSURE_UNMATCHED'],
    ],
    [
      'a disclosure with base64 padding',
      { receipts, disclosures: withTransfer([`${purpose}==`, counterparty]) },
      ['DISCLOSURE_INVALID'],
    ],
    [
      'a disclosure that is not base64url at all',
      { receipts, disclosures: withTransfer([purpose, 'not a disclosure!']) },
      ['DISCLOSURE_INVALID'],
    ],
    [
      'a disclosure that is not a [salt, name, value] array',
      { receipts, disclosures: withTransfer([handDisclosure([salt, 'purpose']), counterparty]) },
      ['DISCLOSURE_INVALID'],
    ],
    [
      'a disclosure whose salt is shorter than 128 bits',
      {
        receipts,
        disclosures: withTransfer([encodeDisclosure('c2FsdA', 'purpose', 'to the lab'), counterparty]),
      },
      ['DISCLOSURE_INVALID'],
    ],
    [
      'a disclosure with a floating-point value',
      { receipts, disclosures: withTransfer([purpose, handDisclosure([freshSalt, 'weight', 1.5])]) },
      ['DISCLOSURE_INVALID'],
    ],
    [
      'the same disclosure given twice',
      { receipts, disclosures: withTransfer([purpose, counterparty, purpose]) },
      ['DISCLOSURE_INVALID'],
    ],
    [
      'a disclosures file for an entry the bundle has no receipt for',
      { receipts: receipts.slice(0, last), disclosures: filesOf(everything) },
      ['PROOF_UNMATCHED'],
    ],
    [
      'a disclosures file that is not a list of strings',
      { receipts, disclosures: withTransfer({ purpose: 'to the lab' }) },
      ['BUNDLE_MALFORMED'],
    ],
    [
      'a disclosures file not named by a log index',
      { receipts, disclosures: [...filesOf(everything), { name: 'disclosures/01.json', value: [] }] },
      ['BUNDLE_MALFORMED'],
    ],
    [
      'a report that gives other disclosures than the package’s files',
      { ...packaged(everything), disclosures: filesOf(some) },
      ['REPORT_ENTRIES_MISMATCH'],
    ],
    [
      'a report signed with a disclosure its entry does not commit to',
      { receipts, proofs, reports: [lying] },
      ['DISCLOSURE_UNMATCHED'],
    ],
    [
      'the disclosures of one entry in two files',
      { receipts, disclosures: [...filesOf(everything), { name: 'disclosures/1.json', value: [purpose] }] },
      ['BUNDLE_MALFORMED'],
    ],
    [
      'two disclosures of one field, an entry committing to both (by the log key holder)',
      {
        receipts: [{ name: 'receipts/0.jws', jws: await receiptOf(twoValues, 0, key) }],
        disclosures: [{ name: 'disclosures/0.json', value: [first, second] }],
      },
      ['DISCLOSURE_INVALID'],
    ],
    [
      'a signed report whose entry lists disclosures that are not strings',
      {
        receipts,
        reports: [
          {
            name: `reports/${ITEM_C}.jws`,
            json: garbledReport,
            jws: jws(
              { alg: 'EdDSA', kid: key.kid, typ: 'custody-report+jwt' },
              garbledReport,
              key.privateKey,
            ),
          },
        ],
      },
      ['REPORT_MALFORMED'],
    ],
  ];

  const transfer = log.entries[1] as LogEntry;
  const unsorted = {
    ...transfer,
    data: { ...transfer.data, _sd: [...(transfer.data._sd as string[])].reverse() },
  };
  return {
    bundles,
    receipts: [
      ['a receipt of a version 2 entry', receipts[1]?.jws, []],
      [
        'a receipt whose version 2 entry lists its digests unsorted',
        await receiptOf(log, 1, key, { claims: { entry: unsorted } }),
        ['ENTRY_INVALID'],
      ],
    ],
  };
}

type ReportJson = ReturnType<typeof reportOf>['json'];
type ReportRow = ReportJson['entries'][number];

/**
 * A signed report checked on its own, as a court holding only the report's
 * JWS, the JWKS and the log vkey checks it. Most bad reports are signed with
 * a key the JWKS holds: the checks must not rest on the issuer's signature
 * alone (a compromised or dishonest issuer), so each catches its own change.
 */
function signedReportCases(
  log: MemoryLog,
  good: ReportJson,
  key: ReceiptKey,
  forked: MemoryLog,
  otherLog: MemoryLog,
): Array<[string, unknown, VerifyCode[]]> {
  const signed = (report: unknown) =>
    jws({ alg: 'EdDSA', kid: key.kid, typ: 'custody-report+jwt' }, report, key.privateKey);
  const rows = good.entries;
  const withRows = (entries: readonly unknown[]) => ({ ...good, entries });
  const changeRow = (position: number, change: (row: ReportRow) => unknown) =>
    withRows(rows.map((row, i) => (i === position ? change(row) : row)));
  const proofLines = (row: ReportRow) => row.tlog_proof.split('\n');
  const flipped = (text: string) => `${text.startsWith('A') ? 'B' : 'A'}${text.slice(1)}`;
  // Line 2 of a tlog-proof is the leaf's sibling (line 0 the header, line 1 the index).
  const withSibling = (row: ReportRow) => {
    const lines = proofLines(row);
    lines[2] = flipped(lines[2] as string);
    return { ...row, tlog_proof: lines.join('\n') };
  };
  const checkpointLines = good.log.checkpoint.split('\n');
  const signatureLine = checkpointLines.length - 2;
  // A character well inside the signature (after the 4-byte key ID), each of whose bits counts.
  const signatureLineText = checkpointLines[signatureLine] as string;
  const flippedAt = signatureLineText.lastIndexOf(' ') + 21;
  checkpointLines[signatureLine] =
    `${signatureLineText.slice(0, flippedAt)}${signatureLineText[flippedAt] === 'A' ? 'B' : 'A'}${signatureLineText.slice(flippedAt + 1)}`;
  const forgedCheckpoint = checkpointLines.join('\n');
  const withCheckpoint = (checkpoint: string) => ({
    ...good,
    log: { ...good.log, checkpoint },
    entries: rows.map((row) => ({
      ...row,
      tlog_proof: row.tlog_proof.replace(good.log.checkpoint, checkpoint),
    })),
  });
  const transfer = rows[1] as ReportRow;
  const alteredEntry = { ...transfer.entry, data: { ...transfer.entry.data, purpose: 'to the incinerator' } };
  const [head, , signature] = signed(good).split('.') as [string, string, string];
  const rewritten = b64url(JSON.stringify(changeRow(1, (row) => ({ ...row, entry: alteredEntry }))));
  const forkedRows = forked.entries.map((entry, index) => ({
    index,
    leafHash: toBase64(entryLeafHash(entry)),
    entry,
    tlog_proof: '',
  }));
  return [
    ['a signed report, checked on its own', signed(good), []],
    [
      'a report whose entry data was changed after signing',
      `${head}.${rewritten}.${signature}`,
      ['SIGNATURE_INVALID'],
    ],
    [
      'a report re-signed with an entry’s data changed',
      signed(changeRow(1, (row) => ({ ...row, entry: alteredEntry }))),
      ['LEAF_HASH_MISMATCH'],
    ],
    [
      'a report re-signed with an entry changed and its leafHash recomputed',
      signed(
        changeRow(1, (row) => ({
          ...row,
          entry: alteredEntry,
          leafHash: toBase64(entryLeafHash(alteredEntry as LogEntry)),
        })),
      ),
      ['INCLUSION_INVALID'],
    ],
    ['a report with a proof hash changed', signed(changeRow(2, withSibling)), ['INCLUSION_INVALID']],
    [
      'a report whose checkpoint signature was damaged',
      signed(withCheckpoint(forgedCheckpoint)),
      ['CHECKPOINT_INVALID'],
    ],
    [
      'a report whose checkpoint is another log’s',
      signed(withCheckpoint(otherLog.checkpoint())),
      ['CHECKPOINT_INVALID'],
    ],
    [
      'a report whose entry proof is against another checkpoint',
      signed(changeRow(0, (row) => ({ ...row, tlog_proof: log.tlogProof(0, 6) }))),
      ['REPORT_CHECKPOINT_MISMATCH'],
    ],
    [
      'a report whose log size is not its checkpoint’s',
      signed({ ...good, log: { ...good.log, size: good.log.size + 1 } }),
      ['REPORT_CHECKPOINT_MISMATCH'],
    ],
    [
      'a report whose log origin is not its checkpoint’s',
      signed({ ...good, log: { ...good.log, origin: 'other.example/custody' } }),
      ['ORIGIN_MISMATCH'],
    ],
    [
      'a report whose entry carries no proof',
      signed(changeRow(1, ({ tlog_proof: _dropped, ...row }) => row)),
      ['INCLUSION_UNPROVEN'],
    ],
    [
      'a report whose entry proof is garbled',
      signed(changeRow(1, (row) => ({ ...row, tlog_proof: 'c2sp.org/tlog-proof@v1\nindex one\n' }))),
      ['PROOF_MALFORMED'],
    ],
    [
      'a report whose entry proof is another entry’s',
      signed(changeRow(1, (row) => ({ ...row, tlog_proof: (rows[2] as ReportRow).tlog_proof }))),
      ['INDEX_MISMATCH'],
    ],
    [
      'a report with an entry removed (seq 2)',
      signed(withRows(rows.filter((_row, i) => i !== 1))),
      ['CHAIN_INCOMPLETE'],
    ],
    ['a report listing no entry', signed(withRows([])), ['CHAIN_INCOMPLETE']],
    ['a report whose first entry was removed', signed(withRows(rows.slice(1))), ['CHAIN_INCOMPLETE']],
    [
      'a report listing its entries out of order',
      signed(withRows([rows[0], rows[2], rows[1], ...rows.slice(3)])),
      ['REPORT_ORDER_INVALID'],
    ],
    [
      'a report with an entry of another item',
      signed(
        withRows([...rows.slice(0, 1), { index: 1, leafHash: '', entry: log.entries[1] }, ...rows.slice(1)]),
      ),
      ['REPORT_SUBJECT_MISMATCH'],
    ],
    [
      'a report of a forked chain (two entries at seq 2)',
      signed({
        ...good,
        log: { ...good.log, size: forked.entries.length, checkpoint: forked.checkpoint() },
        entries: forkedRows.map((row) => ({ ...row, tlog_proof: forked.tlogProof(row.index) })),
      }),
      ['CHAIN_FORK'],
    ],
    [
      'a report whose entry is not well formed',
      signed(changeRow(1, (row) => ({ ...row, entry: { v: 1 } }))),
      ['ENTRY_INVALID'],
    ],
    [
      'a report whose entry index is not a number',
      signed(changeRow(1, (row) => ({ ...row, index: '1' }))),
      ['REPORT_MALFORMED'],
    ],
    ['a receipt given as a report', 'eyJhbGciOiJFZERTQSJ9.e30.e30', ['REPORT_MALFORMED']],
    ['a report payload that is not a report', signed({ entries: 'all of them' }), ['REPORT_MALFORMED']],
    ['a report payload that is null', signed(null), ['REPORT_MALFORMED']],
    ['a report that is not a string', { jws: 'x' }, ['REPORT_MALFORMED']],
    ['an empty report', '', ['REPORT_MALFORMED']],
  ];
}
