import { promises as fs } from 'node:fs';
import { ProcessRunner } from '@skiff/host-tools';
import { RuntimeError } from './runtime.error';
import * as path from 'node:path';
import { errorMessage } from '@skiff/api-machinery';

/** Overlay rootfs per container over the shared read-only image rootfs, and the per-pod /dev/shm tmpfs. */
export class RootfsMounter {
  constructor(private readonly runner: ProcessRunner = new ProcessRunner()) {}

  /** Mounts `<dir>/rootfs` = lower (image) + `<dir>/upper`; idempotent. Returns the merged path. */
  async mountOverlay(lowerdir: string, dir: string): Promise<string> {
    const merged = path.join(dir, 'rootfs');
    if (await this.isMounted(merged)) return merged;
    for (const d of ['upper', 'work', 'rootfs']) await fs.mkdir(path.join(dir, d), { recursive: true });
    // The source name "skiff-overlay" is what `mount | grep skiff` and cleanup find.
    const opts = `lowerdir=${lowerdir},upperdir=${path.join(dir, 'upper')},workdir=${path.join(dir, 'work')}`;
    await this.mount(['-t', 'overlay', 'skiff-overlay', '-o', opts, merged]);
    return merged;
  }

  /** A tmpfs for the pod's /dev/shm, shared by its containers like the pause's /dev/shm is under dockershim. */
  async mountShm(target: string, sizeBytes = 64 * 2 ** 20): Promise<string> {
    if (await this.isMounted(target)) return target;
    await fs.mkdir(target, { recursive: true });
    await this.mount(['-t', 'tmpfs', 'skiff-shm', '-o', `mode=1777,nosuid,nodev,noexec,size=${sizeBytes}`, target]);
    return target;
  }

  /** Unmounts if mounted; falls back to a lazy unmount when something still holds it. */
  async unmount(target: string): Promise<void> {
    if (!(await this.isMounted(target))) return;
    const r = await this.runner.run('umount', [target], { allowFailure: true });
    if (r.code !== 0 && (await this.isMounted(target))) await this.runner.run('umount', ['-l', target]);
  }

  async isMounted(target: string): Promise<boolean> {
    const real = path.resolve(target);
    return (await this.mountPoints()).includes(real);
  }

  /** Mount points under a directory, deepest first (for cleanup). */
  async mountsUnder(dir: string): Promise<string[]> {
    const root = path.resolve(dir);
    return (await this.mountPoints())
      .filter((m) => m === root || m.startsWith(`${root}/`))
      .sort((a, b) => b.length - a.length);
  }

  private async mountPoints(): Promise<string[]> {
    const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
    // Field 5 is the mount point, with spaces and the like octal-escaped.
    return info
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }

  private async mount(args: string[]): Promise<void> {
    try {
      await this.runner.run('mount', args);
    } catch (err) {
      throw new RuntimeError('MountFailed', errorMessage(err));
    }
  }
}
