import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Where the next search for a free address starts, per VSwitch CIDR. Allocation rotates
 * through the range so a just-released address is not handed to the next pod at once
 * (stale ARP/conntrack entries would send it the old pod's traffic). Locking this row is
 * also what serializes allocators across network-svc replicas.
 */
@Entity({ name: 'ipam_cursors' })
export class IpamCursorEntity {
  @PrimaryColumn({ type: 'cidr' })
  cidr!: string;

  /** Offset from the network address; bigint arrives as a string. */
  @Column({ name: 'next_offset', type: 'bigint' })
  nextOffset!: string;
}
