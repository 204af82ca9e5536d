import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { PortForwardTarget } from './container-log-locator';

/** One TCP connection to a port of a pod. */
export interface PodPortConnection {
  /** Bytes to the pod's port; end() half-closes. */
  input: Writable;
  /** Bytes from the pod's port; ends when the pod side closes. */
  output: Readable;
  /** Settles when the connection is over: undefined, or why it failed (e.g. connection refused). */
  done: Promise<string | undefined>;
  close(): void;
}

const SOCAT = '/usr/bin/socat';

/**
 * Dials a pod's port the way kubelet's CRI runtimes do: from inside the pod's network namespace
 * to 127.0.0.1, so ports bound to loopback work too (`nsenter --net` + socat, one process per
 * connection). Without socat it connects to the pod's address on the bridge instead.
 */
export class PodPortDialer {
  constructor(private readonly useNetns = existsSync(SOCAT)) {}

  dial(target: PortForwardTarget, port: number): PodPortConnection {
    return this.useNetns ? this.viaNetns(target.netnsPath, port) : this.viaBridge(target.ip, port);
  }

  private viaNetns(netnsPath: string, port: number): PodPortConnection {
    const child = spawn('nsenter', [`--net=${netnsPath}`, '--', SOCAT, 'STDIO', `TCP4:127.0.0.1:${port}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // A peer that vanished mid-write is reported through `done`, not as a stream error.
    child.stdin.on('error', () => undefined);
    const done = new Promise<string | undefined>((resolve) => {
      child.once('error', (err) => resolve(err.message));
      child.once('close', (code, signal) => {
        if (code === 0 || signal === 'SIGKILL') return resolve(undefined);
        // socat says e.g. `2026/01/01 00:00:00 socat[42] E connect(5, AF=2 127.0.0.1:81, 16): Connection refused`.
        const line = stderr.trim().split('\n').pop() ?? '';
        resolve(line.replace(/^.*? socat\[\d+\] [EW] /, '') || `exited with ${code ?? signal}`);
      });
    });
    return {
      input: child.stdin,
      output: child.stdout,
      done,
      close: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  }

  private viaBridge(ip: string, port: number): PodPortConnection {
    const socket = connect({ host: ip, port, allowHalfOpen: true });
    const done = new Promise<string | undefined>((resolve) => {
      let failure: string | undefined;
      socket.once('error', (err) => (failure = err.message));
      socket.once('close', () => resolve(failure));
    });
    return { input: socket, output: socket, done, close: () => socket.destroy() };
  }
}
