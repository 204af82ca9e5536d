import * as path from 'node:path';
import { EnvReader } from './env-reader';
import { loadInfraConfig } from './skiff-config';

export interface StorageSvcConfig {
  databaseUrl: string;
  logFormat: 'json' | 'text';
  /** This replica's identity in the leader-election Lease of storage-svc's controllers. */
  identity: string;
  /** Where cloud disk images (`disks/`) and NAS file systems (`nas/`) live (SKIFF_STORAGE_ROOT). */
  dataRoot: string;
  /** The zone disks are made in (SKIFF_ZONE), as the sandbox hosts' virtual nodes are labelled. */
  zone: string;
  /**
   * How long a disk stays attached to a host where no pod uses it any more before storage-svc detaches it by force
   * (SKIFF_FORCE_DETACH_AFTER_SECONDS; upstream's maxWaitForUnmountDuration, 6 minutes): the host's agent normally
   * lets go itself, but a host that is gone cannot.
   */
  forceDetachAfterMs: number;
}

export function loadStorageSvcConfig(env = new EnvReader()): StorageSvcConfig {
  return {
    databaseUrl: loadInfraConfig(env).databaseUrl,
    logFormat: env.string('SKIFF_LOG_FORMAT', 'json') === 'text' ? 'text' : 'json',
    identity: env.string('SKIFF_STORAGE_SVC_IDENTITY', `storage-svc-${process.pid}`),
    dataRoot: storageRootOf(env),
    zone: env.string('SKIFF_ZONE', 'zone-a'),
    forceDetachAfterMs: env.int('SKIFF_FORCE_DETACH_AFTER_SECONDS', 360, 1) * 1000,
  };
}

/** SKIFF_STORAGE_ROOT: storage-svc makes disks and NAS there, sandbox agents attach and mount them from there. */
export function storageRootOf(env = new EnvReader()): string {
  return path.resolve(env.string('SKIFF_STORAGE_ROOT', '/var/lib/skiff/storage'));
}
