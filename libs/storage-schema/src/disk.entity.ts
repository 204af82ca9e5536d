import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One cloud disk (`d-…`): a sparse image file under the data root. Private to storage-svc. */
@Entity({ name: 'disks' })
export class DiskEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** cloud_essd, cloud_ssd, cloud_efficiency, available. */
  @Column({ type: 'text' })
  category!: string;

  // bigint comes back as a string from pg: the repository converts.
  @Column({ name: 'size_bytes', type: 'bigint' })
  sizeBytes!: string;

  @Column({ name: 'fs_type', type: 'text' })
  fsType!: string;

  @Column({ type: 'text', nullable: true })
  zone!: string | null;

  /** The PersistentVolume made for it, when it was provisioned for a claim. */
  @Column({ name: 'pv_name', type: 'text', nullable: true, unique: true })
  pvName!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
