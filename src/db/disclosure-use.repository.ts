import type { DataSource } from 'typeorm';
import type { DomainWriter } from '../log/domain-write';

/** One line of a disclosure's use ledger: the supplier's inquiry, or the recipient's report (Budapest Art. 28(4)). */
export interface DisclosureUse {
  readonly id: string;
  readonly disclosureId: string;
  readonly kind: 'inquiry' | 'report';
  /** The inquiry a report answers, if any. */
  readonly inquiryId: string | null;
  readonly text: string;
  readonly agency: string;
  readonly recordedBy: string;
  readonly recordedAt: Date;
}

export class DisclosureUseRepository {
  constructor(private readonly db: DataSource) {}

  readonly writer: DomainWriter<DisclosureUse> = {
    writeAll: async (tx, uses) => {
      for (const use of uses)
        await tx.query(
          `INSERT INTO disclosure_uses (id, disclosure_id, kind, inquiry_id, text, agency, recorded_by, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            use.id,
            use.disclosureId,
            use.kind,
            use.inquiryId,
            use.text,
            use.agency,
            use.recordedBy,
            use.recordedAt,
          ],
        );
    },
  };

  async ofDisclosure(disclosureId: string): Promise<DisclosureUse[]> {
    const rows: Array<{
      id: string;
      disclosure_id: string;
      kind: DisclosureUse['kind'];
      inquiry_id: string | null;
      text: string;
      agency: string;
      recorded_by: string;
      recorded_at: Date;
    }> = await this.db.query(
      `SELECT id, disclosure_id, kind, inquiry_id, text, agency, recorded_by, recorded_at
         FROM disclosure_uses WHERE disclosure_id = $1 ORDER BY recorded_at, id`,
      [disclosureId],
    );
    return rows.map((row) => ({
      id: row.id,
      disclosureId: row.disclosure_id,
      kind: row.kind,
      inquiryId: row.inquiry_id,
      text: row.text,
      agency: row.agency,
      recordedBy: row.recorded_by,
      recordedAt: row.recorded_at,
    }));
  }
}
