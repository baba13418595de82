import { expect } from 'chai';
import { Client } from 'pg';
import { testDatabase } from '../support/database';

/**
 * The service's own database role (migration "service role"): what an attacker
 * who took over the service's connection could and could not do.
 */
describe('the service database role (least privilege)', () => {
  let client: Client;

  before(async () => {
    client = new Client({ connectionString: testDatabase().ownerUrl });
    await client.connect();
    // Privileges are checked as custody_service from here on, as for the service's own connections.
    await client.query('SET ROLE custody_service');
  });
  after(async () => {
    await client.end();
  });

  /** The SQLSTATE a statement fails with, inside a transaction that is rolled back either way. */
  async function sqlState(statement: string): Promise<string | undefined> {
    await client.query('BEGIN');
    try {
      await client.query(statement);
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    } finally {
      await client.query('ROLLBACK');
    }
  }

  const INSUFFICIENT_PRIVILEGE = '42501';

  for (const table of ['log_entries', 'log_nodes', 'log_checkpoints', 'log_head']) {
    it(`when it tries to disable the append-only trigger, update or delete ${table}, then PostgreSQL refuses`, async () => {
      expect(await sqlState(`ALTER TABLE ${table} DISABLE TRIGGER ALL`)).to.equal(INSUFFICIENT_PRIVILEGE);
      expect(await sqlState(`DELETE FROM ${table}`)).to.equal(INSUFFICIENT_PRIVILEGE);
      expect(await sqlState(`TRUNCATE ${table}`)).to.equal(INSUFFICIENT_PRIVILEGE);
      expect(await sqlState(`DROP TABLE ${table}`)).to.equal(INSUFFICIENT_PRIVILEGE);
    });
  }

  it('when it tries to rewrite entries or the head beyond what growth needs, then PostgreSQL refuses', async () => {
    expect(await sqlState(`UPDATE log_entries SET entry_type = 'x'`)).to.equal(INSUFFICIENT_PRIVILEGE);
    expect(await sqlState(`UPDATE log_checkpoints SET note = 'x'`)).to.equal(INSUFFICIENT_PRIVILEGE);
    expect(await sqlState(`UPDATE log_nodes SET hash = hash`)).to.equal(INSUFFICIENT_PRIVILEGE);
    expect(await sqlState(`UPDATE log_entries SET disclosures = '[]'`)).to.equal(INSUFFICIENT_PRIVILEGE);
    expect(await sqlState(`UPDATE log_head SET origin = 'elsewhere'`)).to.equal(INSUFFICIENT_PRIVILEGE);
  });

  it('when it tries to change who may see what, keys or case facts, then PostgreSQL refuses', async () => {
    for (const statement of [
      "UPDATE case_grants SET role = 'prosecutor'",
      "UPDATE case_grants SET grantee_agency = 'X'",
      'DELETE FROM case_grants',
      "UPDATE cases SET title = 'x'",
      'DELETE FROM cases',
      "UPDATE principals SET agency_code = 'X'",
      "UPDATE receipt_keys SET public_jwk = '{}'",
      'DELETE FROM receipt_keys',
      'DELETE FROM evidence',
      'DELETE FROM disclosures',
      "UPDATE disclosures SET recipient_agency = 'X'",
      'CREATE TABLE intruder (x int)',
    ]) {
      expect(await sqlState(statement), statement).to.equal(INSUFFICIENT_PRIVILEGE);
    }
  });

  it('when it does what the service does (read, append, revoke), then PostgreSQL allows it', async () => {
    expect(await sqlState('SELECT count(*) FROM log_entries')).to.equal(undefined);
    expect(
      await sqlState('UPDATE case_grants SET revoked_at = now(), revoked_by = $$x$$ WHERE false'),
    ).to.equal(undefined);
    expect(await sqlState('SELECT size FROM log_head FOR UPDATE')).to.equal(undefined);
  });
});
