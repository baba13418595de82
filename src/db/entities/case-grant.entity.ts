import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Membership of one case: a subject of an agency (or, without a subject, the
 * whole agency) in one role, optionally until a time, until revoked. Queries
 * go through CaseRepository; this mapping names the columns.
 */
@Entity({ name: 'case_grants' })
export class CaseGrantEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  /** Null only on grants to a subject never seen, revoked when memberships began to name agencies. */
  @Column({ name: 'grantee_agency', type: 'text', nullable: true })
  granteeAgency!: string | null;

  @Column({ name: 'grantee_sub', type: 'text', nullable: true })
  granteeSub!: string | null;

  @Column({ type: 'text' })
  role!: string;

  @Column({ type: 'timestamptz', nullable: true })
  until!: Date | null;

  @Column({ name: 'granted_by', type: 'text' })
  grantedBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'boolean' })
  lead!: boolean;

  @Column({ type: 'boolean' })
  content!: boolean;

  @Column({ name: 'break_glass_reason', type: 'text', nullable: true })
  breakGlassReason!: string | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'text', nullable: true })
  revokedBy!: string | null;
}
