import type { DataSource } from 'typeorm';
import type { DomainWriter } from '../log/domain-write';

/** One decision on telling the person an order concerns (see orders/user-notices.ts). */
export interface UserNoticeRecord {
  readonly id: string;
  readonly orderId: string;
  readonly decision: 'notified' | 'deferred' | 'not_notified';
  readonly ground: string | null;
  readonly until: Date | null;
  readonly decidedAt: Date;
  readonly decidedBy: string;
}

export class UserNoticeRepository {
  constructor(private readonly db: DataSource) {}

  readonly writer: DomainWriter<UserNoticeRecord> = {
    writeAll: async (tx, records) => {
      for (const r of records) {
        await tx.query(
          `INSERT INTO order_user_notices (id, order_id, decision, ground, until, decided_at, decided_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [r.id, r.orderId, r.decision, r.ground, r.until, r.decidedAt, r.decidedBy],
        );
      }
    },
  };

  async latest(orderId: string): Promise<UserNoticeRecord | undefined> {
    const rows: Array<{
      id: string;
      order_id: string;
      decision: UserNoticeRecord['decision'];
      ground: string | null;
      until: Date | null;
      decided_at: Date;
      decided_by: string;
    }> = await this.db.query(
      `SELECT id, order_id, decision, ground, until, decided_at, decided_by FROM order_user_notices
        WHERE order_id = $1 ORDER BY decided_at DESC, id DESC LIMIT 1`,
      [orderId],
    );
    const row = rows[0];
    return (
      row && {
        id: row.id,
        orderId: row.order_id,
        decision: row.decision,
        ground: row.ground,
        until: row.until,
        decidedAt: row.decided_at,
        decidedBy: row.decided_by,
      }
    );
  }
}
