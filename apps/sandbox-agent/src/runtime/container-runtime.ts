import { IPty, spawn as spawnPty } from '@lydell/node-pty';
import { ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, promises as fs } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { CgroupV1 } from '@skiff/host-tools';
import { CRI_CONTAINER_TYPE } from './oci-spec.builder';
import { ContainerStdio, OciSpec } from './oci-spec.types';
import { ProcessError, ProcessRunner, RunResult } from '@skiff/host-tools';
import { RootfsMounter } from './rootfs.mounter';
import { RuntimeError } from './runtime.error';
import { ConmonLauncher, ensureConmonLauncher } from './conmon.launchers';
import * as path from 'node:path';

export interface ContainerRuntimeOptions {
  /** Bundles, exit files and the runtime's own state live here (tests: a temp dir). */
  stateDir: string;
  kind?: 'runc' | 'runsc';
  runtimePath?: string;
  /** `--root` of the OCI runtime; default `<stateDir>/<kind>-root` so a dev stack's containers stay invisible. */
  runtimeRoot?: string;
  /** Global flags before the subcommand, e.g. runsc's `--platform=ptrace --network=host`. */
  runtimeArgs?: string[];
  conmonPath?: string;
  logSizeMax?: number;
}

export interface CreateContainerRequest {
  /** runc id, `skiff-…` */
  id: string;
  /** root.path must already be mounted (RootfsMounter) */
  spec: OciSpec;
  /** CRI log file conmon writes, e.g. `<logs>/<pod>/<container>/<restartCount>.log` */
  logPath: string;
  /** stdin (and a terminal) conmon holds for `kubectl attach`; none by default. */
  stdio?: ContainerStdio;
}

export type ContainerStatus = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerState {
  id: string;
  status: ContainerStatus;
  pid?: number;
  exitCode?: number;
  startedAt?: Date;
  finishedAt?: Date;
  oomKilled: boolean;
}

export interface ExecOptions {
  stdin?: boolean;
}

/** A terminal's size in character cells, as kubectl's resize channel sends it. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

interface RuncState {
  id: string;
  pid: number;
  status: string;
}

const SOCAT = '/usr/bin/socat';

/** OCI containers started under conmon, which holds stdio, writes the CRI log and the exit code, and outlives the agent. */
export class ContainerRuntime {
  readonly kind: 'runc' | 'runsc';
  private readonly runtimePath: string;
  private readonly runtimeRoot: string;
  private readonly cgroups = new CgroupV1();
  // Each launcher is written (or found current) once per runtime, not read again at every container start.
  private readonly launchers = new Map<ConmonLauncher, Promise<string>>();

  constructor(
    private readonly options: ContainerRuntimeOptions,
    private readonly runner: ProcessRunner = new ProcessRunner(),
    private readonly mounter: RootfsMounter = new RootfsMounter(runner),
  ) {
    this.kind = options.kind ?? 'runc';
    this.runtimePath = options.runtimePath ?? (this.kind === 'runc' ? '/usr/sbin/runc' : '/usr/bin/runsc');
    this.runtimeRoot = options.runtimeRoot ?? path.join(options.stateDir, `${this.kind}-root`);
  }

  bundleDir(id: string): string {
    return path.join(this.options.stateDir, 'containers', id);
  }

  private get exitDir(): string {
    return path.join(this.options.stateDir, 'exits');
  }

  private globalArgs(): string[] {
    return [`--root=${this.runtimeRoot}`, ...(this.options.runtimeArgs ?? [])];
  }

