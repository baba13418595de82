import type { DataSource, EntityManager } from 'typeorm';
import type { EntryDisclosure, NodeId, NodeReader, StoredNode } from '../ledger';
import { preparedQuery } from './prepared';

/** Anything that runs SQL: the data source, or a transaction's entity manager. */
export type Queryable = Pick<DataSource | EntityManager, 'query'>;

/**
 * Runs an UPDATE or DELETE and returns how many rows it changed. (TypeORM answers
 * these with `[rows, count]`, not the rows: `result.length` is always 2.)
 */
export async function changedRows(
  q: Queryable,
  sql: string,
  parameters: readonly unknown[],
): Promise<number> {
  const [, count]: [unknown, number] = await q.query(sql, [...parameters]);
  return count;
}

export interface LogHead {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** The latest signed checkpoint note, covering `size` and `root`. */
  readonly checkpoint: string;
}

export interface StoredEntry {
  readonly index: number;
  readonly leafHash: Uint8Array;
  /** The entry's JCS bytes, exactly as hashed. */
  readonly leafData: Uint8Array;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly seq: number;
  readonly prev: Uint8Array | null;
  readonly type: string;
  readonly at: Date;
  /** The disclosures of its withheld fields (formats.md §1.1); none for a version 1 entry. */
  readonly disclosures: readonly EntryDisclosure[];
}

export interface SubjectHead {
  readonly seq: number;
  readonly leafHash: Uint8Array;
}

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
}

const bytes = (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength);
const subjectKey = (type: string, id: string) => `${type}\u0000${id}`;

/**
 * SQL for the Merkle log. Methods that take a `Queryable` run inside the caller's
 * transaction (the sequencer's batch); the others read committed state.
 */
export class LogRepository {
  constructor(private readonly db: DataSource) {}

  async head(q: Queryable = this.db): Promise<LogHead | undefined> {
    return toHead(
      (
        await preparedQuery<HeadRow>(q, 'log-head', 'SELECT origin, size, root, checkpoint FROM log_head', [])
      )[0],
    );
  }

  /** The head row, locked until the end of the transaction: one batch at a time across processes. */
  async lockHead(q: Queryable): Promise<LogHead | undefined> {
    return toHead(
      (
        await preparedQuery<HeadRow>(
          q,
          'log-head-lock',
          'SELECT origin, size, root, checkpoint FROM log_head FOR UPDATE',
          [],
        )
      )[0],
    );
  }

  /** Creates the empty log's head and its first checkpoint, unless another process did. */
  async createHead(q: Queryable, head: LogHead): Promise<void> {
    await q.query(
      `WITH created AS (
         INSERT INTO log_head (origin, size, root, checkpoint) VALUES ($1, $2, $3, $4)
         ON CONFLICT (singleton) DO NOTHING RETURNING size)
       INSERT INTO log_checkpoints (size, root, note) SELECT $2, $3, $4 FROM created`,
      [head.origin, head.size, bytes(head.root), head.checkpoint],
    );
  }

  /**
   * Integration and signing in one round trip: the batch's entries and new tree
   * nodes, the new checkpoint, and the head moved to it.
   */
  async appendBatch(
    q: Queryable,
    entries: readonly StoredEntry[],
    nodes: readonly StoredNode[],
    head: LogHead,
  ): Promise<void> {
    await preparedQuery(
      q,
      'log-append-batch',
      `WITH entries AS (
         INSERT INTO log_entries (idx, leaf_hash, leaf_data, subject_type, subject_id, seq, prev, entry_type, at,
                                  disclosures)
         SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::text[], $6::bigint[],
                              $7::bytea[], $8::text[], $9::timestamptz[], $10::jsonb[])
       ), nodes AS (
         INSERT INTO log_nodes (level, idx, hash) SELECT * FROM unnest($11::smallint[], $12::bigint[], $13::bytea[])
       ), signed AS (
         INSERT INTO log_checkpoints (size, root, note) VALUES ($14, $15, $16)
       )
       UPDATE log_head SET size = $14, root = $15, checkpoint = $16`,
      [
        ...entryColumns(entries),
        nodes.map((n) => n.level),
        nodes.map((n) => n.index),
        nodes.map((n) => bytes(n.hash)),
        head.size,
        bytes(head.root),
        head.checkpoint,
      ],
    );
  }

