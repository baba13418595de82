import type { DataSource } from 'typeorm';
import { NotFoundError } from '../errors';
import type { DomainWriter } from '../log/domain-write';
import { changedRows } from './log.repository';

/** The PostgreSQL notification channel on which a principal's status changes are announced. */
export const PRINCIPAL_CHANNEL = 'custody_principal_status';

/** What the database holds about a principal: the binding a later token must match. */
export interface PrincipalRecord {
  readonly sub: string;
  readonly agency: string;
  readonly issuer: string;
  /** When an administrator disabled it; its tokens are refused from then on. */
  readonly disabledAt?: Date | null;
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
    const rows: Array<{ sub: string; agency_code: string; issuer: string; disabled_at: Date | null }> =
      await this.db.query(
        `WITH agency AS (
         INSERT INTO agencies (code) VALUES ($2) ON CONFLICT (code) DO NOTHING
       ), inserted AS (
         INSERT INTO principals (sub, issuer, agency_code) VALUES ($1, $3, $2)
         ON CONFLICT (sub) DO NOTHING
         RETURNING sub, agency_code, issuer, disabled_at
       )
       SELECT sub, agency_code, issuer, disabled_at FROM inserted
       UNION ALL
       SELECT sub, agency_code, issuer, disabled_at FROM principals WHERE sub = $1`,
        [seen.sub, seen.agency, seen.issuer],
      );
    const row = rows[0];
    return row && { sub: row.sub, agency: row.agency_code, issuer: row.issuer, disabledAt: row.disabled_at };
  }

  /** Disables or re-enables a principal within the log batch that records it; false if it was never seen. */
  readonly statusWriter: DomainWriter<{ sub: string; disabled: boolean; by: string; at: Date }> = {
    writeAll: async (tx, changes) => {
      for (const change of changes) {
        const changed = await changedRows(
          tx,
          'UPDATE principals SET disabled_at = $2, disabled_by = $3 WHERE sub = $1',
          [change.sub, change.disabled ? change.at : null, change.disabled ? change.by : null],
        );
        if (changed === 0) throw new NotFoundError('principal');
        // Delivered to every listening process when the change commits.
        await tx.query('SELECT pg_notify($1, $2)', [PRINCIPAL_CHANNEL, change.sub]);
      }
    },
  };

  async find(sub: string): Promise<PrincipalRecord | undefined> {
    const rows = await this.db.query(
      'SELECT sub, agency_code, issuer, disabled_at FROM principals WHERE sub = $1',
      [sub],
    );
    const row = rows[0];
    return row && { sub: row.sub, agency: row.agency_code, issuer: row.issuer, disabledAt: row.disabled_at };
  }
}
