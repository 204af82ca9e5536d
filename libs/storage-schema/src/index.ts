// storage-svc's private tables: its cloud disks and NAS file systems. Only storage-svc (and the migration runner)
// may import this lib.
import { StorageInventory1765000000000 } from './1765000000000-storage-inventory';
import { DiskEntity } from './disk.entity';
import { NasFileSystemEntity } from './nas-file-system.entity';

export { DiskEntity, NasFileSystemEntity };
export const STORAGE_ENTITIES = [DiskEntity, NasFileSystemEntity];
export const STORAGE_MIGRATIONS = [StorageInventory1765000000000];
