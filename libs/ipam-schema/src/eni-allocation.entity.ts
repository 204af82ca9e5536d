import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One pod ENI address handed out by network-svc's IPAM. Private to network-svc.
 * The primary key on `ip` and the unique `pod_uid` are what make two live pods sharing an
 * address, or one pod holding two, impossible whatever the replicas race to do.
 */
@Entity({ name: 'eni_allocations' })
export class EniAllocationEntity {
  /** Host address without a prefix (pg returns inet host addresses as plain "10.244.0.5"). */
  @PrimaryColumn({ type: 'inet' })
  ip!: string;

  @Column({ name: 'pod_uid', type: 'text', unique: true })
  podUid!: string;

  @Column({ type: 'text' })
  namespace!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'host_id', type: 'text' })
  hostId!: string;

  @Column({ name: 'allocated_at', type: 'timestamptz' })
  allocatedAt!: Date;
}
