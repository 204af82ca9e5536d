import { Inject, Injectable } from '@nestjs/common';
import { DiskEntity, NasFileSystemEntity } from '@skiff/storage-schema';
import { randomBytes } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { nasServerOf } from '../nas/nas-directories';
import { DATA_SOURCE } from '@skiff/persistence';

export interface DiskRecord {
  id: string;
  category: string;
  sizeBytes: number;
  fsType: string;
  zone: string | null;
  pvName: string | null;
}

/** storage-svc's record of its cloud disks and NAS file systems (Postgres, private tables). */
@Injectable()
export class StorageInventory {
  private readonly disks: Repository<DiskEntity>;
  private readonly nas: Repository<NasFileSystemEntity>;

  constructor(@Inject(DATA_SOURCE) ds: DataSource) {
    this.disks = ds.getRepository(DiskEntity);
    this.nas = ds.getRepository(NasFileSystemEntity);
  }

  /** A new disk id as ASK's look (`d-` and 20 characters). */
  static newDiskId(): string {
    return `d-${randomBytes(10).toString('hex')}`;
  }

  async addDisk(d: DiskRecord): Promise<void> {
    await this.disks.insert({ ...d, sizeBytes: String(d.sizeBytes), createdAt: new Date() });
  }

  async disk(id: string): Promise<DiskRecord | undefined> {
    const row = await this.disks.findOneBy({ id });
    return row ? { ...row, sizeBytes: Number(row.sizeBytes) } : undefined;
  }

  /** The disk made for a PV (a retried provisioning finds the one it made before). */
  async diskOfVolume(pvName: string): Promise<DiskRecord | undefined> {
    const row = await this.disks.findOneBy({ pvName });
    return row ? { ...row, sizeBytes: Number(row.sizeBytes) } : undefined;
  }

  async resizeDisk(id: string, sizeBytes: number): Promise<void> {
    await this.disks.update({ id }, { sizeBytes: String(sizeBytes) });
  }

  async removeDisk(id: string): Promise<void> {
    await this.disks.delete({ id });
  }

  /** The cluster's NAS file system for dynamically provisioned volumes, made on first use. */
  async defaultNas(): Promise<NasFileSystemEntity> {
    const found = await this.nas.find({ order: { createdAt: 'ASC' }, take: 1 });
    if (found[0]) return found[0];
    const id = `nas-${randomBytes(5).toString('hex')}`;
    await this.nas.insert({ id, server: nasServerOf(id), createdAt: new Date() }).catch(() => undefined);
    return (await this.nas.find({ order: { createdAt: 'ASC' }, take: 1 }))[0];
  }
}
