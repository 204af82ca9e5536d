import { ProcessRunner } from '@skiff/host-tools';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export type DiskFsType = 'ext4' | 'xfs';

/**
 * Cloud disks on the host: `<dataRoot>/disks/<d-id>.img`, sparse image files formatted at creation. The sandbox
 * agents attach them as loop devices; growing a file here is the disk's expansion (the agent grows the filesystem).
 */
export class DiskImages {
  constructor(
    private readonly dataRoot: string,
    private readonly runner: ProcessRunner = new ProcessRunner(),
  ) {}

  pathOf(diskId: string): string {
    return path.join(this.dataRoot, 'disks', `${diskId}.img`);
  }

  /** Makes and formats the image; a finished one is kept (a retry after a crash makes it again if half-made). */
  async create(diskId: string, bytes: number, fsType: DiskFsType): Promise<void> {
    const file = this.pathOf(diskId);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.new`;
    const handle = await fs.open(partial, 'w', 0o600);
    try {
      await handle.truncate(bytes);
    } finally {
      await handle.close();
    }
    if (fsType === 'xfs') await this.runner.run('mkfs.xfs', ['-q', '-f', partial]);
    else await this.runner.run('mkfs.ext4', ['-q', '-F', '-m', '0', partial]);
    await fs.rename(partial, file);
  }

  /** Grows the image file (never shrinks it). */
  async grow(diskId: string, bytes: number): Promise<void> {
    const file = this.pathOf(diskId);
    const { size } = await fs.stat(file);
    if (bytes > size) await fs.truncate(file, bytes);
  }

  async remove(diskId: string): Promise<void> {
    await fs.rm(this.pathOf(diskId), { force: true });
    await fs.rm(`${this.pathOf(diskId)}.new`, { force: true });
  }
}
