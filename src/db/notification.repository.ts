import type { DomainWriter } from '../log/domain-write';

/** Something a person must be told (the lead of a case opened by break-glass), until it is delivered. */
export interface NotificationRecord {
  readonly id: string;
  readonly recipientAgency: string;
  readonly recipientSub: string | null;
  readonly kind: string;
  readonly caseId: string | null;
  readonly payload: Record<string, unknown>;
  readonly createdAt: Date;
}

/** The notification outbox: written with the change it tells of; the console and a webhook deliver it. */
export class NotificationRepository {
  readonly writer: DomainWriter<NotificationRecord> = {
    writeAll: async (tx, records) => {
      for (const r of records) {
        await tx.query(
          `INSERT INTO notifications (id, recipient_agency, recipient_sub, kind, case_id, payload, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [r.id, r.recipientAgency, r.recipientSub, r.kind, r.caseId, JSON.stringify(r.payload), r.createdAt],
        );
      }
    },
  };
}
