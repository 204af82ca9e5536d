import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One NAS file system (`nas-…`): a directory under the data root, served as `<server>:/`. Private to storage-svc. */
@Entity({ name: 'nas_file_systems' })
export class NasFileSystemEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** Its mount target, e.g. `0a1b2c.nas.skiff.local`: what `nfs.server` and flexVolume `server` name. */
  @Column({ type: 'text', unique: true })
  server!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