  /**
   * A container that needs no supervisor (a runc pod's pause): no log, no exit code wanted, so no
   * conmon; `run --detach` creates and starts it in one step. Resolves with its init PID.
   */
  async runUnsupervised(req: Omit<CreateContainerRequest, 'logPath'>): Promise<number> {
    const bundle = await this.writeBundle(req);
    const pidFile = path.join(bundle, 'pid');
    // The container inherits the runtime's stdio when detached: a file, never our pipes.
    await this.runtime(
      ['run', '--detach', '--bundle', bundle, '--pid-file', pidFile, req.id],
      false,
      path.join(bundle, 'run.log'),
    ).catch((err: unknown) => {
      throw new RuntimeError('CreateContainerError', `${this.kind} run ${req.id}: ${errorText(err)}`);
    });
    await fs.writeFile(path.join(bundle, 'started'), new Date().toISOString());
    return Number(await fs.readFile(pidFile, 'utf8'));
  }

  /**
   * Writes the bundle and has conmon create and start the container (through a launcher, see
   * conmon.launchers.ts); resolves with the container's init PID.
   */
  async run(req: CreateContainerRequest): Promise<number> {
    const bundle = await this.writeBundle(req);
    const persist = path.join(bundle, 'persist');
    // conmon silently writes no exit file when --persist-dir does not exist yet: create every directory first.
    for (const d of [persist, this.exitDir, path.dirname(req.logPath), path.join(this.options.stateDir, 'sockets')]) {
      await fs.mkdir(d, { recursive: true });
    }
    await fs.rm(path.join(this.exitDir, req.id), { force: true });
    // The attach socket is found through `<sockets>/<cuuid>` (its path in the bundle is too long for a socket).
    const cuuid = randomUUID();
    await fs.writeFile(path.join(bundle, 'cuuid'), cuuid);
    const stdio = req.stdio;
    // A launcher creates and starts the container in one step (a runsc subcontainer's also gives conmon a child to
    // wait for).
    const subcontainer = this.kind === 'runsc' && req.spec.annotations?.[CRI_CONTAINER_TYPE] === 'container';
    const launcher = await this.launcher(subcontainer ? 'runsc-subcontainer' : 'run');
    const args = [
      '--cid',
      req.id,
      '--cuuid',
      cuuid,
      '--name',
      req.id,
      '--runtime',
      launcher,
      ...this.globalArgs().flatMap((a) => ['--runtime-arg', a]),
      '--bundle',
      bundle,
      '--container-pidfile',
      path.join(bundle, 'pid'),
      '--conmon-pidfile',
      path.join(bundle, 'conmon.pid'),
      '--log-path',
      req.logPath, // k8s-file is conmon's default driver: `<RFC3339Nano> stdout F <line>`
      '--log-size-max',
      String(this.options.logSizeMax ?? 10 * 2 ** 20),
      '--exit-dir',
      this.exitDir,
      '--persist-dir',
      persist,
      '--socket-dir-path',
      path.join(this.options.stateDir, 'sockets'),
      // Attach writes to the container's stdin; without stdinOnce it stays open when a session ends.
      ...(stdio?.stdin ? ['--stdin', ...(stdio.stdinOnce ? [] : ['--leave-stdin-open'])] : []),
      ...(stdio?.tty ? ['--terminal'] : []),
    ];
    // conmon double-forks and its first process exits at once; the sync pipe (fd 3) carries {"pid": N} once the
    // runtime's create is done, or {"pid": -1, "message": …} with the runtime's error.
    const log = openSync(path.join(bundle, 'conmon.log'), 'a');
    let child: ChildProcess;
    try {
      child = this.runner.spawn(this.options.conmonPath ?? '/usr/bin/conmon', args, {
        stdio: ['ignore', log, log, 'pipe'],
        env: { ...process.env, _OCI_SYNCPIPE: '3' },
        // conmon drops files (e.g. `oom`) into its working directory: keep them in the bundle.
        cwd: bundle,
      });
    } finally {
      closeSync(log);
    }
    const message = await readSyncPipe(child, 30_000);
    if (!message || typeof message.pid !== 'number' || message.pid <= 0) {
      const conmonLog = await fs.readFile(path.join(bundle, 'conmon.log'), 'utf8').catch(() => '');
      throw new RuntimeError(
        'CreateContainerError',
        `${this.kind} run ${req.id}: ${message?.message ?? conmonLog.trim() ?? 'no answer from conmon'}`,
      );
    }
    await fs.writeFile(path.join(bundle, 'started'), new Date().toISOString());
    return message.pid;
  }