  /** The latest entry of each subject (its `seq` and leaf hash); absent subjects have none yet. */
  async subjectHeads(q: Queryable, subjects: ReadonlyArray<{ type: string; id: string }>) {
    const rows = await preparedQuery<{ t: string; i: string; seq: string; leaf_hash: Buffer }>(
      q,
      'log-subject-heads',
      `SELECT s.t, s.i, h.seq, h.leaf_hash
         FROM unnest($1::text[], $2::text[]) AS s(t, i)
         JOIN LATERAL (
           SELECT seq, leaf_hash FROM log_entries e
            WHERE e.subject_type = s.t AND e.subject_id = s.i
            ORDER BY seq DESC LIMIT 1) h ON true`,
      [subjects.map((s) => s.type), subjects.map((s) => s.id)],
    );
    const heads = new Map<string, SubjectHead>();
    for (const row of rows)
      heads.set(subjectKey(row.t, row.i), { seq: Number(row.seq), leafHash: row.leaf_hash });
    return { get: (type: string, id: string) => heads.get(subjectKey(type, id)) };
  }

  async insertNodes(q: Queryable, nodes: readonly StoredNode[]): Promise<void> {
    await q.query(
      'INSERT INTO log_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => bytes(n.hash))],
    );
  }

  /** Reads stored subtree hashes in the order asked; a missing node is an integrity failure. */
  async readNodes(q: Queryable, ids: readonly NodeId[]): Promise<Uint8Array[]> {
    if (ids.length === 0) return [];
    const rows = await preparedQuery<{ level: number; idx: string; hash: Buffer }>(
      q,
      'log-read-nodes',
      `SELECT n.level, n.idx, n.hash FROM unnest($1::smallint[], $2::bigint[]) AS w(level, idx)
         JOIN log_nodes n ON n.level = w.level AND n.idx = w.idx`,
      [ids.map((id) => id.level), ids.map((id) => id.index)],
    );
    const found = new Map(rows.map((row) => [`${row.level}/${row.idx}`, row.hash as Uint8Array]));
    return ids.map((id) => {
      const hash = found.get(`${id.level}/${id.index}`);
      if (!hash) throw new Error(`log node ${id.level}/${id.index} is missing`);
      return hash;
    });
  }

  /** A node reader over committed state. */
  nodeReader(q: Queryable = this.db): NodeReader {
    return { readNodes: (ids) => this.readNodes(q, ids) };
  }

