import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '@skiff/api-machinery';
import { ProcessError, ProcessRunner } from '@skiff/host-tools';
import { KeyedMutex } from '../pods/keyed-mutex';
import { isPathUnder, MountTable } from './mount-table';
import { VolumeError } from './volume.error';

export interface DiskAttacherOptions {
  /** SKIFF_STORAGE_ROOT: a cloud disk is the image `<dataRoot>/disks/<d-id>.img`, made and grown by storage-svc. */
  dataRoot: string;
  /** Each attached disk is mounted once per host at `<stagingDir>/<d-id>` (kubelet's global mount); pods bind that. */
  stagingDir: string;
}

export interface AttachedDisk {
  diskId: string;
  /** The backing file, as the loop device names it. */
  imagePath: string;
  /** The loop device, e.g. `/dev/loop3`. */
  device: string;
  /** The staging mount and its filesystem, when the disk is mounted there. */
  mountPoint?: string;
  fsType?: string;
}

export const SUPPORTED_DISK_FS_TYPES = ['ext4', 'ext3', 'ext2', 'xfs'];
const EXT_FS = new Set(['ext4', 'ext3', 'ext2']);
const DISK_ID = /^d-[0-9a-z]+$/;
const IMAGE_NAME = /^(d-[0-9a-z]+)\.img$/;

interface LoopDevice {
  name: string;
  'back-file': string | null;
}

/**
 * The host's side of cloud disks: a disk image behind a loop device, mounted at a staging dir (NodeStage), and grown
 * after storage-svc grew the image (NodeExpandVolume). Calls for one disk run one at a time.
 */
export class DiskAttacher {
  private readonly disksDir: string;
  private readonly stagingDir: string;
  private readonly perDisk = new KeyedMutex();

  constructor(
    options: DiskAttacherOptions,
    private readonly runner: ProcessRunner = new ProcessRunner(),
    private readonly mounts: MountTable = new MountTable(),
  ) {
    this.disksDir = path.join(path.resolve(options.dataRoot), 'disks');
    this.stagingDir = path.resolve(options.stagingDir);
  }

  stagingPath(diskId: string): string {
    return path.join(this.stagingDir, diskId);
  }

  /**
   * Backs the image with a loop device (the one already backing it, if any) and mounts it at the staging dir unless it
   * is mounted there. An ext filesystem smaller than its grown image is grown before it is mounted. Idempotent.
   */
  async attach(diskId: string, imagePath: string, fsType: string): Promise<{ device: string; mountPoint: string }> {
    this.checkImage(diskId, imagePath, 'FailedAttachVolume');
    if (!SUPPORTED_DISK_FS_TYPES.includes(fsType))
      throw new VolumeError(
        'FailedMount',
        `MountVolume.MountDevice failed for volume "${diskId}" : fsType "${fsType}" is not supported (${SUPPORTED_DISK_FS_TYPES.join(', ')})`,
      );
    return this.perDisk.run(diskId, async () => {
      const mountPoint = this.stagingPath(diskId);
      const loops = await this.loopsBacking(diskId, imagePath);
      const staged = await this.mounts.at(mountPoint);
      if (staged && loops.includes(staged.source)) return { device: staged.source, mountPoint };
      if (staged)
        throw new VolumeError(
          'FailedMount',
          `MountVolume.MountDevice failed for volume "${diskId}" : ${mountPoint} is already a mount of ${staged.source}`,
        );
      const device = loops[0] ?? (await this.newLoop(diskId, imagePath));
      if (EXT_FS.has(fsType)) await this.growExtOffline(diskId, device);
      await fs.mkdir(mountPoint, { recursive: true });
      try {
        await this.runner.run('mount', ['-t', fsType, device, mountPoint]);
      } catch (err) {
        throw new VolumeError(
          'FailedMount',
          `MountVolume.MountDevice failed for volume "${diskId}" : mount failed: ${errorMessage(err)}`,
        );
      }
      return { device, mountPoint };
    });
  }