  private launcher(kind: ConmonLauncher): Promise<string> {
    let file = this.launchers.get(kind);
    if (!file) {
      file = ensureConmonLauncher(this.options.stateDir, kind, this.runtimePath);
      // A failed write is tried again at the next start.
      file.catch(() => this.launchers.delete(kind));
      this.launchers.set(kind, file);
    }
    return file;
  }

  private async writeBundle(req: { id: string; spec: OciSpec }): Promise<string> {
    if (!/^skiff-[\w.+-]+$/.test(req.id))
      throw new RuntimeError('CreateContainerConfigError', `container id "${req.id}" must start with "skiff-"`);
    const bundle = this.bundleDir(req.id);
    for (const d of [bundle, this.runtimeRoot]) await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(req.spec, null, 1));
    return bundle;
  }

  async state(id: string): Promise<ContainerState> {
    const bundle = this.bundleDir(id);
    let runtimeState: RuncState | undefined;
    const r = await this.runtime(['state', id], true);
    if (r.code === 0) runtimeState = JSON.parse(r.stdout) as RuncState;
    let exit = await readExitFile(path.join(this.exitDir, id));
    // conmon writes the exit file a moment after the runtime reports `stopped`.
    for (let i = 0; !exit && runtimeState?.status === 'stopped' && i < 20; i++) {
      await new Promise((res) => setTimeout(res, 50));
      exit = await readExitFile(path.join(this.exitDir, id));
    }
    const startedAt = await fs.readFile(path.join(bundle, 'started'), 'utf8').then(
      (s) => new Date(s),
      () => undefined,
    );
    const spec = await this.readSpec(id);
    const oomFile = await fs.access(path.join(bundle, 'persist', 'oom')).then(
      () => true,
      () => false,
    );
    const oomKilled = oomFile || (spec ? (await this.cgroups.oomKills(spec.linux.cgroupsPath)) > 0 : false);
    const status: ContainerStatus = exit
      ? 'exited'
      : runtimeState?.status === 'running' || runtimeState?.status === 'paused'
        ? 'running'
        : runtimeState?.status === 'created'
          ? 'created'
          : runtimeState?.status === 'stopped'
            ? 'exited'
            : 'unknown';
    return {
      id,
      status,
      pid: runtimeState?.pid || undefined,
      exitCode: exit?.code,
      startedAt,
      finishedAt: exit?.at,
      oomKilled,
    };
  }

  /**
   * A connection to the container's stdin through conmon's attach socket: what is written to the child's
   * stdin reaches the container; ending it detaches (conmon then closes a `stdinOnce` container's stdin).
   * The socket is SOCK_SEQPACKET, which Node cannot open, so socat carries it. conmon also sends the output
   * down the socket; socat drops it (attach reads the log, see CriLogFollower) but must read it, or conmon's
   * writes to the socket would block.
   */
  async openStdin(id: string): Promise<ChildProcess> {
    const cuuid = await fs.readFile(path.join(this.bundleDir(id), 'cuuid'), 'utf8').catch(() => undefined);
    if (!cuuid) throw new RuntimeError('NotFound', `container ${id} has no attach socket`);
    // The socket's own path in the bundle is too long for sun_path; conmon links `<sockets>/<cuuid>` to the bundle.
    const socket = path.join(this.options.stateDir, 'sockets', cuuid.trim(), 'attach');
    return this.runner.spawn(SOCAT, ['-b', '65536', 'STDIO', `UNIX-CONNECT:${socket},type=5`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
  }

  /** Resizes the container's terminal: conmon's control FIFO takes `1 <rows> <cols>`. */
  async resizeTerminal(id: string, size: TerminalSize): Promise<void> {
    const fh = await fs.open(path.join(this.bundleDir(id), 'ctl'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    try {
      await fh.write(`1 ${size.rows} ${size.cols}\n`);
    } finally {
      await fh.close();
    }
  }

  /** The container's process has ended (conmon wrote its exit code) or the container is gone altogether. */
  async finished(id: string): Promise<boolean> {
    if (await readExitFile(path.join(this.exitDir, id))) return true;
    return fs.access(this.bundleDir(id)).then(
      () => false,
      () => true,
    );
  }

  async kill(id: string, signal: NodeJS.Signals | number = 'SIGTERM'): Promise<void> {
    const r = await this.runtime(['kill', id, String(signal)], true);
    if (r.code !== 0 && !/not running|does not exist|process already finished|container.*stopped/i.test(r.stderr)) {
      throw new RuntimeError('RunContainerError', `${this.kind} kill ${id}: ${r.stderr.trim()}`);
    }
  }

  /** Polls the exit file; resolves with the exit code, or undefined on timeout. */
  async waitForExit(id: string, timeoutMs = 10_000): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const exit = await readExitFile(path.join(this.exitDir, id));
      if (exit) return exit.code;
      await new Promise((res) => setTimeout(res, 50));
    }
    return undefined;
  }

  /** Force-deletes the container, stops its conmon by PID, unmounts its rootfs and removes its cgroup and files. */
  async delete(id: string): Promise<void> {
    const bundle = this.bundleDir(id);
    const spec = await this.readSpec(id);
    const r = await this.runtime(['delete', '--force', id], true);
    if (r.code !== 0 && !/does not exist|not found/i.test(r.stderr))
      throw new RuntimeError('RunContainerError', `${this.kind} delete ${id}: ${r.stderr.trim()}`);
    const conmonPid = Number(await fs.readFile(path.join(bundle, 'conmon.pid'), 'utf8').catch(() => ''));
    if (conmonPid > 0 && (await isConmon(conmonPid, id))) {
      this.runner.signal(conmonPid, 'SIGTERM');
      for (let i = 0; i < 40 && (await isConmon(conmonPid, id)); i++) await new Promise((res) => setTimeout(res, 50));
      if (await isConmon(conmonPid, id)) this.runner.signal(conmonPid, 'SIGKILL');
    }
    for (const m of await this.mounter.mountsUnder(bundle)) await this.mounter.unmount(m);
    if (spec) await this.cgroups.remove(spec.linux.cgroupsPath);
    await fs.rm(bundle, { recursive: true, force: true });
    await fs.rm(path.join(this.exitDir, id), { force: true });
  }

  /** Containers whose conmon has written an exit file: those that exited since they were created (one readdir). */
  async exited(): Promise<Set<string>> {
    const names = await fs.readdir(this.exitDir).catch(() => [] as string[]);
    return new Set(names.filter((n) => n.startsWith('skiff-')));
  }

  /** Skiff's containers the runtime knows, for re-adoption after an agent restart. */
  async list(): Promise<{ id: string; pid: number; status: string }[]> {
    // `list` can fail while containers are being deleted under it. An empty answer then would read as
    // "every sandbox is gone" and have them all recreated: retry, then fail loudly instead.
    let failure = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await new Promise((res) => setTimeout(res, 50 * attempt));
      const r = await this.runtime(['list', '--format', 'json'], true);
      if (r.code !== 0) {
        failure = r.stderr.trim();
        continue;
      }
      const all = (JSON.parse(r.stdout || 'null') as RuncState[] | null) ?? [];
      return all.filter((c) => c.id.startsWith('skiff-')).map((c) => ({ id: c.id, pid: c.pid, status: c.status }));
    }
    throw new RuntimeError('ListFailed', `${this.kind} list: ${failure}`);
  }

  /** Non-TTY exec with piped stdio; the process inherits the container's env, user, capabilities and seccomp. */
  exec(id: string, cmd: string[], options: ExecOptions = {}): ChildProcess {
    return this.runner.spawn(this.runtimePath, [...this.globalArgs(), 'exec', id, ...cmd], {
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
  }

  /**
   * Exec on a terminal (`kubectl exec -t`). The agent opens a pty and runs the runtime's exec in
   * the foreground on it, the way a user at a terminal would: `runc exec --tty` makes the
   * container's own pty, puts ours in raw mode and copies between the two, resizing the inner one
   * on SIGWINCH; runsc hands its stdio (our pty) to the sandbox, whose process then sees a terminal.
   * Resizing our pty is what delivers the SIGWINCH. (A detached exec would need `--console-socket`
   * and SCM_RIGHTS, which Node cannot receive.)
   */
  async execTerminal(id: string, cmd: string[], size: TerminalSize): Promise<IPty> {
    const pty = (args: string[]): IPty =>
      spawnPty(this.runtimePath, [...this.globalArgs(), 'exec', ...args], {
        cols: size.cols,
        rows: size.rows,
        name: 'xterm',
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      });
    if (this.kind === 'runc') return pty(['--tty', '--env', 'TERM=xterm', id, ...cmd]);
    const spec = await this.readSpec(id);
    if (!spec) throw new RuntimeError('ExecFailed', `container ${id} has no bundle`);
    const file = path.join(this.bundleDir(id), `exec-${randomUUID()}.json`);
    await fs.writeFile(
      file,
      JSON.stringify({ ...spec.process, args: cmd, terminal: true, env: [...(spec.process.env ?? []), 'TERM=xterm'] }),
    );
    const term = pty(['--process', file, id]);
    term.onExit(() => void fs.rm(file, { force: true }));
    return term;
  }

  /** exec and collect the output (probes, tests). */
  execCollect(id: string, cmd: string[], timeoutMs = 10_000): Promise<RunResult> {
    return this.runner.run(this.runtimePath, [...this.globalArgs(), 'exec', id, ...cmd], {
      allowFailure: true,
      timeoutMs,
    });
  }

  async readSpec(id: string): Promise<OciSpec | undefined> {
    return fs.readFile(path.join(this.bundleDir(id), 'config.json'), 'utf8').then(
      (t) => JSON.parse(t) as OciSpec,
      () => undefined,
    );
  }

  private runtime(args: string[], allowFailure = false, outputFile?: string): Promise<RunResult> {
    return this.runner.run(this.runtimePath, [...this.globalArgs(), ...args], {
      allowFailure,
      timeoutMs: 30_000,
      outputFile,
    });
  }
}

function readSyncPipe(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ pid?: number; data?: number; message?: string } | undefined> {
  return new Promise((resolve) => {
    const pipe = child.stdio[3] as NodeJS.ReadableStream | undefined;
    let buf = '';
    const done = (value: { pid?: number; message?: string } | undefined): void => {
      clearTimeout(timer);
      (pipe as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    pipe?.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      const line = buf.split('\n')[0];
      try {
        done(JSON.parse(line) as { pid?: number; message?: string });
      } catch {
        // partial line, wait for more
      }
    });
    pipe?.on('end', () => done(undefined));
    child.on('error', () => done(undefined));
  });
}

async function readExitFile(file: string): Promise<{ code: number; at: Date } | undefined> {
  try {
    const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    if (!text.trim()) return undefined;
    return { code: Number(text.trim()), at: st.mtime };
  } catch {
    return undefined;
  }
}

// Only signal a PID that still is this container's conmon, never a recycled one.
async function isConmon(pid: number, id: string): Promise<boolean> {
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.startsWith('/usr/bin/conmon') || cmdline.includes('conmon') ? cmdline.includes(id) : false;
}

function errorText(err: unknown): string {
  return err instanceof ProcessError ? err.stderr.trim() || err.message : String(err);
}
