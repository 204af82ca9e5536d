import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified'];

/** cgroup v1 paths as runc resolves a relative cgroupsPath: under the cgroup of the process that runs runc. */
export class CgroupV1 {
  constructor(
    private readonly mountRoot = '/sys/fs/cgroup',
    private readonly selfCgroupFile = '/proc/self/cgroup',
  ) {}

  /** Directory of `relative` (e.g. `skiff/<pod>/<container>`) in one controller hierarchy. */
  async dir(controller: string, relative: string): Promise<string> {
    return path.join(await this.root(controller), relative);
  }

  /** This process's own cgroup in one controller hierarchy: what relative paths are resolved against. */
  async root(controller: string): Promise<string> {
    return path.join(this.mountRoot, controller, await this.ownPath(controller));
  }

  /** Times the kernel OOM killer fired in the cgroup (memory.oom_control `oom_kill`), 0 when it is gone. */
  async oomKills(relative: string): Promise<number> {
    try {
      const text = await fs.readFile(path.join(await this.dir('memory', relative), 'memory.oom_control'), 'utf8');
      return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** Removes `relative` and everything below it in all hierarchies (leaves first); processes must be gone. */
  async remove(relative: string): Promise<void> {
    for (const controller of CONTROLLERS) {
      const top = await this.dir(controller, relative);
      for (const d of await subdirsDeepestFirst(top)) await fs.rmdir(d).catch(() => undefined);
    }
  }

  /** rmdir only: succeeds when empty, leaves a cgroup that another pod still uses. */
  async removeIfEmpty(relative: string): Promise<void> {
    for (const controller of CONTROLLERS) await fs.rmdir(await this.dir(controller, relative)).catch(() => undefined);
  }

  async exists(relative: string): Promise<boolean> {
    for (const controller of CONTROLLERS) {
      try {
        await fs.access(await this.dir(controller, relative));
        return true;
      } catch {
        // next
      }
    }
    return false;
  }

  // The harness (or systemd) may have put this process in a memory cgroup of its own; runc nests under it.
  private async ownPath(controller: string): Promise<string> {
    const lines = (await fs.readFile(this.selfCgroupFile, 'utf8')).split('\n');
    for (const line of lines) {
      const [, names, p] = line.split(':');
      if (names === undefined) continue;
      const list = names.split(',');
      if (
        list.includes(controller) ||
        list.includes(`name=${controller}`) ||
        (controller === 'unified' && names === '')
      )
        return p ?? '/';
    }
    return '/';
  }
}

async function subdirsDeepestFirst(top: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) await walk(path.join(d, e.name));
    out.push(d);
  };
  await walk(top);
  return out;
}
