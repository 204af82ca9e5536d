import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ProcessRunner } from '@skiff/host-tools';
import { DiskAttacher } from './disk-attacher';
import { MountTable } from './mount-table';

const MiB = 2 ** 20;
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('DiskAttacher integration tests skipped: loop devices and mounts need root');
// Growing a mounted ext4 is the kernel's EXT4_IOC_RESIZE_FS, which wants CAP_SYS_RESOURCE (bit 24).
const capEff = /^CapEff:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
const canGrowExtOnline = ((BigInt(`0x${capEff}`) >> 24n) & 1n) === 1n;
const hasXfsProgs = ['/usr/sbin/mkfs.xfs', '/sbin/mkfs.xfs'].some(existsSync);

(asRoot ? describe : describe.skip)(DiskAttacher.name, () => {
  const runner = new ProcessRunner();
  const mounts = new MountTable();
  let root: string;
  let dataRoot: string;
  let attacher: DiskAttacher;

  const makeImage = async (diskId: string, bytes: number, mkfs = ['mkfs.ext4', '-F', '-q']): Promise<string> => {
    const image = path.join(dataRoot, 'disks', `${diskId}.img`);
    await fs.mkdir(path.dirname(image), { recursive: true });
    await runner.run('truncate', ['-s', String(bytes), image]);
    await runner.run(mkfs[0], [...mkfs.slice(1), image]);
    return image;
  };
  const growImage = (image: string, bytes: number) => runner.run('truncate', ['-s', String(bytes), image]);
  const loopsUnderRoot = async (): Promise<string[]> => {
    const { stdout } = await runner.run('losetup', ['-J', '-l']);
    const loops = stdout.trim()
      ? (JSON.parse(stdout) as { loopdevices: { name: string; 'back-file': string }[] })
      : undefined;
    return (loops?.loopdevices ?? []).filter((l) => l['back-file']?.startsWith(`${root}/`)).map((l) => l.name);
  };
  const mountsUnderRoot = async () => (await mounts.list()).filter((m) => m.mountPoint.startsWith(`${root}/`));
  const loopsOf = async (image: string) =>
    (await runner.run('losetup', ['-j', image])).stdout.split('\n').filter(Boolean).length;
  const sizeOf = async (dir: string) => {
    const st = await fs.statfs(dir);
    return st.blocks * st.bsize;
  };

  beforeAll(async () => {
    root = await fs.mkdtemp('/tmp/skiff-disks-');
    dataRoot = path.join(root, 'storage');
    attacher = new DiskAttacher({ dataRoot, stagingDir: path.join(root, 'staging') }, runner);
  });

  // Whatever a failed test left: every mount under the temp root, then every loop device backing a file under it.
  afterAll(async () => {
    if (!root) return;
    for (const m of (await mountsUnderRoot()).reverse())
      await runner.run('umount', ['-l', m.mountPoint], { allowFailure: true });
    for (const loop of await loopsUnderRoot()) await runner.run('losetup', ['-d', loop], { allowFailure: true });
    if (!(await mountsUnderRoot()).length) await fs.rm(root, { recursive: true, force: true });
  });

  it('attaches an image once: a second attach, or one after an agent restart, finds the same loop device and mount', async () => {
    const image = await makeImage('d-once', 64 * MiB);
    const first = await attacher.attach('d-once', image, 'ext4');
    expect(first).toEqual({
      device: expect.stringMatching(/^\/dev\/loop\d+$/),
      mountPoint: path.join(root, 'staging/d-once'),
    });
    expect(await attacher.attach('d-once', image, 'ext4')).toEqual(first);
    const restarted = new DiskAttacher({ dataRoot, stagingDir: path.join(root, 'staging') }, runner);
    expect(await restarted.attach('d-once', image, 'ext4')).toEqual(first);

    expect(await loopsOf(image)).toBe(1);
    expect((await mounts.list()).filter((m) => m.mountPoint === first.mountPoint)).toEqual([
      { mountPoint: first.mountPoint, fsType: 'ext4', source: first.device },
    ]);
    expect((await restarted.attached()).filter((d) => d.diskId === 'd-once')).toEqual([
      { diskId: 'd-once', imagePath: image, device: first.device, mountPoint: first.mountPoint, fsType: 'ext4' },
    ]);
    await attacher.detach('d-once');
  });

  it('keeps the files across detach and attach; detach is idempotent and leaves no loop device', async () => {
    const image = await makeImage('d-keep', 64 * MiB);
    const { mountPoint } = await attacher.attach('d-keep', image, 'ext4');
    await fs.writeFile(path.join(mountPoint, 'data.txt'), 'kept');

    await attacher.detach('d-keep');
    await attacher.detach('d-keep');
    expect(await loopsOf(image)).toBe(0);
    expect(await mounts.at(mountPoint)).toBeUndefined();
    expect(existsSync(mountPoint)).toBe(false);
    expect((await attacher.attached()).filter((d) => d.diskId === 'd-keep')).toEqual([]);

    await attacher.attach('d-keep', image, 'ext4');
    expect(await fs.readFile(path.join(mountPoint, 'data.txt'), 'utf8')).toBe('kept');
    await attacher.detach('d-keep');
  });

  it('refuses to detach a disk still mounted elsewhere on the host', async () => {
    const image = await makeImage('d-busy', 64 * MiB);
    const { mountPoint } = await attacher.attach('d-busy', image, 'ext4');
    const bind = path.join(root, 'pod-volume');
    await fs.mkdir(bind, { recursive: true });
    await runner.run('mount', ['--bind', mountPoint, bind]);

    await expect(attacher.detach('d-busy')).rejects.toMatchObject({
      code: 'FailedDetachVolume',
      message: expect.stringContaining(
        `the device is in use when it was no longer expected to be in use (mounted at ${bind})`,
      ),
    });
    expect(await mounts.at(mountPoint)).toBeDefined();

    await runner.run('umount', [bind]);
    await attacher.detach('d-busy');
    expect(await loopsOf(image)).toBe(0);
  });

  it(
    canGrowExtOnline
      ? 'grows a mounted ext4 online after its image grew'
      : 'grows ext4 at the next attach where the host cannot grow it online (no CAP_SYS_RESOURCE)',
    async () => {
      const image = await makeImage('d-grow', 64 * MiB);
      const { mountPoint } = await attacher.attach('d-grow', image, 'ext4');
      await fs.writeFile(path.join(mountPoint, 'data.txt'), 'kept');
      const before = await sizeOf(mountPoint);
      expect(before).toBeLessThanOrEqual(64 * MiB);

      await growImage(image, 128 * MiB);
      if (canGrowExtOnline) {
        const grown = await attacher.expand('d-grow', image);
        expect(grown).toBe(await sizeOf(mountPoint));
      } else {
        await expect(attacher.expand('d-grow', image)).rejects.toMatchObject({
          code: 'FileSystemResizeFailed',
          message: expect.stringMatching(
            /^MountVolume.NodeExpandVolume failed for volume "d-grow" : .*CAP_SYS_RESOURCE/,
          ),
        });
        expect(await sizeOf(mountPoint)).toBe(before);
        await attacher.detach('d-grow');
        await attacher.attach('d-grow', image, 'ext4');
      }
      // The 64 MiB more, less the new block groups' own metadata.
      expect(await sizeOf(mountPoint)).toBeGreaterThan(before + 56 * MiB);
      expect(await fs.readFile(path.join(mountPoint, 'data.txt'), 'utf8')).toBe('kept');
      await attacher.detach('d-grow');
    },
  );

  (hasXfsProgs ? it : it.skip)('grows a mounted xfs online (xfs_growfs)', async () => {
    // mkfs.xfs makes nothing under 300 MB.
    const image = await makeImage('d-xfs', 320 * MiB, ['mkfs.xfs', '-f', '-q']);
    const { mountPoint } = await attacher.attach('d-xfs', image, 'xfs');
    const before = await sizeOf(mountPoint);

    await growImage(image, 640 * MiB);
    const grown = await attacher.expand('d-xfs', image);
    expect(grown).toBe(await sizeOf(mountPoint));
    expect(grown).toBeGreaterThan(before + 300 * MiB);
    await attacher.detach('d-xfs');
  });

  it('reports what it cannot do in kubelet words', async () => {
    const missing = path.join(dataRoot, 'disks', 'd-missing.img');
    await expect(attacher.attach('d-missing', missing, 'ext4')).rejects.toMatchObject({
      code: 'FailedAttachVolume',
      message: `AttachVolume.Attach failed for volume "d-missing" : disk d-missing not found (no image ${missing})`,
    });
    await expect(attacher.attach('d-../x', missing, 'ext4')).rejects.toMatchObject({ code: 'FailedAttachVolume' });
    await expect(attacher.expand('d-missing', missing)).rejects.toMatchObject({
      code: 'FileSystemResizeFailed',
      message: 'MountVolume.NodeExpandVolume failed for volume "d-missing" : the disk is not attached to this host',
    });

    const image = await makeImage('d-wrongfs', 64 * MiB);
    await expect(attacher.attach('d-wrongfs', image, 'btrfs')).rejects.toMatchObject({ code: 'FailedMount' });
    await expect(attacher.attach('d-wrongfs', image, 'xfs')).rejects.toMatchObject({
      code: 'FailedMount',
      message: expect.stringMatching(/^MountVolume.MountDevice failed for volume "d-wrongfs" : mount failed: mount/),
    });
    // The loop device stays attached (as a cloud disk stays attached after a failed mount) until detach.
    expect(await loopsOf(image)).toBe(1);
    await attacher.detach('d-wrongfs');
    expect(await loopsOf(image)).toBe(0);
  });

  it('cleanupAll leaves no loop device backing a file under the data root and no mount', async () => {
    const a = await makeImage('d-clean1', 64 * MiB);
    const b = await makeImage('d-clean2', 64 * MiB);
    const { mountPoint } = await attacher.attach('d-clean1', a, 'ext4');
    await attacher.attach('d-clean2', b, 'ext4');
    const bind = path.join(root, 'pod-volume-2');
    await fs.mkdir(bind, { recursive: true });
    await runner.run('mount', ['--bind', mountPoint, bind]);

    const removed = await attacher.cleanupAll();
    expect(removed).toEqual(
      expect.arrayContaining([
        `mount ${bind}`,
        `mount ${mountPoint}`,
        expect.stringMatching(/^loop device .* \(d-clean2\)$/),
      ]),
    );
    expect(await loopsUnderRoot()).toEqual([]);
    expect(await mountsUnderRoot()).toEqual([]);
    expect(await attacher.attached()).toEqual([]);
    expect(await attacher.cleanupAll()).toEqual([]);
  });
});
