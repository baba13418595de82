import type { DataSource } from 'typeorm';
import { ConflictError } from '../errors';
import type { DomainWriter } from '../log/domain-write';

/** A handler assigned to an order: for a confidential request, one who may know of it (Budapest Art. 27(8)). */
export interface OrderAssignee {
  readonly orderId: string;
  readonly sub: string;
  readonly assignedBy: string;
  readonly assignedAt: Date;
}

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

/** The custodian's acknowledgement of its duty of confidentiality (UN Art. 25(3); Budapest Art. 16(3)). */
export interface CustodianAcknowledgement {
  readonly orderId: string;
  readonly custodianAgency: string;
  readonly confidentialUntil: Date;
  readonly acknowledgedBy: string;
  readonly acknowledgedAt: Date;
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

  /** Each assignment once: one already made is a conflict, and its entry does not commit. */
  readonly assigneeWriter: DomainWriter<OrderAssignee> = {
    writeAll: async (tx, rows) => {
      for (const row of rows) {
        const inserted = await tx.query(
          `WITH added AS (
             INSERT INTO order_assignees (order_id, sub, assigned_by, assigned_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING RETURNING sub)
           SELECT sub FROM added`,
          [row.orderId, row.sub, row.assignedBy, row.assignedAt],
        );
        if (inserted.length === 0) throw new ConflictError('CONFLICT', `${row.sub} is assigned already`);
      }
    },
  };

  /** Once per order and custodian: a second acknowledgement is a conflict, and its entry does not commit. */
  readonly acknowledgementWriter: DomainWriter<CustodianAcknowledgement> = {
    writeAll: async (tx, rows) => {
      for (const row of rows) {
        const inserted = await tx.query(
          `WITH added AS (
             INSERT INTO order_custodian_acknowledgements
               (order_id, custodian_agency, confidential_until, acknowledged_by, acknowledged_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING order_id)
           SELECT order_id FROM added`,
          [row.orderId, row.custodianAgency, row.confidentialUntil, row.acknowledgedBy, row.acknowledgedAt],
        );
        if (inserted.length === 0) throw new ConflictError('CONFLICT', 'the duty is acknowledged already');
      }
    },
  };

  async assigneesOf(orderId: string): Promise<string[]> {
    const rows: Array<{ sub: string }> = await this.db.query(
      'SELECT sub FROM order_assignees WHERE order_id = $1 ORDER BY assigned_at, sub',
      [orderId],
    );
    return rows.map((row) => row.sub);
  }

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
