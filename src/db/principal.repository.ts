import type { DataSource } from 'typeorm';

/** What the database holds about a principal: the binding a later token must match. */
export interface PrincipalRecord {
  readonly sub: string;
  readonly agency: string;
  readonly issuer: string;
}

export class PrincipalRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Records the agency and principal if they are new, in one statement, and
   * returns the principal as stored (which may differ from `seen` if the subject
   * was first recorded with another agency or issuer).
   */
  async record(seen: PrincipalRecord): Promise<PrincipalRecord> {
    const rows: Array<{ sub: string; agency_code: string; issuer: string }> = await this.db.query(
      `WITH agency AS (
         INSERT INTO agencies (code) VALUES ($2) ON CONFLICT (code) DO NOTHING
       ), inserted AS (
         INSERT INTO principals (sub, issuer, agency_code) VALUES ($1, $3, $2)
         ON CONFLICT (sub) DO NOTHING
         RETURNING sub, agency_code, issuer
       )
       SELECT sub, agency_code, issuer FROM inserted
       UNION ALL
       SELECT sub, agency_code, issuer FROM principals WHERE sub = $1`,
      [seen.sub, seen.agency, seen.issuer],
    );
    const row = rows[0];
    if (!row) throw new Error('principal upsert returned no row');
    return { sub: row.sub, agency: row.agency_code, issuer: row.issuer };
  }
}
