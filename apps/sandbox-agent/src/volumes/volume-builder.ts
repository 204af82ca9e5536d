import { parseQuantity } from '@skiff/api-machinery';
import { promises as fs } from 'node:fs';
import { ConfigObjectSource, DownwardContext } from '../pods/env-resolver';
import { Container, Pod, Volume } from '@skiff/kube-types';
import { ProcessRunner } from '@skiff/host-tools';
import { RootfsMounter } from '../runtime/rootfs.mounter';
import { writeAtomically } from './atomic-writer';
import { isProjectedKind, volumePayload } from './projected-files';
import { isStorageVolume, StorageVolumes } from './storage-volumes';
import { VolumeError } from './volume.error';
import * as path from 'node:path';

export interface VolumeMountSpec {
  source: string;
  destination: string;
  readOnly?: boolean;
}

/**
 * A pod's volumes on the host, under `<root>/<podUid>/<volume>`: emptyDir as a directory (a
 * tmpfs for medium Memory), configMap/secret/downwardAPI/projected as atomically swapped files.
 */
export class PodVolumeBuilder {
  constructor(
    private readonly root: string,
    private readonly runner: ProcessRunner = new ProcessRunner(),
    private readonly mounter: RootfsMounter = new RootfsMounter(runner),
    /** Cloud disks and NAS (PVCs, nfs, flexVolume); without it those volumes are refused. */
    private readonly storage?: StorageVolumes,
  ) {}

  podDir(uid: string): string {
    return path.join(this.root, uid);
  }

  volumeDir(uid: string, name: string): string {
    return path.join(this.podDir(uid), name);
  }

  /** Creates every volume of the pod; idempotent (a second call only refreshes file content). */
  async setUp(pod: Pod, source: ConfigObjectSource, ctx: DownwardContext): Promise<void> {
    const uid = pod.metadata.uid!;
    for (const v of pod.spec.volumes ?? []) {
      const dir = this.volumeDir(uid, v.name);
      if (v.emptyDir) await this.emptyDir(dir, v);
      else if (isProjectedKind(v)) await writeAtomically(dir, await volumePayload(pod, v, source, ctx));
      else if (this.storage && isStorageVolume(v)) await this.storage.setUp(pod, v, dir, source);
      else
        throw new VolumeError(
          'UnsupportedVolume',
          `volume "${v.name}": ${volumeKind(v)} volumes are not supported on this sandbox host`,
        );
    }
  }

  /**
   * Rewrites configMap/secret/downwardAPI/projected volumes whose source changed and grows the file systems of claims
   * that were expanded; resolves the names updated.
   */
  async refresh(pod: Pod, source: ConfigObjectSource, ctx: DownwardContext): Promise<string[]> {
    const updated: string[] = [];
    for (const v of (pod.spec.volumes ?? []).filter(isProjectedKind)) {
      if (await writeAtomically(this.volumeDir(pod.metadata.uid!, v.name), await volumePayload(pod, v, source, ctx)))
        updated.push(v.name);
    }
    for (const v of (pod.spec.volumes ?? []).filter(isStorageVolume))
      if (await this.storage?.resize(pod, v, source)) updated.push(v.name);
    return updated;
  }

  /** The container's volumeMounts as bind mounts; config volumes are always read-only, subPath binds one entry. */
  async mountsFor(pod: Pod, container: Container): Promise<VolumeMountSpec[]> {
    const out: VolumeMountSpec[] = [];
    for (const m of container.volumeMounts ?? []) {
      const v = (pod.spec.volumes ?? []).find((x) => x.name === m.name);
      if (!v) throw new VolumeError('FailedMount', `volumeMount "${m.name}" names no volume of the pod`);
      const dir = this.volumeDir(pod.metadata.uid!, v.name);
      // A disk or NAS volume's directory is a symlink to its mount: the containers bind the real place.
      let source = isStorageVolume(v) ? await fs.realpath(dir) : dir;
      if (m.subPath) {
        if (m.subPath.startsWith('/') || m.subPath.split('/').includes('..'))
          throw new VolumeError('InvalidSubPath', `subPath "${m.subPath}" must be a relative path without ".."`);
        const base = source;
        source = path.join(base, m.subPath);
        if (v.emptyDir || isStorageVolume(v)) await fs.mkdir(source, { recursive: true, mode: 0o777 });
        // Resolve the `..data` symlinks now: the bind must not follow a link that an update replaces.
        source = await fs.realpath(source).catch(() => {
          throw new VolumeError('InvalidSubPath', `subPath "${m.subPath}" does not exist in volume "${v.name}"`);
        });
        if (!source.startsWith(`${base}/`))
          throw new VolumeError('InvalidSubPath', `subPath "${m.subPath}" leaves volume "${v.name}"`);
      }
      out.push({ source, destination: m.mountPath, readOnly: m.readOnly === true || isProjectedKind(v) });
    }
    return out;
  }

  /** Unmounts tmpfs volumes, removes the pod's volume directory and lets go of disks and NAS exports no pod uses now. Idempotent. */
  async tearDown(uid: string): Promise<void> {
    for (const m of await this.mounter.mountsUnder(this.podDir(uid))) await this.mounter.unmount(m);
    const backings = (await this.storage?.backingsOf(this.podDir(uid))) ?? [];
    await fs.rm(this.podDir(uid), { recursive: true, force: true });
    await this.storage?.release(backings, this.root);
  }

  private async emptyDir(dir: string, v: Volume): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    if (v.emptyDir?.medium === 'Memory' && !(await this.mounter.isMounted(dir))) {
      const size = v.emptyDir.sizeLimit !== undefined ? `,size=${Math.ceil(parseQuantity(v.emptyDir.sizeLimit))}` : '';
      await this.runner.run('mount', ['-t', 'tmpfs', '-o', `mode=0777,nosuid,nodev${size}`, 'skiff-emptydir', dir]);
    }
    // kubelet makes emptyDir world-writable so any runAsUser can use it.
    await fs.chmod(dir, 0o777);
  }
}

function volumeKind(v: Volume): string {
  return Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
}
