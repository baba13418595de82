import type { DataSource, EntityManager } from 'typeorm';
import type { DomainWriter } from '../log/domain-write';

/**
 * Something an agency (or one person in it) must be told, until it is
 * delivered: the lead of a case opened by break-glass; the requesting party
 * of an order, of its receipt and every change of its status (UN Art. 40;
 * Budapest Art. 27(7)); the handlers of an order, of its deadline drawing
 * near or passing; an authority an order is referred to.
 */
export interface NotificationRecord {
  readonly id: string;
  readonly recipientAgency: string;
  readonly recipientSub: string | null;
  readonly kind: string;
  readonly caseId: string | null;
  /** The order the notification tells of, if any. */
  readonly orderId?: string | null;
  readonly payload: Record<string, unknown>;
  readonly createdAt: Date;
}

/** A notification as its recipient reads it, with when (and by whom) it was acknowledged. */
export interface StoredNotification extends NotificationRecord {
  readonly acknowledgedAt: Date | null;
  readonly acknowledgedBy: string | null;
}

/** Where a page of notifications ends: the next page starts after it (newest first). */
export interface NotificationPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** The notification outbox: written with the change it tells of; the console and a webhook deliver it. */
export class NotificationRepository {
  constructor(private readonly db?: DataSource) {}

  readonly writer: DomainWriter<NotificationRecord> = {
    writeAll: async (tx, records) => {
      for (const r of records) {
        await tx.query(
          `INSERT INTO notifications (id, recipient_agency, recipient_sub, kind, case_id, order_id, payload, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            r.id,
            r.recipientAgency,
            r.recipientSub,
            r.kind,
            r.caseId,
            r.orderId ?? null,
            JSON.stringify(r.payload),
            r.createdAt,
          ],
        );
      }
    },
  };

  /** Writes notices outside a log entry (a reminder that changes nothing on the record). */
  insert(tx: EntityManager, records: readonly NotificationRecord[]): Promise<void> {
    return this.writer.writeAll(tx, records);
  }

  /**
   * The notifications addressed to `agency` (to the whole agency, or to `sub`
   * in it), newest first, after `after` if given.
   */
  async listFor(
    recipient: { readonly agency: string; readonly sub: string },
    limit: number,
    after?: NotificationPosition,
    orderId?: string,
  ): Promise<StoredNotification[]> {
    const rows: Row[] = await this.database().query(
      `${SELECT} WHERE recipient_agency = $1 AND (recipient_sub IS NULL OR recipient_sub = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
          AND ($6::uuid IS NULL OR order_id = $6)
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [recipient.agency, recipient.sub, after?.createdAt ?? null, after?.id ?? null, limit, orderId ?? null],
    );
    return rows.map(toStored);
  }

  /**
   * Marks a notification of the recipient acknowledged, once (a second
   * acknowledgement keeps the first); undefined when it is not the
   * recipient's (or does not exist).
   */
  async acknowledge(
    recipient: { readonly agency: string; readonly sub: string },
    id: string,
    at: Date,
  ): Promise<StoredNotification | undefined> {
    const rows: Row[] = await this.database().query(
      `WITH acked AS (
         UPDATE notifications SET acknowledged_at = coalesce(acknowledged_at, $4),
                                  acknowledged_by = coalesce(acknowledged_by, $2)
          WHERE id = $3 AND recipient_agency = $1 AND (recipient_sub IS NULL OR recipient_sub = $2)
          RETURNING *)
       ${SELECT.replace('FROM notifications', 'FROM acked')}`,
      [recipient.agency, recipient.sub, id, at],
    );
    return rows[0] ? toStored(rows[0]) : undefined;
  }

  private database(): DataSource {
    if (!this.db) throw new Error('the notification repository was opened for writing only');
    return this.db;
  }
}

const SELECT = `SELECT id, recipient_agency, recipient_sub, kind, case_id, order_id, payload, created_at,
  acknowledged_at, acknowledged_by FROM notifications`;

interface Row {
  id: string;
  recipient_agency: string;
  recipient_sub: string | null;
  kind: string;
  case_id: string | null;
  order_id: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

function toStored(row: Row): StoredNotification {
  return {
    id: row.id,
    recipientAgency: row.recipient_agency,
    recipientSub: row.recipient_sub,
    kind: row.kind,
    caseId: row.case_id,
    orderId: row.order_id,
    payload: row.payload,
    createdAt: row.created_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
  };
}
