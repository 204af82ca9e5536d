import { PersistentVolume, Pod, Volume } from '@skiff/kube-types';
import { claimNameOf, diskOfInlineVolume, diskOfPersistentVolume, DISK_DRIVERS, NAS_DRIVERS } from '@skiff/messaging';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigObjectSource } from '../pods/env-resolver';
import { DiskAttacher } from './disk-attacher';
import { DiskAttachments } from './disk-attachments';
import { NasBackend, NasFileSystemLookup } from './nas-mounter';
import { VolumeError } from './volume.error';

/** storage-svc names each NAS file system's mount target `<nas id>.nas.skiff.local`. */
const NAS_DOMAIN = '.nas.skiff.local';

// Pauses between looks at a disk's VolumeAttachment before its pod is left to the next sandbox retry (~3 s in all).
const ATTACH_POLL_MS = [50, 100, 200, 400, 800, 1500];

/** What a pod volume is backed by on the host: a cloud disk (attached, mounted once) or a NAS export. */
export type StorageSource =
  | { kind: 'disk'; diskId: string; fsType: string }
  | { kind: 'nas'; server: string; path: string; mountOptions?: string[] };

/** The NAS file system a mount target names, by storage-svc's naming (`nas-….nas.skiff.local`). */
export class NamedNasFileSystems extends NasFileSystemLookup {
  async fileSystemId(server: string): Promise<string | undefined> {
    return server.endsWith(NAS_DOMAIN) ? server.slice(0, -NAS_DOMAIN.length) : undefined;
  }
}

export function isStorageVolume(v: Volume): boolean {
  return !!(v.persistentVolumeClaim || v.ephemeral || v.nfs || v.flexVolume || v.csi);
}

/**
 * Cloud disks and NAS in pods: a pod's volume directory becomes a symlink to the disk's staging mount (one per
 * host, as kubelet's NodeStage) or to the NAS directory; the containers bind what it points to. A disk is attached
 * only once storage-svc has attached it to this host, and detached (and its attachment let go) when the last pod on
 * this host using it is gone.
 */
export class StorageVolumes {
  constructor(
    private readonly dataRoot: string,
    private readonly disks: DiskAttacher,
    private readonly nas: NasBackend,
    private readonly attachments: DiskAttachments,
  ) {}

  async setUp(pod: Pod, v: Volume, dir: string, source: ConfigObjectSource): Promise<void> {
    const backing = await this.sourceOf(pod, v, source);
    if (backing.kind === 'disk' && !(await this.waitForAttachment(backing.diskId)))
      throw new VolumeError(
        'FailedMount',
        `Unable to attach or mount volumes: unmounted volumes=[${v.name}], unattached volumes=[${v.name}]: disk ${backing.diskId} is not attached to this host yet`,
      );
    const target =
      backing.kind === 'disk'
        ? (await this.disks.attach(backing.diskId, this.imageOf(backing.diskId), backing.fsType)).mountPoint
        : await this.nas.resolve(backing);
    const current = await fs.readlink(dir).catch(() => undefined);
    if (current === target) return;
    await fs.mkdir(path.dirname(dir), { recursive: true });
    await fs.rm(dir, { force: true });
    await fs.symlink(target, dir);
  }

  /**
   * kubelet's NodeExpandVolume: a claim the resizer grew (condition FileSystemResizePending, its PV already bigger)
   * gets its file system grown on the host that has it mounted, and its status says the new capacity.
   */
  async resize(pod: Pod, v: Volume, source: ConfigObjectSource): Promise<boolean> {
    const name = claimNameOf(pod, v);
    if (!name) return false;
    const claim = await source.claim(pod.metadata.namespace ?? 'default', name);
    if (!claim?.status?.conditions?.some((c) => c.type === 'FileSystemResizePending')) return false;
    const pv = claim.spec.volumeName ? await source.volume(claim.spec.volumeName) : undefined;
    const capacity = pv?.spec.capacity?.storage;
    if (!pv || capacity === undefined) return false;
    const backing = persistentVolumeSource(pv);
    // A NAS has no file system of the claim's to grow.
    if (backing.kind === 'disk') await this.disks.expand(backing.diskId, this.imageOf(backing.diskId));
    await source.claimResized(claim, String(capacity));
    return true;
  }

