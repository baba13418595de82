import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An agency (`AZ-SSS`, `DE-BKA`, ...), recorded the first time a valid token names it. */
@Entity({ name: 'agencies' })
export class AgencyEntity {
  @PrimaryColumn({ type: 'text' })
  code!: string;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt!: Date;
}