  /**
   * Unmounts the staging dir and frees the loop device. Call it once the last pod using the disk on this host is gone:
   * a mount of the device left elsewhere on the host is an error, not something to pull from under its user. Idempotent.
   */
  async detach(diskId: string): Promise<void> {
    this.checkImage(diskId, this.imagePath(diskId), 'FailedDetachVolume');
    return this.perDisk.run(diskId, async () => {
      const mountPoint = this.stagingPath(diskId);
      const staged = await this.mounts.at(mountPoint);
      if (staged) {
        const elsewhere = (await this.mounts.list())
          .filter((m) => m.source === staged.source && m.mountPoint !== mountPoint)
          .map((m) => m.mountPoint);
        if (elsewhere.length)
          throw new VolumeError(
            'FailedDetachVolume',
            `UnmountDevice failed for volume "${diskId}" : the device is in use when it was no longer expected to be in use (mounted at ${elsewhere.join(', ')})`,
          );
        try {
          await this.runner.run('umount', [mountPoint]);
        } catch (err) {
          throw new VolumeError(
            'FailedDetachVolume',
            `UnmountDevice failed for volume "${diskId}" : ${errorMessage(err)}`,
          );
        }
      }
      // rmdir, never rm -r: were the unmount undone behind our back, the disk's files would be under it.
      await fs.rmdir(mountPoint).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      for (const disk of (await this.attached()).filter((d) => d.diskId === diskId)) {
        try {
          await this.runner.run('losetup', ['-d', disk.device]);
        } catch (err) {
          throw new VolumeError(
            'FailedDetachVolume',
            `DetachVolume.Detach failed for volume "${diskId}" : ${errorMessage(err)}`,
          );
        }
      }
    });
  }

  /**
   * Grows the mounted filesystem to the image, which storage-svc has grown (`truncate -s`): the loop device takes the
   * new capacity, then ext is grown by resize2fs and xfs by xfs_growfs while mounted. Resolves the filesystem's size
   * in bytes (statfs, what `df` shows).
   */
  async expand(diskId: string, imagePath: string): Promise<number> {
    this.checkImage(diskId, imagePath, 'FileSystemResizeFailed');
    const failed = (why: string) =>
      new VolumeError('FileSystemResizeFailed', `MountVolume.NodeExpandVolume failed for volume "${diskId}" : ${why}`);
    return this.perDisk.run(diskId, async () => {
      const disk = (await this.attached()).find((d) => d.diskId === diskId && d.mountPoint);
      if (!disk?.mountPoint || !disk.fsType) throw failed('the disk is not attached to this host');
      try {
        await this.runner.run('losetup', ['-c', disk.device]);
        if (EXT_FS.has(disk.fsType)) await this.runner.run('resize2fs', [disk.device]);
        else if (disk.fsType === 'xfs') await this.runner.run('xfs_growfs', ['-d', disk.mountPoint]);
        else throw failed(`growing ${disk.fsType} is not supported`);
      } catch (err) {
        if (!(err instanceof ProcessError)) throw err;
        if (err.code === null && err.stderr.includes('ENOENT'))
          throw failed(
            `${err.command.split(' ')[0]} is not installed: growing ${disk.fsType} is not supported on this host`,
          );
        // The kernel grows a mounted ext filesystem only for a caller with CAP_SYS_RESOURCE; xfs needs CAP_SYS_ADMIN.
        if (err.stderr.includes('Permission denied to resize'))
          throw failed(
            `${err.command}: online growth of ${disk.fsType} needs CAP_SYS_RESOURCE, which this host lacks; the filesystem grows when the disk is next attached`,
          );
        throw failed(errorMessage(err));
      }
      const st = await fs.statfs(disk.mountPoint);
      return st.blocks * st.bsize;
    });
  }

  /** The disks under the data root that loop devices back on this host, with their staging mounts. */
  async attached(): Promise<AttachedDisk[]> {
    const disksDir = await fs.realpath(this.disksDir).catch(() => this.disksDir);
    const mounts = await this.mounts.list();
    const out: AttachedDisk[] = [];
    for (const loop of await this.loopDevices()) {
      // A backing file removed while attached reads "<path> (deleted)".
      const imagePath = (loop['back-file'] ?? '').replace(/ \(deleted\)$/, '');
      const diskId = IMAGE_NAME.exec(path.basename(imagePath))?.[1];
      if (!diskId || path.dirname(imagePath) !== disksDir) continue;
      const staged = mounts.filter((m) => m.mountPoint === this.stagingPath(diskId) && m.source === loop.name).pop();
      out.push({ diskId, imagePath, device: loop.name, mountPoint: staged?.mountPoint, fsType: staged?.fsType });
    }
    return out.sort((a, b) => a.diskId.localeCompare(b.diskId) || a.device.localeCompare(b.device));
  }

