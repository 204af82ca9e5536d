import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, promises as fs, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import { runCommand } from '@skiff/testing';
import { mustRun } from './host-command';
import { errorMessage } from '@skiff/api-machinery';

export type BareRuntime = 'runc' | 'runsc';

const BINARIES: Record<BareRuntime, string> = { runc: '/usr/sbin/runc', runsc: '/usr/bin/runsc' };
const CGROUP_ROOT = '/sys/fs/cgroup';
// What the pods run, so both sides start the same process tree.
export const IDLE_COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

/** What one bare start cost, or why it failed. */
export interface BareStart {
  name: string;
  ms: number;
  error?: string;
}

interface OciSpec {
  process: { args: string[]; terminal: boolean; [k: string]: unknown };
  root: { path: string; readonly: boolean };
  hostname?: string;
  linux: { cgroupsPath?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * The floor a pod start is compared with: `runc run -d` / `runsc run -detach` of busybox from
 * the same registry, an overlay per container over one unpacked rootfs (as the agent mounts it)
 * and runc's default namespaces (pid, net, ipc, uts, mount). Everything lives under a temp dir
 * of our own, with its own `--root` and cgroup parent, so no other container is ever touched.
 */
export class BareSandboxBaseline {
  readonly dir: string;
  private readonly lowerdir: string;
  private readonly cgroupParent: string;
  private template?: OciSpec;
  private readonly started = new Map<string, BareRuntime>();
  private seq = 0;

  constructor() {
    this.dir = mkdtempSync('/tmp/skiff-bench-');
    this.lowerdir = path.join(this.dir, 'image', 'unpacked', 'rootfs');
    this.cgroupParent = path.basename(this.dir);
  }

  /** Pulls busybox from the loopback registry and unpacks it once (not timed). */
  async prepare(imageRef: string): Promise<void> {
    const layout = path.join(this.dir, 'image', 'oci');
    await fs.mkdir(path.dirname(layout), { recursive: true });
    await mustRun('skopeo', ['copy', '--src-tls-verify=false', `docker://${imageRef}`, `oci:${layout}:latest`]);
    await mustRun('umoci', ['unpack', '--image', `${layout}:latest`, path.join(this.dir, 'image', 'unpacked')]);
    const specDir = path.join(this.dir, 'spec');
    await fs.mkdir(specDir);
    await mustRun(BINARIES.runc, ['spec', '--bundle', specDir]);
    this.template = JSON.parse(readFileSync(path.join(specDir, 'config.json'), 'utf8')) as OciSpec;
  }

  /** One container at a time, `count` times; each timed from bundle creation to run returning. */
  async sequential(kind: BareRuntime, count: number): Promise<BareStart[]> {
    const out: BareStart[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      out.push(await this.start(kind, t0));
    }
    return out;
  }

  /** `count` containers launched at once; each timed from the common start. */
  parallel(kind: BareRuntime, count: number): Promise<BareStart[]> {
    const t0 = performance.now();
    return Promise.all(Array.from({ length: count }, () => this.start(kind, t0)));
  }

  /** Deletes every container this baseline started, then its mounts and cgroups. */
  async removeContainers(): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(
      [...this.started].map(async ([name, kind]) => {
        const r = await runCommand(BINARIES[kind], [
          `--root=${this.runtimeRoot(kind)}`,
          'delete',
          kind === 'runc' ? '--force' : '-force',
          name,
        ]);
        if (r.code !== 0 && !/does not exist|not exist|not found/i.test(r.stderr))
          problems.push(`${kind} delete ${name}: ${r.stderr.trim().slice(0, 200)}`);
        const rootfs = path.join(this.dir, 'bundles', name, 'rootfs');
        const u = await runCommand('umount', [rootfs]);
        if (u.code !== 0 && (await isMounted(rootfs))) await runCommand('umount', ['-l', rootfs]);
        await fs.rm(path.join(this.dir, 'bundles', name), { recursive: true, force: true });
      }),
    );
    this.started.clear();
    return problems;
  }

  /** Everything: containers, cgroup parents, the temp dir. Safe to call twice. */
  async dispose(): Promise<string[]> {
    const problems = await this.removeContainers();
    const controllers = await fs.readdir(CGROUP_ROOT).catch(() => [] as string[]);
    for (const c of controllers) {
      const top = path.join(CGROUP_ROOT, c, this.cgroupParent);
      const children = await fs.readdir(top, { withFileTypes: true }).catch(() => []);
      for (const d of children.filter((e) => e.isDirectory()))
        await fs.rmdir(path.join(top, d.name)).catch(() => undefined);
      await fs.rmdir(top).catch(() => undefined);
    }
    for (const m of await mountsUnder(this.dir)) await runCommand('umount', ['-l', m]);
    await fs.rm(this.dir, { recursive: true, force: true });
    return problems;
  }

  private runtimeRoot(kind: BareRuntime): string {
    return path.join(this.dir, `${kind}-root`);
  }

  private async start(kind: BareRuntime, t0: number): Promise<BareStart> {
    if (!this.template) throw new Error('BareSandboxBaseline.prepare() was not called');
    const name = `skiff-bench-${this.seq++}`;
    const bundle = path.join(this.dir, 'bundles', name);
    this.started.set(name, kind);
    try {
      const rootfs = path.join(bundle, 'rootfs');
      await Promise.all(['upper', 'work', 'rootfs'].map((d) => fs.mkdir(path.join(bundle, d), { recursive: true })));
      const opts = `lowerdir=${this.lowerdir},upperdir=${path.join(bundle, 'upper')},workdir=${path.join(bundle, 'work')}`;
      await mustRun('mount', ['-t', 'overlay', 'skiff-bench-overlay', '-o', opts, rootfs]);
      const spec: OciSpec = {
        ...this.template,
        process: { ...this.template.process, args: IDLE_COMMAND, terminal: false },
        root: { path: rootfs, readonly: false },
        hostname: name,
        linux: { ...this.template.linux, cgroupsPath: `/${this.cgroupParent}/${name}` },
      };
      await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
      const args =
        kind === 'runc'
          ? ['run', '-d', '--bundle', bundle, name]
          : ['--platform=ptrace', '--network=none', 'run', '-detach', '--bundle', bundle, name];
      await detachedRun(BINARIES[kind], [`--root=${this.runtimeRoot(kind)}`, ...args], path.join(bundle, 'run.err'));
      return { name, ms: performance.now() - t0 };
    } catch (err) {
      return { name, ms: performance.now() - t0, error: errorMessage(err) };
    }
  }
}

// The container inherits the runtime's stdio: pipes would stay open until it exits, so a file takes stderr.
function detachedRun(file: string, args: string[], errPath: string): Promise<void> {
  const fd = openSync(errPath, 'w');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${path.basename(file)} run: exit ${code}: ${readFileSync(errPath, 'utf8').trim().slice(0, 300)}`),
        );
    });
  });
}

async function mountsUnder(dir: string): Promise<string[]> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

async function isMounted(target: string): Promise<boolean> {
  return (await mountsUnder(path.dirname(target))).includes(target);
}
