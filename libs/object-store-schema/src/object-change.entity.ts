import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * The transactional outbox and watch history: one row per committed change, keyed by the
 * resourceVersion it produced. Written in the same transaction as the object.
 */
@Entity({ name: 'object_changes' })
export class ObjectChangeEntity {
  @PrimaryColumn({ name: 'resource_version', type: 'bigint' })
  resourceVersion!: string;

  @Column({ type: 'text' })
  type!: ChangeType;

  @Column({ name: 'api_group', type: 'text' })
  apiGroup!: string;

  @Column({ type: 'text' })
  resource!: string;

  @Column({ type: 'text' })
  namespace!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'jsonb' })
  body!: Record<string, unknown>;

  /** The object before a MODIFIED change, so filtered watches can tell enter/leave. */
  @Column({ name: 'prev_body', type: 'jsonb', nullable: true })
  prevBody!: Record<string, unknown> | null;

  @Column({ name: 'committed_at', type: 'timestamptz', default: () => 'now()' })
  committedAt!: Date;
}
