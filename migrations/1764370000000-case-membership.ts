import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Need-to-know by membership (api.md, "Who calls it"): a grant names a subject
 * together with its agency (a subject of another agency never matches), or a
 * whole agency; the opener of a case is its lead member; grants say whether
 * they open the bytes; grants and disclosures can be revoked.
 */
export class CaseMembership1764370000000 implements MigrationInterface {
  name = 'CaseMembership1764370000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE case_grants
        ADD COLUMN lead       boolean NOT NULL DEFAULT false,
        ADD COLUMN content    boolean NOT NULL DEFAULT false,
        ADD COLUMN revoked_at timestamptz,
        ADD COLUMN revoked_by text`);
    await db.query(`
      UPDATE case_grants g SET grantee_agency = p.agency_code
        FROM principals p WHERE g.grantee_sub = p.sub AND g.grantee_agency IS NULL`);
    // A grant to a subject never seen cannot be tied to an agency: it ends here.
    await db.query(
      "UPDATE case_grants SET revoked_at = now(), revoked_by = 'migration' WHERE grantee_agency IS NULL",
    );
    await db.query("UPDATE case_grants SET content = role IN ('investigator', 'prosecutor')");
    await db.query('ALTER TABLE case_grants DROP CONSTRAINT case_grants_one_grantee');
    await db.query(`
      ALTER TABLE case_grants ADD CONSTRAINT case_grants_names_agency
        CHECK (grantee_agency IS NOT NULL OR revoked_at IS NOT NULL)`);
    await db.query(`
      ALTER TABLE case_grants ADD CONSTRAINT case_grants_revoked_by
        CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))`);
    // Every existing case gets its opener as lead member, in the role its opening entry names.
    await db.query(`
      INSERT INTO case_grants (id, case_id, grantee_agency, grantee_sub, role, until, granted_by, created_at,
                               lead, content)
      SELECT gen_random_uuid(), c.id, c.agency_code, c.created_by,
             COALESCE((SELECT convert_from(e.leaf_data, 'UTF8')::jsonb #>> '{actor,role}'
                         FROM log_entries e
                        WHERE e.subject_type = 'case' AND e.subject_id = c.id::text AND e.seq = 1),
                      'investigator'),
             NULL, c.created_by, c.created_at, true, true
        FROM cases c`);
    await db.query(
      'CREATE UNIQUE INDEX case_grants_one_lead ON case_grants (case_id) WHERE lead AND revoked_at IS NULL',
    );
    await db.query(`
      CREATE INDEX case_grants_by_member ON case_grants (grantee_agency, grantee_sub)
        WHERE revoked_at IS NULL`);
    await db.query(`
      ALTER TABLE disclosures
        ADD COLUMN revoked_at timestamptz,
        ADD COLUMN revoked_by text,
        ADD CONSTRAINT disclosures_revoked_by CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      'ALTER TABLE disclosures DROP CONSTRAINT disclosures_revoked_by, DROP COLUMN revoked_by, DROP COLUMN revoked_at',
    );
    await db.query('DROP INDEX case_grants_by_member');
    await db.query('DROP INDEX case_grants_one_lead');
    await db.query('DELETE FROM case_grants WHERE lead');
    await db.query('ALTER TABLE case_grants DROP CONSTRAINT case_grants_revoked_by');
    await db.query('ALTER TABLE case_grants DROP CONSTRAINT case_grants_names_agency');
    await db.query('UPDATE case_grants SET grantee_agency = NULL WHERE grantee_sub IS NOT NULL');
    await db.query(`
      ALTER TABLE case_grants ADD CONSTRAINT case_grants_one_grantee
        CHECK ((grantee_agency IS NULL) <> (grantee_sub IS NULL))`);
    await db.query(`
      ALTER TABLE case_grants
        DROP COLUMN revoked_by, DROP COLUMN revoked_at, DROP COLUMN content, DROP COLUMN lead`);
  }
}
