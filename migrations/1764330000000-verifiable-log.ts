import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only Merkle log (formats.md §1-§3): entries with their per-subject
 * chains, every complete subtree hash, every signed checkpoint, and the head.
 * Triggers make entries, nodes and checkpoints immutable; the database itself
 * refuses forks through the per-subject unique constraints.
 */
export class VerifiableLog1764330000000 implements MigrationInterface {
  name = 'VerifiableLog1764330000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE log_head (
        singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        origin     text NOT NULL,
        size       bigint NOT NULL CHECK (size >= 0),
        root       bytea NOT NULL CHECK (length(root) = 32),
        checkpoint text NOT NULL
      )`);
    await db.query(`
      CREATE TABLE log_entries (
        idx          bigint PRIMARY KEY CHECK (idx >= 0),
        leaf_hash    bytea NOT NULL CHECK (length(leaf_hash) = 32),
        leaf_data    bytea NOT NULL,
        subject_type text NOT NULL,
        subject_id   text NOT NULL,
        seq          bigint NOT NULL CHECK (seq >= 1),
        prev         bytea CHECK (length(prev) = 32),
        entry_type   text NOT NULL,
        at           timestamptz NOT NULL,
        CONSTRAINT log_entries_chain_start CHECK ((seq = 1) = (prev IS NULL)),
        CONSTRAINT log_entries_no_fork_seq UNIQUE (subject_type, subject_id, seq),
        CONSTRAINT log_entries_no_fork_prev UNIQUE (subject_type, subject_id, prev)
      )`);
    await db.query('CREATE INDEX log_entries_by_leaf_hash ON log_entries (leaf_hash)');
    await db.query(`
      CREATE TABLE log_nodes (
        level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
        idx   bigint NOT NULL CHECK (idx >= 0),
        hash  bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await db.query(`
      CREATE TABLE log_checkpoints (
        size      bigint PRIMARY KEY CHECK (size >= 0),
        root      bytea NOT NULL CHECK (length(root) = 32),
        note      text NOT NULL,
        signed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE FUNCTION log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the custody log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['log_entries', 'log_nodes', 'log_checkpoints']) {
      await db.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
                        FOR EACH ROW EXECUTE FUNCTION log_refuse_change()`);
      await db.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
                        FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change()`);
    }
    await db.query(`
      CREATE FUNCTION log_head_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.size < OLD.size OR NEW.origin <> OLD.origin THEN
          RAISE EXCEPTION 'the log head only grows' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER log_head_only_grows BEFORE UPDATE OR DELETE ON log_head
                      FOR EACH ROW EXECUTE FUNCTION log_head_only_grows()`);
    await db.query(`CREATE TRIGGER log_head_no_truncate BEFORE TRUNCATE ON log_head
                      FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change()`);
    await db.query(`
      CREATE TABLE receipt_keys (
        kid        text PRIMARY KEY,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        retired_at timestamptz
      )`);
    await db.query(
      'CREATE UNIQUE INDEX receipt_keys_one_current ON receipt_keys ((true)) WHERE retired_at IS NULL',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE receipt_keys');
    await db.query('DROP TABLE log_head');
    await db.query('DROP TABLE log_checkpoints');
    await db.query('DROP TABLE log_nodes');
    await db.query('DROP TABLE log_entries');
    await db.query('DROP FUNCTION log_head_only_grows()');
    await db.query('DROP FUNCTION log_refuse_change()');
  }
}