  async entry(index: number): Promise<StoredEntry | undefined> {
    const rows = await this.db.query(`${ENTRY_COLUMNS} WHERE idx = $1`, [index]);
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  /** Entries in log order from `from`, at most `limit`. */
  async entriesFrom(from: number, limit: number): Promise<StoredEntry[]> {
    const rows = await this.db.query(`${ENTRY_COLUMNS} WHERE idx >= $1 ORDER BY idx LIMIT $2`, [from, limit]);
    return rows.map(toEntry);
  }

  /**
   * Entries [from, to) for verification as one row of four aggregates, in index
   * order: per entry `fixed` holds idx and seq (int8) and the lengths of its leaf
   * hash and leaf data (int4), `hashes` and `data` those bytes back to back (the
   * data in base64: a third the size of the driver's hex, and decoded by whoever
   * checks the entries, not by the thread that reads them), and
   * `columns` a JSON array of [subject_type, subject_id, prev in base64, entry_type,
   * at in RFC 3339] (the columns as text where the verifier compares text). One
   * row costs the driver a fraction of ten thousand; the LIMIT keeps the plan an
   * index scan in idx order (a range alone sorted the page, spilling to disk).
   * The caller still checks the order by the idx it is given.
   */
  async auditEntries(from: number, to: number): Promise<AuditEntries | undefined> {
    const [row] = await preparedQuery<AuditEntries>(
      this.db,
      'log-audit-entries',
      `SELECT string_agg(int8send(idx) || int8send(seq) || int4send(length(leaf_hash)) || int4send(length(leaf_data)),
                         ''::bytea) AS fixed,
              string_agg(leaf_hash, ''::bytea) AS hashes,
              encode(string_agg(leaf_data, ''::bytea), 'base64') AS data,
              json_agg(json_build_array(subject_type, subject_id, encode(prev, 'base64'), entry_type,
                       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))::text AS columns,
              json_agg(disclosures)::text AS disclosures
         FROM (SELECT * FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3) e`,
      [from, to, to - from],
    );
    return row?.fixed ? row : undefined;
  }

  /**
   * The stored nodes of one index range per level (`from[i]` to `to[i]`
   * exclusive at `levels[i]`), a row per level with each node as its index
   * (int8) and hash, back to back in index order: one row to parse, not one per node.
   */
  async nodeLevels(levels: readonly number[], from: readonly number[], to: readonly number[]) {
    return preparedQuery<{ level: number; nodes: Buffer | null }>(
      this.db,
      'log-node-levels',
      `SELECT r.level, n.nodes
         FROM unnest($1::smallint[], $2::bigint[], $3::bigint[]) AS r(level, lo, hi)
         CROSS JOIN LATERAL (
           SELECT string_agg(int8send(idx) || hash, ''::bytea ORDER BY idx) AS nodes
             FROM log_nodes WHERE level = r.level AND idx >= r.lo AND idx < r.hi) n`,
      [levels, from, to],
    );
  }

  /**
   * The stored nodes whose ids are given as one index range per level
   * (`from[i]` to `to[i]` exclusive at `levels[i]`), ordered by level and index.
   */
  async nodeRanges(levels: readonly number[], from: readonly number[], to: readonly number[]) {
    return preparedQuery<{ level: number; idx: string; hash: Buffer }>(
      this.db,
      'log-node-ranges',
      // LATERAL: one index range scan per level, never a scan of the whole table.
      `SELECT n.level, n.idx, n.hash FROM unnest($1::smallint[], $2::bigint[], $3::bigint[]) AS r(level, lo, hi)
         CROSS JOIN LATERAL (
           SELECT level, idx, hash FROM log_nodes
            WHERE level = r.level AND idx >= r.lo AND idx < r.hi ORDER BY idx) n`,
      [levels, from, to],
    );
  }

  /** Each subject's latest entry before index `before` (its seq and leaf hash). */
  async subjectHeadsBefore(subjects: ReadonlyArray<{ type: string; id: string }>, before: number) {
    const rows: Array<{ t: string; i: string; seq: string; leaf_hash: Buffer }> = await this.db.query(
      `SELECT s.t, s.i, h.seq, h.leaf_hash
         FROM unnest($1::text[], $2::text[]) AS s(t, i)
         JOIN LATERAL (
           SELECT seq, leaf_hash FROM log_entries e
            WHERE e.subject_type = s.t AND e.subject_id = s.i AND e.idx < $3
            ORDER BY seq DESC LIMIT 1) h ON true`,
      [subjects.map((s) => s.type), subjects.map((s) => s.id), before],
    );
    return rows.map((row) => ({ type: row.t, id: row.i, seq: Number(row.seq), leafHash: row.leaf_hash }));
  }

  /** One subject's chain in order. */
  async chain(subjectType: string, subjectId: string): Promise<StoredEntry[]> {
    const rows = await preparedQuery<EntryRow>(
      this.db,
      'subject-chain',
      `${ENTRY_COLUMNS} WHERE subject_type = $1 AND subject_id = $2 ORDER BY seq`,
      [subjectType, subjectId],
    );
    return rows.map(toEntry);
  }

  /** The latest entry of one subject's chain (one indexed row, not the chain). */
  async chainHead(subjectType: string, subjectId: string): Promise<StoredEntry | undefined> {
    const rows = await preparedQuery<EntryRow>(
      this.db,
      'subject-chain-head',
      `${ENTRY_COLUMNS} WHERE subject_type = $1 AND subject_id = $2 ORDER BY seq DESC LIMIT 1`,
      [subjectType, subjectId],
    );
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  /** The latest entry of `type` on each of some subjects' chains, by subject id (one statement for a page of them). */
  async latestOfType(subjectType: string, subjectIds: readonly string[], type: string) {
    const rows: EntryRow[] = await this.db.query(
      `SELECT DISTINCT ON (subject_id) * FROM (${ENTRY_COLUMNS}
          WHERE subject_type = $1 AND subject_id = ANY($2::text[]) AND entry_type = $3) e
        ORDER BY subject_id, seq DESC`,
      [subjectType, subjectIds, type],
    );
    return new Map(
      rows.map((row) => {
        const entry = toEntry(row);
        return [entry.subjectId, entry];
      }),
    );
  }

  /** The stored checkpoints of size `from` and larger, in order of size. */
  async checkpointsFrom(from: number): Promise<StoredCheckpoint[]> {
    const rows: Array<{ size: string; root: Buffer; note: string }> = await this.db.query(
      'SELECT size, root, note FROM log_checkpoints WHERE size >= $1 ORDER BY size',
      [from],
    );
    return rows.map((row) => ({ size: Number(row.size), root: row.root, note: row.note }));
  }

  /**
   * The first batch boundary after `from` without a checkpoint of its size: an
   * entry stamped with another time than its predecessor starts a batch (the
   * sequencer stamps each batch once), and the tree before it was signed.
   */
  async firstBatchWithoutCheckpoint(from: number): Promise<number | undefined> {
    const rows: Array<{ idx: string }> = await this.db.query(
      `SELECT e.idx FROM (
         SELECT idx, at, lag(at) OVER (ORDER BY idx) AS before FROM log_entries WHERE idx >= $1) e
        WHERE e.before IS NOT NULL AND e.at <> e.before
          AND NOT EXISTS (SELECT 1 FROM log_checkpoints c WHERE c.size = e.idx)
        ORDER BY e.idx LIMIT 1`,
      [from],
    );
    return rows[0] ? Number(rows[0].idx) : undefined;
  }

  /**
   * A fingerprint of the checkpoint rows up to `size`: their count, and the
   * base64 SHA-256 over each row's size (8 bytes), root and note digest, in
   * order. Any row deleted, added or changed changes it.
   */
  async checkpointDigest(size: number): Promise<{ checkpoints: number; digest: string }> {
    const [row] = await this.db.query(
      `SELECT count(*)::int AS checkpoints,
              encode(sha256(coalesce(string_agg(int8send(size) || root || sha256(convert_to(note, 'UTF8')),
                                                ''::bytea ORDER BY size), ''::bytea)), 'base64') AS digest
         FROM log_checkpoints WHERE size <= $1`,
      [size],
    );
    return { checkpoints: row.checkpoints, digest: row.digest };
  }

  /** The database's name: with the origin, it scopes the checkpoint kept outside the database. */
  async databaseName(): Promise<string> {
    const [row] = await this.db.query('SELECT current_database() AS name');
    return row.name as string;
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const rows: Array<{ size: string; root: Buffer; note: string }> = await this.db.query(
      'SELECT size, root, note FROM log_checkpoints ORDER BY size',
    );
    return rows.map((row) => ({ size: Number(row.size), root: row.root, note: row.note }));
  }
}

function entryColumns(entries: readonly StoredEntry[]) {
  return [
    entries.map((e) => e.index),
    entries.map((e) => bytes(e.leafHash)),
    entries.map((e) => bytes(e.leafData)),
    entries.map((e) => e.subjectType),
    entries.map((e) => e.subjectId),
    entries.map((e) => e.seq),
    entries.map((e) => (e.prev ? bytes(e.prev) : null)),
    entries.map((e) => e.type),
    entries.map((e) => e.at),
    entries.map((e) => JSON.stringify(e.disclosures)),
  ];
}

const ENTRY_COLUMNS =
  'SELECT idx, leaf_hash, leaf_data, subject_type, subject_id, seq, prev, entry_type, at, disclosures FROM log_entries';

interface HeadRow {
  origin: string;
  size: string;
  root: Buffer;
  checkpoint: string;
}

function toHead(row: HeadRow | undefined) {
  return row
    ? { origin: row.origin, size: Number(row.size), root: row.root as Uint8Array, checkpoint: row.checkpoint }
    : undefined;
}

/** A page of entries as the verifier reads it (`auditEntries`). */
export interface AuditEntries {
  fixed: Buffer;
  hashes: Buffer;
  /** base64, with line breaks. */
  data: string;
  columns: string;
  /** Per entry, the disclosures kept with it, as JSON text (only the workers that check them parse it). */
  disclosures: string;
}

interface EntryRow {
  idx: string;
  leaf_hash: Buffer;
  leaf_data: Buffer;
  subject_type: string;
  subject_id: string;
  seq: string;
  prev: Buffer | null;
  entry_type: string;
  at: Date;
  disclosures: EntryDisclosure[];
}

function toEntry(row: EntryRow): StoredEntry {
  return {
    index: Number(row.idx),
    leafHash: row.leaf_hash,
    leafData: row.leaf_data,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    seq: Number(row.seq),
    prev: row.prev,
    type: row.entry_type,
    at: row.at,
    disclosures: row.disclosures,
  };
}
