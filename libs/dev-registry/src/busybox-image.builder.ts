import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ProcessRunner } from '@skiff/host-tools';

export interface SeedBusyboxOptions {
  /** Registry to push to, host:port on loopback. */
  registry: string;
  /** Scratch directory for the OCI layout and bundle; removed afterwards. */
  workDir: string;
  /** Static busybox binary (Debian busybox-static). */
  busybox?: string;
  tags?: string[];
  /** Rebuild and push even if every tag already exists. */
  force?: boolean;
}

export interface SeedResult {
  pushed: boolean;
  tags: string[];
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Builds `library/busybox` from busybox-static with umoci and pushes it with skopeo; a no-op when the tags exist. */
export class BusyboxImageBuilder {
  constructor(private readonly runner: ProcessRunner = new ProcessRunner()) {}

  async seed(options: SeedBusyboxOptions): Promise<SeedResult> {
    const tags = options.tags ?? ['latest', '1.36'];
    const repo = `docker://${options.registry}/library/busybox`;
    if (!options.force && (await this.allPresent(repo, tags))) return { pushed: false, tags };
    const work = path.join(options.workDir, `busybox-build-${process.pid}-${Date.now()}`);
    await fs.mkdir(work, { recursive: true });
    try {
      const layout = path.join(work, 'oci');
      const bundle = path.join(work, 'bundle');
      await this.runner.run('umoci', ['init', '--layout', layout]);
      await this.runner.run('umoci', ['new', '--image', `${layout}:build`]);
      await this.runner.run('umoci', ['unpack', '--image', `${layout}:build`, bundle]);
      await this.fillRootfs(path.join(bundle, 'rootfs'), options.busybox ?? '/bin/busybox');
      await this.runner.run('umoci', ['repack', '--image', `${layout}:build`, bundle]);
      await this.runner.run('umoci', [
        'config',
        '--image',
        `${layout}:build`,
        '--config.cmd',
        'sh',
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

  private async fillRootfs(rootfs: string, busybox: string): Promise<void> {
    for (const dir of ['bin', 'etc', 'root', 'tmp', 'var', 'home', 'proc', 'sys', 'dev'])
      await fs.mkdir(path.join(rootfs, dir), { recursive: true });
    await fs.chmod(path.join(rootfs, 'tmp'), 0o1777);
    await fs.copyFile(busybox, path.join(rootfs, 'bin', 'busybox'));
    await fs.chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
    const { stdout } = await this.runner.run(busybox, ['--list']);
    for (const applet of stdout.split('\n').map((s) => s.trim())) {
      if (!applet || applet === 'busybox' || applet.includes('/')) continue;
      await fs.symlink('busybox', path.join(rootfs, 'bin', applet)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    }
    // /usr/bin and /sbin resolve to /bin, as on merged-usr images, so absolute paths like /usr/bin/env work.
    await fs.mkdir(path.join(rootfs, 'usr'), { recursive: true });
    await fs.symlink('../bin', path.join(rootfs, 'usr', 'bin'));
    await fs.symlink('bin', path.join(rootfs, 'sbin'));
    await fs.writeFile(
      path.join(rootfs, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
    );
    await fs.writeFile(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    await fs.writeFile(path.join(rootfs, 'etc', 'hosts'), '127.0.0.1\tlocalhost\n');
  }
}
