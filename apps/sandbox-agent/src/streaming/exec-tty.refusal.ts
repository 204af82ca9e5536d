import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AgentAuthService } from './agent-auth.service';
import { Channel, frame, negotiate } from './k8s-channel.protocol';

export const TTY_UNSUPPORTED = 'TTY is not supported by this sandbox host yet';

/** True for an exec/attach upgrade that asks for a terminal (`kubectl exec -t`). */
export function wantsTty(req: IncomingMessage): boolean {
  const tty = new URL(req.url ?? '/', 'https://agent.local').searchParams.get('tty');
  return tty === 'true' || tty === '1';
}

/**
 * `runc exec --tty` needs a console socket to receive the pty master, which the agent does not
 * run yet. Rather than hang, the stream is accepted and ended at once with a Failure status on
 * the error channel, which kubectl prints as the command's error.
 */
export class ExecTtyRefusal {
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => negotiate([...protocols].join(',')) ?? false });

  constructor(private readonly auth: AgentAuthService) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      this.auth.check(req.headers.authorization);
    } catch {
      return void socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    if (!negotiate(req.headers['sec-websocket-protocol'])) return void socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const status = { metadata: {}, status: 'Failure', message: TTY_UNSUPPORTED, reason: 'BadRequest', code: 400 };
      ws.send(frame(Channel.Error, JSON.stringify(status)), () => ws.close(1000));
    });
  }
}