  /** Where a pod's disk and NAS volume directories lead: disks' staging mounts and NAS directories. */
  async backingsOf(podDir: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of await fs.readdir(podDir).catch(() => [] as string[])) {
      const target = await fs.readlink(path.join(podDir, name)).catch(() => undefined);
      if (target) out.push(target);
    }
    return out;
  }

  /**
   * Lets go of what no pod directory under `volumesRoot` leads to any more: a disk is detached and its attachment
   * released, a NAS export given back to its backend (a real NFS mount is unmounted).
   */
  async release(backings: readonly string[], volumesRoot: string): Promise<void> {
    if (backings.length === 0) return;
    const inUse = new Set<string>();
    for (const pod of await fs.readdir(volumesRoot).catch(() => [] as string[]))
      for (const target of await this.backingsOf(path.join(volumesRoot, pod))) inUse.add(target);
    const attached = await this.disks.attached();
    for (const target of new Set(backings)) {
      if (inUse.has(target)) continue;
      const disk = attached.find((d) => d.mountPoint === target);
      if (disk) {
        await this.disks.detach(disk.diskId);
        await this.attachments.released(disk.diskId);
      } else await this.nas.release(target);
    }
  }

  /**
   * The CSI attacher's WaitForAttach, shortened: storage-svc attaches a disk to this host as it sees the pod bound, in
   * about the time this host takes to get to its volumes; a disk held elsewhere keeps the pod waiting for the next
   * sandbox retry instead.
   */
  private async waitForAttachment(diskId: string): Promise<boolean> {
    for (const ms of ATTACH_POLL_MS) {
      if (await this.attachments.granted(diskId)) return true;
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    return this.attachments.granted(diskId);
  }

  private imageOf(diskId: string): string {
    return path.join(this.dataRoot, 'disks', `${diskId}.img`);
  }

  private async sourceOf(pod: Pod, v: Volume, source: ConfigObjectSource): Promise<StorageSource> {
    const ns = pod.metadata.namespace ?? 'default';
    // A claim: the volume's own, or the one storage-svc made for the pod (ephemeral, dynamic flexvolume disk).
    const name = claimNameOf(pod, v);
    if (name !== undefined) {
      const claim = await source.claim(ns, name);
      if (!claim) throw new VolumeError('FailedMount', `persistentvolumeclaim "${name}" not found`);
      const pvName = claim.spec.volumeName;
      if (claim.status?.phase !== 'Bound' || !pvName)
        throw new VolumeError('FailedMount', `persistentvolumeclaim "${name}" is not bound`);
      const pv = await source.volume(pvName);
      if (!pv) throw new VolumeError('FailedMount', `persistentvolume "${pvName}" not found`);
      return persistentVolumeSource(pv);
    }
    return inlineSource(v);
  }
}

function persistentVolumeSource(pv: PersistentVolume): StorageSource {
  const s = pv.spec ?? {};
  const disk = diskOfPersistentVolume(pv);
  if (disk) return { kind: 'disk', ...disk };
  if (s.csi && NAS_DRIVERS.has(s.csi.driver)) {
    const a = s.csi.volumeAttributes ?? {};
    return { kind: 'nas', server: a.server ?? '', path: a.path ?? '/' };
  }
  if (s.nfs) return { kind: 'nas', server: s.nfs.server, path: s.nfs.path };
  if (s.flexVolume) return flexSource(s.flexVolume.driver, s.flexVolume.options ?? {});
  throw new VolumeError(
    'UnsupportedVolume',
    `persistentvolume "${pv.metadata.name}": its source is not supported on this sandbox host`,
  );
}

function inlineSource(v: Volume): StorageSource {
  const disk = diskOfInlineVolume(v);
  if (disk) return { kind: 'disk', ...disk };
  if (v.nfs) return { kind: 'nas', server: v.nfs.server, path: v.nfs.path };
  if (v.flexVolume) return flexSource(v.flexVolume.driver, v.flexVolume.options ?? {});
  throw new VolumeError(
    'UnsupportedVolume',
    `volume "${v.name}": this kind of volume is not supported on this sandbox host`,
  );
}

// ASK's flexvolumes other than a disk with its volumeId: alicloud/nas (options.server, path, options).
function flexSource(driver: string, options: Record<string, string>): StorageSource {
  if (DISK_DRIVERS.has(driver))
    throw new VolumeError(
      'FailedMount',
      `flexVolume ${driver}: options.volumeId (a disk of storage-svc's) or options.volumeSize (a new disk) is required`,
    );
  if (NAS_DRIVERS.has(driver))
    return {
      kind: 'nas',
      server: options.server ?? '',
      path: options.path ?? '/',
      ...(options.options ? { mountOptions: options.options.split(',') } : {}),
    };
  throw new VolumeError(
    'UnsupportedVolume',
    `flexVolume driver "${driver}" is not supported (alicloud/disk, alicloud/nas are)`,
  );
}
