import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { ProcessRunner, RunOptions, RunResult } from '@skiff/host-tools';
import { ImageStore } from './image-store';
import { BusyboxImageBuilder, TestRegistry } from '@skiff/dev-registry';
import * as path from 'node:path';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('ImageStore integration tests skipped: they need root (umoci unpack keeps file owners)');

class CountingRunner extends ProcessRunner {
  readonly calls: string[] = [];
  override run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    this.calls.push(`${command} ${args.join(' ')}`);
    return super.run(command, args, options);
  }
}

(asRoot ? describe : describe.skip)(ImageStore.name, () => {
  let dir: string;
  let registry: TestRegistry;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'skiff-test-images-'));
    registry = await TestRegistry.start(path.join(dir, 'registry'));
  });

  afterAll(async () => {
    await registry?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const store = (runner: ProcessRunner, root = path.join(dir, 'store')): ImageStore =>
    new ImageStore({ root, mirrors: { 'docker.io': [{ endpoint: registry.endpoint, insecure: true }] } }, runner);

  it('seeding twice pushes once', async () => {
    await expect(new BusyboxImageBuilder().seed({ registry: registry.endpoint, workDir: dir })).resolves.toEqual({
      pushed: false,
      tags: ['latest', '1.36'],
    });
  });

  it('pulls `busybox` through the docker.io mirror once and reuses it', async () => {
    const runner = new CountingRunner();
    const images = store(runner);
    const [a, b] = await Promise.all([
      images.ensure('busybox', 'IfNotPresent'),
      images.ensure('busybox', 'IfNotPresent'),
    ]);
    expect(a).toEqual(b);
    expect(a.imageRef).toBe('docker.io/library/busybox:latest');
    expect(a.imageID).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(a.repoDigest).toMatch(/^docker\.io\/library\/busybox@sha256:/);
    expect(a.config).toMatchObject({ Cmd: ['sh'], Env: [expect.stringMatching(/^PATH=/)] });
    await expect(fs.readlink(path.join(a.rootfs, 'bin', 'sh'))).resolves.toBe('busybox');
    await expect(fs.readFile(path.join(a.rootfs, 'etc', 'passwd'), 'utf8')).resolves.toContain('nobody:x:65534');
    expect(runner.calls.filter((c) => c.startsWith('skopeo copy'))).toHaveLength(1);
    expect(runner.calls.filter((c) => c.startsWith('umoci unpack'))).toHaveLength(1);

    const again = await images.ensure('docker.io/library/busybox:latest', 'IfNotPresent');
    expect(again.rootfs).toBe(a.rootfs);
    expect(runner.calls.filter((c) => c.startsWith('skopeo'))).toHaveLength(2); // inspect + copy, nothing more

    // Always asks the registry for the digest but copies nothing new; the 1.36 alias shares the same rootfs.
    const always = await images.ensure('busybox:1.36', 'Always');
    expect(always.rootfs).toBe(a.rootfs);
    expect(runner.calls.filter((c) => c.startsWith('skopeo copy'))).toHaveLength(1);
    expect(runner.calls.filter((c) => c.startsWith('umoci unpack'))).toHaveLength(1);

    const pinned = await images.ensure(`busybox@${a.repoDigest.split('@')[1]}`, 'Never');
    expect(pinned.imageID).toBe(a.imageID);
  });

  it('Never without the image fails with ErrImageNeverPull', async () => {
    await expect(store(new ProcessRunner(), path.join(dir, 'empty')).ensure('busybox', 'Never')).rejects.toMatchObject({
      code: 'ErrImageNeverPull',
    });
  });

  it('surfaces skopeo’s own error for a missing image', async () => {
    const err = store(new ProcessRunner()).ensure('library/does-not-exist:1', 'IfNotPresent');
    await expect(err).rejects.toMatchObject({
      code: 'ErrImagePull',
      message: expect.stringContaining('manifest unknown'),
    });
  });

  it('passes imagePullSecret credentials as --src-creds', async () => {
    const runner = new CountingRunner();
    const auth = { auths: { [registry.endpoint]: { auth: Buffer.from('user:secret').toString('base64') } } };
    await store(runner, path.join(dir, 'creds')).ensure('busybox', 'Always', auth);
    expect(runner.calls.find((c) => c.startsWith('skopeo copy'))).toContain('--src-creds user:secret');
  });
});
