import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An investigation file, owned by the agency of the principal who opened it. */
@Entity({ name: 'cases' })
export class CaseEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'agency_code', type: 'text' })
  agencyCode!: string;

  /** The agency's own case number; unique within the agency. */
  @Column({ type: 'text' })
  reference!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ name: 'legal_basis', type: 'text', nullable: true })
  legalBasis!: string | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
