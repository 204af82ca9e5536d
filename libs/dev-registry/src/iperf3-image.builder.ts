import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { HostFilesImageBuilder, ImageDefinition, SeedImageOptions } from './host-files-image.builder';

export interface SeedIperf3Options extends SeedImageOptions {
  /** Dynamically linked iperf3 (Debian iperf3); its libraries come from `ldd`. */
  iperf3?: string;
  /** Static busybox binary (Debian busybox-static), so that `sh` works in the container for debugging. */
  busybox?: string;
}

/**
 * Builds `networkstatic/iperf3` (the usual Docker Hub name) from the host's iperf3, the shared libraries `ldd` lists
 * and busybox, at their host paths; starts `iperf3 -s` by default.
 */
export class Iperf3ImageBuilder extends HostFilesImageBuilder<SeedIperf3Options> {
  readonly image: ImageDefinition = {
    repository: 'networkstatic/iperf3',
    defaultTags: ['latest'],
    entrypoint: ['iperf3'],
    cmd: ['-s'],
  };

  protected async fillRootfs(rootfs: string, options: SeedIperf3Options): Promise<void> {
    const iperf3 = options.iperf3 ?? '/usr/bin/iperf3';
    const busybox = options.busybox ?? '/bin/busybox';
    await this.writeSkeleton(rootfs);
    for (const file of [iperf3, ...(await this.sharedLibraries(iperf3)), busybox])
      await this.copyFromHost(rootfs, file);
    // Applets go beside the copied file (its host real path), never through a link that might point out of rootfs.
    await this.linkBusyboxApplets(busybox, path.join(rootfs, path.dirname(await fs.realpath(busybox))));
  }

  /** Absolute paths `ldd` resolves, the dynamic loader included; vDSO lines have none. */
  private async sharedLibraries(binary: string): Promise<string[]> {
    const { stdout } = await this.runner.run('ldd', [binary]);
    const missing = stdout
      .split('\n')
      .filter((line) => line.includes('=> not found'))
      .map((line) => line.trim());
    if (missing.length) throw new Error(`${binary} needs libraries this host lacks: ${missing.join(', ')}`);
    return [...stdout.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((m) => m[1]);
  }
}
