import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One Service ClusterIP held from the service CIDR. Private to network-svc. The primary key on
 * `ip` and the unique `service_uid` make an address held twice, or a Service holding two, impossible.
 */
@Entity({ name: 'cluster_ip_allocations' })
export class ClusterIpAllocationEntity {
  @PrimaryColumn({ type: 'inet' })
  ip!: string;

  @Column({ name: 'service_uid', type: 'text', unique: true })
  serviceUid!: string;

  @Column({ type: 'text' })
  namespace!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'allocated_at', type: 'timestamptz' })
  allocatedAt!: Date;
}
