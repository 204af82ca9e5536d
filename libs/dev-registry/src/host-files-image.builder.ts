import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ProcessRunner } from '@skiff/host-tools';

export interface SeedImageOptions {
  /** Registry to push to, host:port on loopback. */
  registry: string;
  /** Scratch directory for the OCI layout and bundle; removed afterwards. */
  workDir: string;
  tags?: string[];
  /** Rebuild and push even if every tag already exists. */
  force?: boolean;
}

export interface SeedResult {
  pushed: boolean;
  tags: string[];
}

/** The name an image is pushed under and how it starts. */
export interface ImageDefinition {
  /** Repository on the registry, as Docker Hub spells it (`library/busybox`). */
  repository: string;
  defaultTags: string[];
  entrypoint?: string[];
  cmd: string[];
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Linux's own limit on symlinks followed while resolving one path.
const MAX_SYMLINK_HOPS = 40;

/**
 * Builds an image from files of this host with umoci and pushes it with skopeo; a no-op when every tag exists.
 * Subclasses say what the image is and fill its rootfs.
 */
export abstract class HostFilesImageBuilder<O extends SeedImageOptions = SeedImageOptions> {
  abstract readonly image: ImageDefinition;

  constructor(protected readonly runner: ProcessRunner = new ProcessRunner()) {}

  protected abstract fillRootfs(rootfs: string, options: O): Promise<void>;

  async seed(options: O): Promise<SeedResult> {
    const tags = options.tags ?? this.image.defaultTags;
    const repo = `docker://${options.registry}/${this.image.repository}`;
    if (!options.force && (await this.allPresent(repo, tags))) return { pushed: false, tags };
    const name = this.image.repository.replace(/\//g, '-');
    const work = path.join(options.workDir, `${name}-build-${process.pid}-${Date.now()}`);
    await fs.mkdir(work, { recursive: true });
    try {
      const layout = path.join(work, 'oci');
      const bundle = path.join(work, 'bundle');
      await this.runner.run('umoci', ['init', '--layout', layout]);
      await this.runner.run('umoci', ['new', '--image', `${layout}:build`]);
      await this.runner.run('umoci', ['unpack', '--image', `${layout}:build`, bundle]);
      await this.fillRootfs(path.join(bundle, 'rootfs'), options);
      await this.runner.run('umoci', ['repack', '--image', `${layout}:build`, bundle]);
      await this.runner.run('umoci', [
        'config',
        '--image',
        `${layout}:build`,
        // `=` so that values starting with `-` (iperf3's `-s`) are not taken for flags.
        ...(this.image.entrypoint ?? []).map((arg) => `--config.entrypoint=${arg}`),
        ...this.image.cmd.map((arg) => `--config.cmd=${arg}`),
        '--config.env',
        PATH_ENV,
        '--config.workingdir',
        '/',
        '--architecture',
        'amd64',
        '--os',
        'linux',
      ]);
      for (const tag of tags) {
        // --dest-tls-verify=false: the local registry speaks plain HTTP.
        await this.runner.run('skopeo', [
          'copy',
          '--quiet',
          '--dest-tls-verify=false',
          `oci:${layout}:build`,
          `${repo}:${tag}`,
        ]);
      }
      return { pushed: true, tags };
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  /** The directories and account files every seeded image has; `/tmp` is world-writable and sticky. */
  protected async writeSkeleton(rootfs: string): Promise<void> {
    for (const dir of ['etc', 'root', 'tmp', 'var', 'home', 'proc', 'sys', 'dev'])
      await fs.mkdir(path.join(rootfs, dir), { recursive: true });
    await fs.chmod(path.join(rootfs, 'tmp'), 0o1777);
    await fs.writeFile(
      path.join(rootfs, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
    );
    await fs.writeFile(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    await fs.writeFile(path.join(rootfs, 'etc', 'hosts'), '127.0.0.1\tlocalhost\n');
  }

  /** One `<applet> -> busybox` symlink per applet in `binDir`, which holds the busybox binary; existing names win. */
  protected async linkBusyboxApplets(busybox: string, binDir: string): Promise<void> {
    const { stdout } = await this.runner.run(busybox, ['--list']);
    for (const applet of stdout.split('\n').map((s) => s.trim())) {
      if (!applet || applet === 'busybox' || applet.includes('/')) continue;
      await symlinkOnce('busybox', path.join(binDir, applet));
    }
  }

  /**
   * Copies a host file to the same path in `rootfs`, recreating every symlink met on the way (`/lib -> usr/lib`,
   * `libfoo.so.1 -> libfoo.so.1.2`) so that the path and the one it points at both work inside the image.
   */
  protected async copyFromHost(rootfs: string, hostPath: string, hops = 0): Promise<void> {
    if (hops > MAX_SYMLINK_HOPS) throw new Error(`${hostPath}: too many levels of symbolic links`);
    const parts = path.resolve(hostPath).split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const host = `/${parts.slice(0, i).join('/')}`;
      const inImage = path.join(rootfs, host);
      const stat = await fs.lstat(host);
      if (stat.isSymbolicLink()) {
        // Stop at the first link: the rest is copied under its target, so nothing is ever written through a link.
        const target = await fs.readlink(host);
        await symlinkOnce(target, inImage);
        const resolved = path.resolve(path.dirname(host), target);
        return this.copyFromHost(rootfs, path.join(resolved, ...parts.slice(i)), hops + 1);
      }
      if (stat.isDirectory()) await fs.mkdir(inImage, { recursive: true });
      else if (i === parts.length) {
        await fs.copyFile(host, inImage);
        await fs.chmod(inImage, stat.mode & 0o7777);
      } else throw new Error(`${host} is not a directory`);
    }
  }

  private async allPresent(repo: string, tags: string[]): Promise<boolean> {
    for (const tag of tags) {
      const r = await this.runner.run('skopeo', ['inspect', '--raw', '--tls-verify=false', `${repo}:${tag}`], {
        allowFailure: true,
        timeoutMs: 15_000,
      });
      if (r.code !== 0) return false;
    }
    return true;
  }
}

async function symlinkOnce(target: string, at: string): Promise<void> {
  await fs.symlink(target, at).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
}
