import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** One resource record in zone-file form, e.g. `web.ns.svc.cluster.local. 5 IN A 10.96.0.20`. */
export type LocalData = string;

/**
 * Unbound (Debian) serving records as local-data on a loopback port: its own config in a temp
 * dir, one thread (the default), every name outside the local zones refused, so it never sends a
 * query anywhere. Stopped by PID.
 */
export class UnboundServer {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'skiff-bench-unbound-'));

  constructor(
    private readonly port: number,
    private readonly zones: string[],
    private readonly records: LocalData[],
    private readonly pointers: { ip: string; name: string }[],
  ) {}

  async start(ready: () => Promise<boolean>): Promise<void> {
    const conf = path.join(this.dir, 'unbound.conf');
    const q = (s: string): string => JSON.stringify(s);
    writeFileSync(
      conf,
      [
        'server:',
        `  interface: 127.0.0.1@${this.port}`,
        `  port: ${this.port}`,
        '  do-daemonize: no',
        '  username: ""',
        '  chroot: ""',
        `  directory: ${q(this.dir)}`,
        `  pidfile: ${q(path.join(this.dir, 'unbound.pid'))}`,
        '  use-syslog: no',
        '  logfile: ""',
        '  verbosity: 0',
        '  num-threads: 1',
        '  do-ip6: no',
        '  do-not-query-localhost: yes',
        '  access-control: 127.0.0.0/8 allow',
        '  module-config: "iterator"',
        // Everything not ours is refused: no recursion, no forwarding, nothing leaves the machine.
        '  local-zone: "." refuse',
        ...this.zones.map((z) => `  local-zone: ${q(`${z}.`)} static`),
        ...this.records.map((r) => `  local-data: ${q(r)}`),
        ...this.pointers.map((p) => `  local-data-ptr: ${q(`${p.ip} ${p.name}.`)}`),
        'remote-control:',
        '  control-enable: no',
        '',
      ].join('\n'),
    );
    const child = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`unbound exited ${child.exitCode}: ${stderr.trim()}`);
      if (await ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`unbound did not answer on 127.0.0.1:${this.port}: ${stderr.trim()}`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
