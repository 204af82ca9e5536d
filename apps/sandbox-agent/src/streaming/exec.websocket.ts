import { Logger } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { AgentAuthService } from './agent-auth.service';
import { ContainerLogLocator } from './container-log-locator';
import { Channel, errorStatus, exitStatus, frame, negotiate } from './k8s-channel.protocol';

const EXEC_PATH = /^\/exec\/([^/]+)\/([^/]+)\/([^/?]+)$/;

/**
 * kubelet's exec endpoint over WebSocket: `GET /exec/<ns>/<pod>/<container>?command=...&stdin=...`
 * upgraded to v5 (or v4).channel.k8s.io. The API server proxies kubectl's upgrade here unchanged.
 */
export class ExecWebSocketHandler {
  private readonly log = new Logger('exec');
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => negotiate([...protocols].join(',')) ?? false });

  constructor(
    private readonly auth: AgentAuthService,
    private readonly locator: ContainerLogLocator,
  ) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'https://agent.local');
    const m = EXEC_PATH.exec(url.pathname);
    if (!m) return reject(socket, 404, 'Not Found');
    try {
      this.auth.check(req.headers.authorization);
    } catch {
      return reject(socket, 401, 'Unauthorized');
    }
    if (!negotiate(req.headers['sec-websocket-protocol'])) return reject(socket, 400, 'Bad Request');
    const [namespace, pod, container] = m.slice(1).map(decodeURIComponent);
    const command = url.searchParams.getAll('command');
    const wantStdin = url.searchParams.get('stdin') === 'true' || url.searchParams.get('stdin') === '1';
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.run(ws, namespace, pod, container, command, wantStdin));
  }

  private async run(ws: WebSocket, namespace: string, pod: string, container: string, command: string[], wantStdin: boolean): Promise<void> {
    const v5 = ws.protocol === 'v5.channel.k8s.io';
    const finish = (status: string): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame(Channel.Error, status));
      ws.close(1000);
    };
    if (command.length === 0) return finish(errorStatus('you must specify at least one command for the container'));
    let proc;
    try {
      const target = await this.locator.locateExec(namespace, pod, container);
      proc = target.spawn(command);
    } catch (err) {
      return finish(errorStatus(err instanceof ApiError || err instanceof Error ? err.message : String(err)));
    }
    proc.stdout?.on('data', (d: Buffer) => ws.readyState === WebSocket.OPEN && ws.send(frame(Channel.Stdout, d)));
    proc.stderr?.on('data', (d: Buffer) => ws.readyState === WebSocket.OPEN && ws.send(frame(Channel.Stderr, d)));
    if (!wantStdin) proc.stdin?.end();
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const channel = data[0];
      if (channel === Channel.Stdin && wantStdin) proc.stdin?.write(data.subarray(1));
      else if (channel === Channel.Close && v5 && data[1] === Channel.Stdin) proc.stdin?.end();
    });
    ws.on('close', () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    proc.on('error', (err) => finish(errorStatus(err.message)));
    // 'close' (not 'exit'): all output has been read by then.
    proc.on('close', (code, signal) => finish(exitStatus(command, code, signal)));
    this.log.debug?.(`exec in ${namespace}/${pod}/${container}: ${command.join(' ')}`);
  }
}

function reject(socket: Duplex, code: number, text: string): void {
  socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
