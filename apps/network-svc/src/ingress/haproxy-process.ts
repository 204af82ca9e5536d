import { closeSync, openSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessRunner } from '@skiff/host-tools';
import { HaproxyCli } from './haproxy-cli';
import { HaproxyConfig, haproxyConfig, haproxyPaths, HaproxyPaths, runtimeCommands } from './haproxy-config';
import { IngressProxyModel } from './ingress-model';

export type IngressProxyErrorCode = 'InvalidConfig' | 'StartFailed' | 'ReloadFailed' | 'StopFailed';

/** A failure of the Ingress proxy; the proxy that ran before keeps serving unless the code says it did not start. */
export class IngressProxyError extends Error {
  constructor(
    readonly code: IngressProxyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IngressProxyError';
  }
}

export interface IngressProxyOptions {
  /** The network namespace HAProxy runs (and binds its addresses) in. */
  netns: string;
  stateDir: string;
  /** Default /usr/sbin/haproxy. */
  haproxy?: string;
  /** How long a start, reload or stop may take; default 20 s. */
  timeoutMs?: number;
}

/** What the master CLI's `show proc` says: the master, its current workers, and its reloads. */
export interface HaproxyProcesses {
  master: number;
  workers: number[];
  reloads: number;
  failedReloads: number;
}

export type ApplyOutcome = 'started' | 'unchanged' | 'runtime' | 'reloaded';

const POLL_MS = 100;
const RUNTIME_BATCH = 100;

/**
 * One HAProxy in master-worker mode inside a netns, detached from this process (own session, output to a log
 * file) so it keeps serving while network-svc restarts; a later instance adopts it by its pid file and master
 * socket. Calls are serialized.
 */
