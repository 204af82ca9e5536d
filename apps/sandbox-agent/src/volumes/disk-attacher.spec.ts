import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ProcessError, ProcessRunner, RunResult } from '@skiff/host-tools';
import { DiskAttacher } from './disk-attacher';
import { MountTable } from './mount-table';

/** Answers `losetup -J -l` with one loop device and fails the growth tool as the host would. */
class GrowthFailingRunner extends ProcessRunner {
  constructor(
    private readonly image: string,
    private readonly failure: ProcessError,
  ) {
    super();
  }
  override async run(command: string, args: readonly string[]): Promise<RunResult> {
    if (command === 'losetup' && args[0] === '-J')
      return {
        code: 0,
        stderr: '',
        stdout: JSON.stringify({ loopdevices: [{ name: '/dev/loop7', 'back-file': this.image }] }),
      };
    if (command === 'resize2fs' || command === 'xfs_growfs') throw this.failure;
    return { code: 0, stdout: '', stderr: '' };
  }
}

describe(DiskAttacher.name, () => {
  let dir: string;
  let image: string;
  const attacherFailing = async (fsType: string, failure: ProcessError) => {
    const staging = path.join(dir, 'staging/d-1');
    const mountinfo = path.join(dir, 'mountinfo');
    await fs.writeFile(mountinfo, `46 27 7:7 / ${staging} rw,relatime - ${fsType} /dev/loop7 rw\n`);
    const options = { dataRoot: path.join(dir, 'storage'), stagingDir: path.join(dir, 'staging') };
    return new DiskAttacher(options, new GrowthFailingRunner(image, failure), new MountTable(mountinfo));
  };

  beforeEach(async () => {
    dir = await fs.realpath(await fs.mkdtemp(path.join(tmpdir(), 'skiff-disk-')));
    image = path.join(dir, 'storage/disks/d-1.img');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('says growing xfs is not supported where xfsprogs is not installed', async () => {
    const attacher = await attacherFailing(
      'xfs',
      new ProcessError('xfs_growfs -d /x', null, 'spawn xfs_growfs ENOENT', ''),
    );
    await expect(attacher.expand('d-1', image)).rejects.toMatchObject({
      code: 'FileSystemResizeFailed',
      message:
        'MountVolume.NodeExpandVolume failed for volume "d-1" : xfs_growfs is not installed: growing xfs is not supported on this host',
    });
  });

  it('says why a mounted ext4 cannot grow without CAP_SYS_RESOURCE, and when it will', async () => {
    const refused = new ProcessError(
      'resize2fs /dev/loop7',
      1,
      'resize2fs 1.47.0 (5-Feb-2023)\nresize2fs: Permission denied to resize filesystem\n',
      '',
    );
    const attacher = await attacherFailing('ext4', refused);
    await expect(attacher.expand('d-1', image)).rejects.toMatchObject({
      code: 'FileSystemResizeFailed',
      message:
        'MountVolume.NodeExpandVolume failed for volume "d-1" : resize2fs /dev/loop7: online growth of ext4 needs CAP_SYS_RESOURCE, which this host lacks; the filesystem grows when the disk is next attached',
    });
  });

  it('lists the disks under its data root only', async () => {
    const attacher = await attacherFailing('ext4', new ProcessError('x', 1, '', ''));
    expect(await attacher.attached()).toEqual([
      {
        diskId: 'd-1',
        imagePath: image,
        device: '/dev/loop7',
        mountPoint: path.join(dir, 'staging/d-1'),
        fsType: 'ext4',
      },
    ]);
    const elsewhere = new DiskAttacher(
      { dataRoot: path.join(dir, 'other'), stagingDir: path.join(dir, 'staging') },
      new GrowthFailingRunner(image, new ProcessError('x', 1, '', '')),
    );
    expect(await elsewhere.attached()).toEqual([]);
  });
});
