import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ProcessRunner } from '@skiff/host-tools';
import { HostToolImageBuilder, IPERF3_IMAGE } from './host-tool-image.builder';
import { TestRegistry } from './test-registry';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('HostToolImageBuilder integration tests skipped: they need root (umoci unpack, chroot)');

interface ImageConfig {
  config: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[] };
}

(asRoot ? describe : describe.skip)(`${HostToolImageBuilder.name} (iperf3)`, () => {
  const runner = new ProcessRunner();
  let dir: string;
  let registry: TestRegistry;
  let image: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'skiff-test-iperf3-'));
    registry = await TestRegistry.start(path.join(dir, 'registry'));
    image = `${registry.endpoint}/networkstatic/iperf3:latest`;
  });

  afterAll(async () => {
    await registry?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const imageConfig = async (): Promise<ImageConfig> => {
    const { stdout } = await runner.run('skopeo', ['inspect', '--config', '--tls-verify=false', `docker://${image}`]);
    return JSON.parse(stdout) as ImageConfig;
  };

  it('is seeded by the test registry, and seeding again pushes nothing', async () => {
    await expect(
      new HostToolImageBuilder(IPERF3_IMAGE).seed({ registry: registry.endpoint, workDir: dir }),
    ).resolves.toEqual({
      pushed: false,
      tags: ['latest'],
    });
  });

  it('starts `iperf3 -s`', async () => {
    const { config } = await imageConfig();
    expect(config.Entrypoint).toEqual(['iperf3']);
    expect(config.Cmd).toEqual(['-s']);
    expect(config.Env).toEqual([expect.stringMatching(/^PATH=.*\/usr\/bin/)]);
  });

  it('runs iperf3 and a busybox shell from its own rootfs alone', async () => {
    const layout = path.join(dir, 'oci');
    const bundle = path.join(dir, 'bundle');
    await runner.run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${image}`, `oci:${layout}:t`]);
    await runner.run('umoci', ['unpack', '--image', `${layout}:t`, bundle]);
    const rootfs = path.join(bundle, 'rootfs');
    const { config } = await imageConfig();
    // The image's entrypoint and PATH, not the host's: the loader and every library must come from the rootfs.
    const env = { PATH: (config.Env ?? [])[0].slice('PATH='.length) };
    const version = await runner.run('chroot', [rootfs, ...(config.Entrypoint ?? []), '--version'], { env });
    expect(version.stdout).toMatch(/^iperf 3\.\d+/);
    const shell = await runner.run('chroot', [rootfs, 'sh', '-c', 'echo $((6 * 7)) > /tmp/x && cat /tmp/x'], { env });
    expect(shell.stdout.trim()).toBe('42');
    await expect(fs.readFile(path.join(rootfs, 'etc', 'passwd'), 'utf8')).resolves.toMatch(/^root:x:0:0:/);
  });
});
