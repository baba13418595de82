import type { DataSource } from 'typeorm';
import type { DomainWriter } from '../log/domain-write';

/**
 * The supplying state's prior authorisation to pass data received under our
 * own request on to one named third state and agency (UN Art. 36(3)).
 */
export interface OnwardAuthorisation {
  readonly id: string;
  /** Our request under which the data came in. */
  readonly orderId: string;
  readonly recipientAgency: string;
  readonly recipientState: string;
  /** The supplying state's reference for its authorisation (letter, note, file number). */
  readonly reference: string;
  readonly recordedBy: string;
  readonly recordedAt: Date;
}

/** Conditions that travel with the data of an order, and what was done under them. */
export class OrderConditionsRepository {
  constructor(private readonly db: DataSource) {}

  readonly onwardWriter: DomainWriter<OnwardAuthorisation> = {
    writeAll: async (tx, rows) => {
      for (const row of rows)
        await tx.query(
          `INSERT INTO order_onward_authorisations
             (id, order_id, recipient_agency, recipient_state, reference, recorded_by, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            row.id,
            row.orderId,
            row.recipientAgency,
            row.recipientState,
            row.reference,
            row.recordedBy,
            row.recordedAt,
          ],
        );
    },
  };

  async onwardAuthorisationsOf(orderIds: readonly string[]): Promise<OnwardAuthorisation[]> {
    const rows: Array<{
      id: string;
      order_id: string;
      recipient_agency: string;
      recipient_state: string;
      reference: string;
      recorded_by: string;
      recorded_at: Date;
    }> = await this.db.query(
      `SELECT id, order_id, recipient_agency, recipient_state, reference, recorded_by, recorded_at
         FROM order_onward_authorisations WHERE order_id = ANY($1::uuid[]) ORDER BY recorded_at, id`,
      [orderIds],
    );
    return rows.map((row) => ({
      id: row.id,
      orderId: row.order_id,
      recipientAgency: row.recipient_agency,
      recipientState: row.recipient_state,
      reference: row.reference,
      recordedBy: row.recorded_by,
      recordedAt: row.recorded_at,
    }));
  }
}
