import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CgroupV1 } from './cgroup-v1';

export interface FakeUsage {
  cpuNs: number;
  usageBytes: number;
  inactiveFileBytes: number;
  rssBytes: number;
}

/** A cgroup v1 mount in a temp dir, with this "process" in `/agent` of the cpuacct and memory hierarchies. */
export class FakeCgroupTree {
  readonly root = mkdtempSync(path.join(tmpdir(), 'skiff-test-cgroups-'));
  readonly cgroups: CgroupV1;

  constructor() {
    const self = path.join(this.root, 'self-cgroup');
    writeFileSync(self, '4:memory:/agent\n2:cpuacct:/agent\n1:cpu:/agent\n0::/\n');
    this.cgroups = new CgroupV1(this.root, self);
  }

  dir(controller: 'cpuacct' | 'memory', relative: string): string {
    return path.join(this.root, controller, 'agent', relative);
  }

  set(relative: string, u: FakeUsage): void {
    this.write('cpuacct', relative, 'cpuacct.usage', `${u.cpuNs}\n`);
    this.write('memory', relative, 'memory.usage_in_bytes', `${u.usageBytes}\n`);
    this.write(
      'memory',
      relative,
      'memory.stat',
      `cache 0\nrss 0\ninactive_file 0\ntotal_cache ${u.inactiveFileBytes}\ntotal_rss ${u.rssBytes}\n` +
        `total_inactive_file ${u.inactiveFileBytes}\ntotal_active_file 0\n`,
    );
  }

  write(controller: 'cpuacct' | 'memory', relative: string, file: string, text: string): void {
    mkdirSync(this.dir(controller, relative), { recursive: true });
    writeFileSync(path.join(this.dir(controller, relative), file), text);
  }

  remove(relative: string): void {
    for (const c of ['cpuacct', 'memory'] as const) rmSync(this.dir(c, relative), { recursive: true, force: true });
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
