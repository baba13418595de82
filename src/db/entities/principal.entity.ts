import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A person or system that acts through a token. The subject is the identity;
 * it belongs to one agency and one issuer for good, so a token cannot move it.
 */
@Entity({ name: 'principals' })
export class PrincipalEntity {
  @PrimaryColumn({ type: 'text' })
  sub!: string;

  @Column({ type: 'text' })
  issuer!: string;

  @Column({ name: 'agency_code', type: 'text' })
  agencyCode!: string;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt!: Date;
}
