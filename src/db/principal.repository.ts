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
    // A concurrent first sighting may commit between our INSERT and SELECT snapshots;
    // the statement then returns nothing, and a second run sees the committed row.
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await this.recordOnce(seen);
      if (row) return row;
    }
    throw new Error('principal upsert returned no row');
  }

  private async recordOnce(seen: PrincipalRecord): Promise<PrincipalRecord | undefined> {
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
    return row && { sub: row.sub, agency: row.agency_code, issuer: row.issuer };
  }
}
