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
export function exitStatus(command: string[], code: number | null, signal: NodeJS.Signals | null): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  const exit = code ?? (signal ? 128 + signalNumber(signal) : 1);
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exit}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exit) }] },
  });
}

export function errorStatus(message: string): string {
  return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 });
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return table[signal] ?? 0;
}
