import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { HostFilesImageBuilder, ImageDefinition, SeedImageOptions } from './host-files-image.builder';

export interface SeedBusyboxOptions extends SeedImageOptions {
  /** Static busybox binary (Debian busybox-static). */
  busybox?: string;
}

/** Builds `library/busybox` from busybox-static with umoci and pushes it with skopeo; a no-op when the tags exist. */
export class BusyboxImageBuilder extends HostFilesImageBuilder<SeedBusyboxOptions> {
  readonly image: ImageDefinition = { repository: 'library/busybox', defaultTags: ['latest', '1.36'], cmd: ['sh'] };

  protected async fillRootfs(rootfs: string, options: SeedBusyboxOptions): Promise<void> {
    const busybox = options.busybox ?? '/bin/busybox';
    await this.writeSkeleton(rootfs);
    await fs.mkdir(path.join(rootfs, 'bin'));
    await fs.copyFile(busybox, path.join(rootfs, 'bin', 'busybox'));
    await fs.chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
    await this.linkBusyboxApplets(busybox, path.join(rootfs, 'bin'));
    // /usr/bin and /sbin resolve to /bin, as on merged-usr images, so absolute paths like /usr/bin/env work.
    await fs.mkdir(path.join(rootfs, 'usr'));
    await fs.symlink('../bin', path.join(rootfs, 'usr', 'bin'));
    await fs.symlink('bin', path.join(rootfs, 'sbin'));
  }
}
