import type { DataSource } from 'typeorm';
import type { DisclosableFact } from '../access/disclosure-scope';
import type { CaseStanding } from '../access/permissions';
import type { Role } from '../access/roles';
import { type Requester, standingIn } from '../access/scope';
import type { DomainWriter } from '../log/domain-write';
import { MEMBER_STANDING, memberParams } from './case.repository';
import { changedRows } from './log.repository';

/** Evidence handed to another agency: what, to whom, under which order and conditions. */
export interface DisclosureRecord {
  readonly id: string;
  readonly caseId: string;
  readonly recipientAgency: string;
  readonly orderId: string | null;
  readonly conditions: string | null;
  /** The withheld facts of the items' chains its recipient receives (access/disclosure-scope.ts). */
  readonly facts: readonly DisclosableFact[];
  readonly evidenceIds: readonly string[];
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/** An order an item is linked to, as far as a hand-over of the item depends on it. */
export interface ItemOrder {
  readonly evidenceId: string;
  readonly orderId: string;
  readonly kind: string;
  readonly direction: string;
  readonly status: string;
  readonly submittedByAgency: string;
  readonly safeguards: Readonly<Record<string, unknown>>;
  /** The supplying state's prior authorisations of onward transfers, for our own requests (UN Art. 36(3)). */
  readonly onwardAuthorisations: ReadonlyArray<{
    id: string;
    agency: string;
    state: string;
    reference: string;
  }>;
}

/** A disclosure with the requester's standing in its case (undefined: not a member). */
export interface DisclosureWithStanding {
  readonly record: DisclosureRecord;
  readonly standing: CaseStanding | undefined;
}

/** Which disclosures a listing asks for: those its agency holds, those of its cases, of one case, after a position. */
export interface DisclosureListFilter {
  /** Those the requester's agency received and that are not revoked. */
  readonly received: boolean;
  /** Those of cases the requester is a member of (or, as an auditor, oversees). */
  readonly sent: boolean;
  readonly caseId?: string | undefined;
  readonly after?: { readonly createdAt: Date; readonly id: string } | undefined;
  readonly limit: number;
}

/** Thrown when a disclosure was revoked by someone else first. */
export class DisclosureAlreadyRevokedError extends Error {}

export class DisclosureRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts disclosures within the log batch that records them. */
  readonly writer: DomainWriter<DisclosureRecord> = {
    writeAll: async (tx, records) => {
      for (const r of records) {
        await tx.query(
          `INSERT INTO disclosures (id, case_id, recipient_agency, order_id, conditions, evidence_ids, created_by,
                                    created_at, facts)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            r.id,
            r.caseId,
            r.recipientAgency,
            r.orderId,
            r.conditions,
            r.evidenceIds,
            r.createdBy,
            r.createdAt,
            r.facts,
          ],
        );
      }
    },
  };

  /** Revokes disclosures within the log batch that records it. */
  readonly revocationWriter: DomainWriter<{ id: string; by: string; at: Date }> = {
    writeAll: async (tx, revocations) => {
      for (const revocation of revocations) {
        const changed = await changedRows(
          tx,
          'UPDATE disclosures SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL',
          [revocation.id, revocation.at, revocation.by],
        );
        if (changed === 0) throw new DisclosureAlreadyRevokedError();
      }
    },
  };

  /** Every order the items are linked to: the legal basis of handing them over, and the conditions they came with. */
  async ordersOfItems(evidenceIds: readonly string[]): Promise<ItemOrder[]> {
    const rows: Array<{
      evidence_id: string;
      order_id: string;
      kind: string;
      direction: string;
      status: string;
      submitted_by_agency: string;
      safeguards: Record<string, unknown>;
      onward_authorisations: ItemOrder['onwardAuthorisations'];
    }> = await this.db.query(
      `SELECT oe.evidence_id, o.id AS order_id, o.kind, o.direction, o.status, o.submitted_by_agency, o.safeguards,
              COALESCE((SELECT json_agg(json_build_object('id', a.id, 'agency', a.recipient_agency,
                                                          'state', a.recipient_state, 'reference', a.reference)
                                        ORDER BY a.recorded_at, a.id)
                          FROM order_onward_authorisations a WHERE a.order_id = o.id), '[]') AS onward_authorisations
         FROM order_evidence oe JOIN orders o ON o.id = oe.order_id
        WHERE oe.evidence_id = ANY($1::uuid[])`,
      [evidenceIds],
    );
    return rows.map((row) => ({
      evidenceId: row.evidence_id,
      orderId: row.order_id,
      kind: row.kind,
      direction: row.direction,
      status: row.status,
      submittedByAgency: row.submitted_by_agency,
      safeguards: row.safeguards,
      onwardAuthorisations: row.onward_authorisations,
    }));
  }

  async find(id: string): Promise<DisclosureRecord | undefined> {
    const rows = await this.db.query(`${SELECT} WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * A page of the disclosures the filter asks for, newest first, each with
   * the requester's standing in its case; the caller decides from it (and
   * `access/`) what each reader may see. Out of both sides: not returned.
   */
  async list(requester: Requester, filter: DisclosureListFilter): Promise<DisclosureWithStanding[]> {
    const rows: Array<Row & { case_agency: string; member_roles: Role[]; lead: boolean; content: boolean }> =
      await this.db.query(
        `SELECT d.*, c.agency_code AS case_agency, s.member_roles, s.lead, s.content
           FROM (${SELECT}) d
           JOIN cases c ON c.id = d.case_id
           CROSS JOIN LATERAL ${MEMBER_STANDING} s
          WHERE (($4 AND d.recipient_agency = $1 AND d.revoked_at IS NULL)
                 OR ($5 AND (cardinality(s.member_roles) > 0 OR ('auditor' = ANY($3) AND c.agency_code = $1))))
            AND ($6::uuid IS NULL OR d.case_id = $6)
            AND ($7::timestamptz IS NULL OR (d.created_at, d.id) < ($7, $8::uuid))
          ORDER BY d.created_at DESC, d.id DESC
          LIMIT $9`,
        [
          ...memberParams(requester),
          filter.received,
          filter.sent,
          filter.caseId ?? null,
          filter.after?.createdAt ?? null,
          filter.after?.id ?? null,
          filter.limit,
        ],
      );
    return rows.map((row) => ({
      record: toRecord(row),
      standing: standingIn(requester, row.case_agency, {
        roles: row.member_roles,
        lead: row.lead,
        content: row.content,
      }),
    }));
  }
}

const SELECT = `SELECT id, case_id, recipient_agency, order_id, conditions, facts, evidence_ids, created_by, created_at,
    revoked_at
  FROM disclosures`;

interface Row {
  id: string;
  case_id: string;
  recipient_agency: string;
  order_id: string | null;
  conditions: string | null;
  facts: DisclosableFact[];
  evidence_ids: string[];
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
}

function toRecord(row: Row): DisclosureRecord {
  return {
    id: row.id,
    caseId: row.case_id,
    recipientAgency: row.recipient_agency,
    orderId: row.order_id,
    conditions: row.conditions,
    facts: row.facts,
    evidenceIds: row.evidence_ids,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
