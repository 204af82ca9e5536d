import { IncomingMessage } from 'node:http';
import { constants as osConstants } from 'node:os';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { AgentAuthService } from './agent-auth.service';

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

/** Where a kubelet-style container stream points, and the query flags it carries. */
export interface ContainerStreamRequest {
  namespace: string;
  pod: string;
  container: string;
  url: URL;
  flag: (name: string) => boolean;
}

// One handshake server for every channel stream (exec, attach); it only upgrades, it never listens.
const channelServer = new WebSocketServer({
  noServer: true,
  handleProtocols: (protocols) => negotiate([...protocols].join(',')) ?? false,
});

/**
 * What exec and attach upgrades share: the path names `/<verb>/<ns>/<pod>/<container>`, the
 * caller is the API server, and a channel protocol is offered (else the refusal is answered
 * here); then the WebSocket handshake, and `session` gets the socket and the request.
 */
export function acceptContainerStream(
  upgrade: { req: IncomingMessage; socket: Duplex; head: Buffer },
  path: RegExp,
  auth: AgentAuthService,
  session: (ws: WebSocket, stream: ContainerStreamRequest) => void,
): void {
  const { req, socket, head } = upgrade;
  const stream = checkContainerStream(req, socket, path, auth);
  if (stream) channelServer.handleUpgrade(req, socket, head, (ws) => session(ws, stream));
}

/** Sends one frame on a channel while the socket is open. */
export function sendFrame(ws: WebSocket, channel: Channel, data: Buffer | string): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(frame(channel, data));
}

/** Ends a session as kubelet does: the status on the error channel, then a normal close. */
export function finishSession(ws: WebSocket, status: string): void {
  sendFrame(ws, Channel.Error, status);
  ws.close(1000);
}

function checkContainerStream(
  req: IncomingMessage,
  socket: Duplex,
  path: RegExp,
  auth: AgentAuthService,
): ContainerStreamRequest | undefined {
  const url = new URL(req.url ?? '/', 'https://agent.local');
  const m = path.exec(url.pathname);
  if (!m) return void refuse(socket, 404, 'Not Found');
  try {
    auth.check(req);
  } catch {
    return void refuse(socket, 401, 'Unauthorized');
  }
  if (!negotiate(req.headers['sec-websocket-protocol'])) return void refuse(socket, 400, 'Bad Request');
  const [namespace, pod, container] = m.slice(1).map(decodeURIComponent);
  return { namespace, pod, container, url, flag: (name) => ['true', '1'].includes(url.searchParams.get(name) ?? '') };
}

function refuse(socket: Duplex, code: number, text: string): void {
  socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
