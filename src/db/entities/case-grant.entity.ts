import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Need-to-know access to one case for a principal or for a whole agency, limited
 * to one role and optionally in time. Exactly one of the two grantee columns is set.
 */
@Entity({ name: 'case_grants' })
export class CaseGrantEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

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
}