  /** Unmounts every mount of a disk under the data root and every staging mount, then frees the loop devices. */
  async cleanupAll(): Promise<string[]> {
    const removed: string[] = [];
    const disks = await this.attached();
    const devices = new Set(disks.map((d) => d.device));
    // Latest first: a mount stacked or nested on another goes before it.
    const mounts = (await this.mounts.list())
      .filter((m) => devices.has(m.source) || isPathUnder(m.mountPoint, this.stagingDir))
      .reverse();
    for (const m of mounts) {
      const r = await this.runner.run('umount', [m.mountPoint], { allowFailure: true });
      if (r.code !== 0) await this.runner.run('umount', ['-l', m.mountPoint], { allowFailure: true });
      removed.push(`mount ${m.mountPoint}`);
    }
    for (const d of disks) {
      await this.runner.run('losetup', ['-d', d.device], { allowFailure: true });
      removed.push(`loop device ${d.device} (${d.diskId})`);
    }
    const staging = await fs.readdir(this.stagingDir).catch(() => []);
    for (const name of staging) await fs.rmdir(path.join(this.stagingDir, name)).catch(() => undefined);
    return removed;
  }

  private imagePath(diskId: string): string {
    return path.join(this.disksDir, `${diskId}.img`);
  }

  private checkImage(diskId: string, imagePath: string, code: VolumeError['code']): void {
    if (!DISK_ID.test(diskId)) throw new VolumeError(code, `"${diskId}" is not a disk id (d-…)`);
    if (path.resolve(imagePath) !== this.imagePath(diskId))
      throw new VolumeError(code, `disk "${diskId}": ${imagePath} is not its image ${this.imagePath(diskId)}`);
  }

  private async loopsBacking(diskId: string, imagePath: string): Promise<string[]> {
    await fs.access(imagePath).catch(() => {
      throw new VolumeError(
        'FailedAttachVolume',
        `AttachVolume.Attach failed for volume "${diskId}" : disk ${diskId} not found (no image ${imagePath})`,
      );
    });
    // `-j` matches the file's inode, so a loop device set up before an agent restart is found and reused.
    const { stdout } = await this.runner.run('losetup', ['-j', imagePath, '-l', '-n', '-O', 'NAME']);
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  private async newLoop(diskId: string, imagePath: string): Promise<string> {
    try {
      return (await this.runner.run('losetup', ['--find', '--show', imagePath])).stdout.trim();
    } catch (err) {
      throw new VolumeError(
        'FailedAttachVolume',
        `AttachVolume.Attach failed for volume "${diskId}" : ${errorMessage(err)}`,
      );
    }
  }

  /** NodeStage's growth of a disk grown while not mounted: resize2fs on the unmounted device needs no privilege. */
  private async growExtOffline(diskId: string, device: string): Promise<void> {
    try {
      await this.runner.run('losetup', ['-c', device]);
      const header = (await this.runner.run('dumpe2fs', ['-h', device])).stdout;
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(header)?.[1]);
      const blockSize = field('Block size');
      const deviceBytes = Number((await this.runner.run('blockdev', ['--getsize64', device])).stdout.trim());
      if (deviceBytes - field('Block count') * blockSize < blockSize) return;
      // resize2fs wants a freshly checked filesystem; e2fsck exits 1 or 2 when it fixed something, 4 and up on failure.
      const fsck = await this.runner.run('e2fsck', ['-f', '-p', device], { allowFailure: true });
      if (fsck.code >= 4)
        throw new Error(`e2fsck ${device} exited ${fsck.code}: ${fsck.stdout.trim()} ${fsck.stderr.trim()}`);
      await this.runner.run('resize2fs', [device]);
    } catch (err) {
      throw new VolumeError(
        'FailedMount',
        `MountVolume.MountDevice failed for volume "${diskId}" : growing the filesystem: ${errorMessage(err)}`,
      );
    }
  }

  private async loopDevices(): Promise<LoopDevice[]> {
    const { stdout } = await this.runner.run('losetup', ['-J', '-l']);
    // No loop device at all prints nothing on some versions.
    return stdout.trim() ? (JSON.parse(stdout) as { loopdevices: LoopDevice[] }).loopdevices : [];
  }
}