export class IngressProxy {
  private readonly paths: HaproxyPaths;
  private readonly haproxy: string;
  private readonly timeoutMs: number;
  /** What the running HAProxy was last given by this instance; unknown after adopting one. */
  private applied?: HaproxyConfig;
  private reloadPending = false;
  private prepared = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runner: ProcessRunner,
    private readonly cli: HaproxyCli,
    private readonly options: IngressProxyOptions,
  ) {
    this.paths = haproxyPaths(options.stateDir);
    this.haproxy = options.haproxy ?? '/usr/sbin/haproxy';
    this.timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** Prepares the state dir; true when a proxy left running by an earlier instance was found and adopted. */
  start(): Promise<boolean> {
    return this.serialized(async () => {
      await this.prepare();
      return (await this.runningMaster()) !== undefined;
    });
  }

  /**
   * Makes the proxy serve `model`: the configuration is checked with `haproxy -c` first (a rejected one never
   * replaces the running one), then HAProxy is started, or updated through the runtime API when only endpoints
   * changed, or reloaded without dropping connections (listening sockets pass to the new worker).
   */
  apply(model: IngressProxyModel): Promise<ApplyOutcome> {
    return this.serialized(async () => {
      await this.prepare();
      const next = haproxyConfig(model, this.paths.stateDir, this.applied);
      for (const [file, content] of next.files) {
        const path = `${this.paths.stateDir}/${file}`;
        // Names carry a hash of the content: a file that exists is already right.
        if (!(await exists(path))) await writeAtomically(path, content);
      }
      const staged = `${this.paths.config}.new`;
      await writeFile(staged, next.config, { mode: 0o600 });
      const check = await this.runner.run(this.haproxy, ['-c', '-f', staged], { allowFailure: true });
      if (check.code !== 0) {
        await rm(staged, { force: true });
        const output = `${check.stdout}\n${check.stderr}`.split('\n');
        const alerts = output.filter((l) => l.includes('[ALERT]'));
        throw new IngressProxyError(
          'InvalidConfig',
          `haproxy rejected the configuration: ${(alerts.length ? alerts : output).join('\n').trim()}`,
        );
      }
      const outcome =
        (await this.runningMaster()) === undefined ? await this.launch(staged) : await this.update(next, staged);
      this.applied = next;
      await this.prune(next.files);
      return outcome;
    });
  }

  /** The running master and workers; undefined when none answers. */
  async processes(): Promise<HaproxyProcesses | undefined> {
    return this.showProc().catch(() => undefined);
  }

  /** Stops the proxy by the pid in its pid file (SIGTERM, then SIGKILL) and waits until its processes are gone. */
  stop(): Promise<void> {
    return this.serialized(() => this.stopNow());
  }

  /** Stops the proxy and removes its state dir. */
  remove(): Promise<void> {
    return this.serialized(async () => {
      await this.stopNow();
      await rm(this.paths.stateDir, { recursive: true, force: true });
      this.prepared = false;
    });
  }

  private async prepare(): Promise<void> {
    if (this.prepared) return;
    await mkdir(`${this.paths.stateDir}/tls`, { recursive: true, mode: 0o700 });
    // Served for hosts whose TLS Secret is missing or invalid, as ingress-nginx serves its fake certificate.
    if (!(await exists(this.paths.defaultCertificate))) {
      const key = `${this.paths.defaultCertificate}.key`;
      const crt = `${this.paths.defaultCertificate}.crt`;
      await this.runner.run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '3650',
        '-subj',
        '/O=Skiff/CN=Skiff Ingress Default Certificate',
        '-keyout',
        key,
        '-out',
        crt,
      ]);
      await writeAtomically(
        this.paths.defaultCertificate,
        (await readFile(crt, 'utf8')) + (await readFile(key, 'utf8')),
      );
      await rm(key);
      await rm(crt);
    }
    this.prepared = true;
  }

  private async launch(staged: string): Promise<ApplyOutcome> {
    await rename(staged, this.paths.config);
    const log = openSync(this.paths.log, 'a');
    let exit: string | undefined;
    try {
      const child = this.runner.spawn(
        'ip',
        [
          'netns',
          'exec',
          this.options.netns,
          this.haproxy,
          '-W',
          '-S',
          `${this.paths.masterSocket},mode,600`,
          '-f',
          this.paths.config,
          '-p',
          this.paths.pidFile,
        ],
        // Its own session, no pipes to us: it outlives network-svc.
        { detached: true, stdio: ['ignore', log, log] },
      );
      child.on('error', (err) => (exit = err.message));
      child.on('exit', (code, signal) => (exit = `exited ${code ?? signal}`));
      child.unref();
    } finally {
      closeSync(log);
    }
    const deadline = Date.now() + this.timeoutMs;
    while (Date.now() < deadline) {
      if (exit !== undefined) throw new IngressProxyError('StartFailed', `haproxy ${exit}: ${await this.logTail()}`);
      const procs = await this.processes();
      if (procs && procs.workers.length > 0 && procs.master === (await this.pidFromFile())) return 'started';
      await sleep(POLL_MS);
    }
    throw new IngressProxyError(
      'StartFailed',
      `haproxy did not start within ${this.timeoutMs} ms: ${await this.logTail()}`,
    );
  }

  private async update(next: HaproxyConfig, staged: string): Promise<ApplyOutcome> {
    const decision = this.applied && !this.reloadPending ? runtimeCommands(this.applied, next) : undefined;
    if (decision && !decision.reload) {
      if (decision.commands.length === 0) {
        await rename(staged, this.paths.config);
        return 'unchanged';
      }
      // A runtime API that does not do as asked is answered with a reload, which starts from the config.
      if (
        await this.runtime(decision.commands, next).then(
          () => true,
          () => false,
        )
      ) {
        await rename(staged, this.paths.config);
        return 'runtime';
      }
    } else if (
      !decision &&
      !this.reloadPending &&
      (await readFile(this.paths.config, 'utf8').catch(() => '')) === next.config
    ) {
      // Adopted: the running proxy already serves what the file on disk says.
      await rm(staged);
      return 'unchanged';
    }
    await rename(staged, this.paths.config);
    this.reloadPending = true;
    await this.reload();
    this.reloadPending = false;
    return 'reloaded';
  }

  private async runtime(commands: string[], next: HaproxyConfig): Promise<void> {
    for (let i = 0; i < commands.length; i += RUNTIME_BATCH)
      await this.cli.send(this.paths.adminSocket, commands.slice(i, i + RUNTIME_BATCH).join('; '));
    // The answers are prose; what the servers now are is the check.
    const backends = new Set(commands.map((c) => c.split(' ')[2].split('/')[0]));
    for (const backend of backends) {
      const state = await this.cli.send(this.paths.adminSocket, `show servers state ${backend}`);
      const servers = new Map(
        state
          .split('\n')
          .map((l) => l.split(' '))
          .filter((f) => f[1] === backend)
          // be_id be_name srv_id srv_name srv_addr srv_op_state … srv_port (19th)
          .map((f) => [f[3], { addr: f[4], running: f[5] === '2', port: Number(f[18]) }]),
      );
      next.slots.get(backend)?.forEach((slot, i) => {
        const s = servers.get(`s${i + 1}`);
        const ok = slot ? s?.running && s.addr === slot.ip && s.port === slot.port : s && !s.running;
        if (!ok) throw new Error(`${backend}/s${i + 1} is not as the runtime API was asked`);
      });
    }
  }

  private async reload(): Promise<void> {
    const before = await this.showProc();
    // The master re-executes itself; the connection may drop before it answers.
    await this.cli.send(this.paths.masterSocket, 'reload').catch(() => '');
    const deadline = Date.now() + this.timeoutMs;
    while (Date.now() < deadline) {
      const now = await this.processes();
      if (now && now.reloads > before.reloads) {
        if (now.failedReloads > 0)
          throw new IngressProxyError(
            'ReloadFailed',
            `the reload failed, the old workers keep serving: ${await this.logTail()}`,
          );
        if (now.workers.some((w) => !before.workers.includes(w))) return;
      }
      await sleep(POLL_MS);
    }
    throw new IngressProxyError(
      'ReloadFailed',
      `no new worker within ${this.timeoutMs} ms of the reload: ${await this.logTail()}`,
    );
  }

  private async stopNow(): Promise<void> {
    const master = await this.pidFromFile();
    if (master !== undefined && (await this.isOurs(master))) {
      const workers = (await this.processes())?.workers ?? [];
      const pids = [master, ...workers];
      this.runner.signal(master, 'SIGTERM');
      if (!(await this.waitGone(pids))) {
        for (const pid of pids) if (await this.isOurs(pid)) this.runner.signal(pid, 'SIGKILL');
        if (!(await this.waitGone(pids)))
          throw new IngressProxyError('StopFailed', `haproxy (pid ${master}) did not exit`);
      }
    }
    await rm(this.paths.pidFile, { force: true });
    this.applied = undefined;
  }

  private async waitGone(pids: number[]): Promise<boolean> {
    const deadline = Date.now() + this.timeoutMs;
    while (Date.now() < deadline) {
      if (!(await Promise.all(pids.map((p) => this.isOurs(p)))).some(Boolean)) return true;
      await sleep(POLL_MS);
    }
    return false;
  }

  /** The master of the pid file when it runs and answers on the master socket. */
  private async runningMaster(): Promise<number | undefined> {
    const pid = await this.pidFromFile();
    if (pid === undefined || !(await this.isOurs(pid))) return undefined;
    return (await this.processes())?.master === pid ? pid : undefined;
  }

  /** A live (not zombie) HAProxy of this state dir: a pid alone may have been reused. */
  private async isOurs(pid: number): Promise<boolean> {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (/^\S+ \(.*\) [ZX]/.test(stat)) return false;
      return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').includes(this.paths.config);
    } catch {
      return false;
    }
  }

  private async showProc(): Promise<HaproxyProcesses> {
    const text = await this.cli.send(this.paths.masterSocket, 'show proc');
    const procs: HaproxyProcesses = { master: 0, workers: [], reloads: 0, failedReloads: 0 };
    let section = '';
    for (const line of text.split('\n')) {
      if (line.startsWith('# ')) section = line.slice(2).trim();
      const master = /^(\d+)\s+master\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?/.exec(line);
      if (master)
        Object.assign(procs, {
          master: Number(master[1]),
          reloads: Number(master[2]),
          failedReloads: Number(master[3] ?? 0),
        });
      const worker = /^(\d+)\s+worker\b/.exec(line);
      if (worker && section === 'workers') procs.workers.push(Number(worker[1]));
    }
    if (!procs.master) throw new Error(`unexpected answer to show proc: ${text.slice(0, 200)}`);
    return procs;
  }

  private async pidFromFile(): Promise<number | undefined> {
    const text = await readFile(this.paths.pidFile, 'utf8').catch(() => '');
    const pid = Number(text.trim().split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  private async logTail(): Promise<string> {
    return (await readFile(this.paths.log, 'utf8').catch(() => '')).slice(-2000).trim();
  }

  // Certificates and crt-lists of earlier configurations; HAProxy read them when it loaded.
  private async prune(files: Map<string, string>): Promise<void> {
    for (const name of await readdir(`${this.paths.stateDir}/tls`))
      if (!files.has(`tls/${name}`)) await rm(`${this.paths.stateDir}/tls/${name}`, { force: true });
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, path);
}
