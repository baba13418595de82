import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service's own database role, `custody_service`: it reads everything, adds
 * rows, and changes only the columns the service changes (projections,
 * revocations, the log head as it grows). It owns nothing, so it cannot alter
 * tables or disable the log's append-only triggers, and it may update or delete
 * no log table. Migrations run as the schema owner; the role is created here
 * when the owner may create roles (otherwise an operator creates it first).
 * Every later migration that adds a table grants this role what it needs.
 */
export class ServiceRole1764390000000 implements MigrationInterface {
  name = 'ServiceRole1764390000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          CREATE ROLE custody_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
        END IF;
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'cannot create the role custody_service; an operator must';
      END $$`);
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          GRANT USAGE ON SCHEMA public TO custody_service;
          GRANT SELECT ON ALL TABLES IN SCHEMA public TO custody_service;
          GRANT INSERT ON agencies, principals, cases, case_grants, evidence, orders, order_evidence,
                          disclosures, receipt_keys, log_head, log_entries, log_nodes, log_checkpoints
            TO custody_service;
          GRANT UPDATE ON evidence, orders TO custody_service;
          GRANT UPDATE (disabled_at, disabled_by) ON principals TO custody_service;
          GRANT UPDATE (revoked_at, revoked_by) ON case_grants TO custody_service;
          GRANT UPDATE (revoked_at, revoked_by) ON disclosures TO custody_service;
          GRANT UPDATE (retired_at) ON receipt_keys TO custody_service;
          GRANT UPDATE (size, root, checkpoint) ON log_head TO custody_service;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custody_service') THEN
          REVOKE ALL ON ALL TABLES IN SCHEMA public FROM custody_service;
          REVOKE USAGE ON SCHEMA public FROM custody_service;
        END IF;
      END $$`);
  }
}
