import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An administrator can disable a principal: its tokens are refused from then on, in every process. */
export class PrincipalStatus1764380000000 implements MigrationInterface {
  name = 'PrincipalStatus1764380000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE principals
        ADD COLUMN disabled_at timestamptz,
        ADD COLUMN disabled_by text,
        ADD CONSTRAINT principals_disabled_by CHECK ((disabled_at IS NULL) = (disabled_by IS NULL))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      'ALTER TABLE principals DROP CONSTRAINT principals_disabled_by, DROP COLUMN disabled_by, DROP COLUMN disabled_at',
    );
  }
}
