import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The current state of one API object. `namespace` is '' for cluster-scoped objects. */
@Entity({ name: 'objects' })
export class StoredObjectEntity {
  @PrimaryColumn({ name: 'api_group', type: 'text' })
  apiGroup!: string;

  @PrimaryColumn({ type: 'text' })
  resource!: string;

  @PrimaryColumn({ type: 'text' })
  namespace!: string;

  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ type: 'uuid' })
  uid!: string;

  /** Postgres bigint arrives as a string; resourceVersions are strings in the API too. */
  @Column({ name: 'resource_version', type: 'bigint' })
  resourceVersion!: string;

  @Column({ type: 'jsonb' })
  body!: Record<string, unknown>;
}
