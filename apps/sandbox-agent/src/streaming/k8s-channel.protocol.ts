import { constants as osConstants } from 'node:os';

// The Kubernetes streaming WebSocket protocol (v4/v5.channel.k8s.io) as kubelet speaks it:
// binary messages whose first byte is the channel.

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export enum Channel {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  Error = 3,
  Resize = 4,
  /** v5: `[255, n]` closes channel n (stdin EOF). */
  Close = 255,
}

export function frame(channel: Channel, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** Picks the first protocol the client offers that we speak, as the server must select one. */
export function negotiate(offered: string | undefined): string | undefined {
  const list = (offered ?? '').split(',').map((p) => p.trim());
  return EXEC_PROTOCOLS.find((p) => list.includes(p));
}

/** The status message ending an exec: what kubectl turns into its exit code. */
export function exitStatus(command: string[], exit: number): string {
  if (exit === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exit}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exit) }] },
  });
}

/** The exit code a shell reports: the process's own, or 128 + the number of the signal that killed it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | number | null): number {
  const signo = typeof signal === 'string' ? osConstants.signals[signal] : (signal ?? 0);
  return signo > 0 ? 128 + signo : (code ?? 1);
}

/** kubectl's resize message (`{"Width":80,"Height":24}`), or undefined when it is not one. */
export function parseResize(data: Buffer): { cols: number; rows: number } | undefined {
  try {
    const { Width, Height } = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) <= 10_000;
    return ok(Width) && ok(Height) ? { cols: Width, rows: Height } : undefined;
  } catch {
    return undefined;
  }
}

export function errorStatus(message: string): string {
  return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 });
}
