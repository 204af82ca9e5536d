import { ChildProcess } from 'node:child_process';
import { promises as fs, openSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { ProcessRunner } from '@skiff/host-tools';

export interface RegistryProcessOptions {
  /** Holds config.yml, data/ and registry.log. */
  stateDir: string;
  /** Loopback only; the registry must never listen on a host uplink. */
  host?: string;
  port: number;
  binary?: string;
}

/** Debian's docker-registry (distribution 2.8) on loopback, the dev stack's mirror for docker.io. Stopped by PID. */
export class RegistryProcess {
  private child?: ChildProcess;

  constructor(
    private readonly options: RegistryProcessOptions,
    private readonly runner: ProcessRunner = new ProcessRunner(),
  ) {}

  get endpoint(): string {
    return `${this.options.host ?? '127.0.0.1'}:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    if (this.child && this.child.exitCode === null) return;
    const host = this.options.host ?? '127.0.0.1';
    if (!/^127\.|^::1$|^localhost$/.test(host)) throw new Error(`registry host ${host} is not loopback`);
    await fs.mkdir(path.join(this.options.stateDir, 'data'), { recursive: true });
    const config = path.join(this.options.stateDir, 'config.yml');
    // Our own config: the packaged one listens on :5000 on all interfaces and wants htpasswd auth.
    await fs.writeFile(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${path.join(this.options.stateDir, 'data')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}:${this.options.port}`,
        '',
      ].join('\n'),
    );
    const log = openSync(path.join(this.options.stateDir, 'registry.log'), 'a');
    try {
      this.child = this.runner.spawn(this.options.binary ?? '/usr/bin/docker-registry', ['serve', config], {
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    const child = this.child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(
          `docker-registry exited ${child.exitCode}; see ${path.join(this.options.stateDir, 'registry.log')}`,
        );
      if (await reachable(host, this.options.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`docker-registry did not listen on ${this.endpoint} within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    this.runner.signal(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && this.runner.signal(child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
