import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single row that hands out resourceVersions. Writers take it last in their transaction
 * (UPDATE ... RETURNING holds the row lock until commit), so commit order is resourceVersion order.
 */
@Entity({ name: 'resource_version_counter' })
export class ResourceVersionCounterEntity {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'current', type: 'bigint' })
  current!: string;
}
