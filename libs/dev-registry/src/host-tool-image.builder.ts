import { ProcessRunner } from '@skiff/host-tools';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { HostFilesImageBuilder, ImageDefinition, SeedImageOptions } from './host-files-image.builder';

export interface SeedHostToolOptions extends SeedImageOptions {
  /** Static busybox binary (Debian busybox-static), so that `sh` works in the container for debugging. */
  busybox?: string;
}

/** A Debian tool packed as an image: its dynamically linked binary (libraries from `ldd`) and how it starts. */
export interface HostTool extends ImageDefinition {
  binary: string;
}

/** iperf3 as the usual Docker Hub image, `iperf3 -s` by default (the EIP bandwidth tests). */
export const IPERF3_IMAGE: HostTool = {
  repository: 'networkstatic/iperf3',
  defaultTags: ['latest'],
  entrypoint: ['iperf3'],
  cmd: ['-s'],
  binary: '/usr/bin/iperf3',
};

/** fio for the storage benchmark, which seeds it itself (with its libraries it is large for every test run). */
export const FIO_IMAGE: HostTool = {
  repository: 'skiff/fio',
  defaultTags: ['latest'],
  entrypoint: ['fio'],
  cmd: ['--version'],
  binary: '/usr/bin/fio',
};

/** Builds an image from a host tool, the shared libraries `ldd` lists and busybox, at their host paths. */
export class HostToolImageBuilder extends HostFilesImageBuilder<SeedHostToolOptions> {
  readonly image: ImageDefinition;

  constructor(
    private readonly tool: HostTool,
    runner?: ProcessRunner,
  ) {
    super(runner);
    const { binary: _binary, ...image } = tool;
    this.image = image;
  }

  protected async fillRootfs(rootfs: string, options: SeedHostToolOptions): Promise<void> {
    const busybox = options.busybox ?? '/bin/busybox';
    await this.writeSkeleton(rootfs);
    for (const file of [this.tool.binary, ...(await this.sharedLibraries(this.tool.binary)), busybox])
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
