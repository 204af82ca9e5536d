import { Logger } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { AgentAuthService } from './agent-auth.service';
import { ContainerLogLocator, PortForwardTarget } from './container-log-locator';
import { parsePorts, servePortForwardChannels } from './port-forward.channels';
import { SpdyPortForwarder } from './port-forward.spdy';
import { PodPortDialer } from './pod-port.dialer';
import { SpdySession, SpdyTransport } from './spdy/spdy.session';

export const PORT_FORWARD_PATH = /^\/portForward\/([^/]+)\/([^/]+)$/;
const STREAM_PROTOCOL = 'portforward.k8s.io';
/** kubectl ≥ 1.30: SPDY/3.1 frames carried in WebSocket binary messages. */
export const SPDY_TUNNEL_PROTOCOL = `SPDY/3.1+${STREAM_PROTOCOL}`;
const CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', STREAM_PROTOCOL];

function pickProtocol(offered: Iterable<string>): string | undefined {
  const list = [...offered].map((p) => p.trim());
  return [SPDY_TUNNEL_PROTOCOL, ...CHANNEL_PROTOCOLS].find((p) => list.includes(p));
}

/**
 * kubelet's portForward endpoint, `/portForward/<ns>/<pod>`, reached through the API server's
 * upgrade proxy. Three transports: SPDY tunneled in WebSocket (kubectl), a plain SPDY/3.1 upgrade
 * (kubectl's fallback, `POST`), and v4.channel.k8s.io WebSocket channels (client-node, `?ports=`).
 */
export class PortForwardUpgradeHandler {
  private readonly log = new Logger('port-forward');
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => pickProtocol(protocols) ?? false,
  });
  // `ws` refuses `SPDY/3.1+portforward.k8s.io` (a "/" is not a token character), so that offer is
  // taken off the request before the handshake and the choice added to the 101 answer here.
  private readonly tunneling = new WeakSet<IncomingMessage>();

  constructor(
    private readonly auth: AgentAuthService,
    private readonly locator: ContainerLogLocator,
    private readonly dialer = new PodPortDialer(),
  ) {
    this.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      if (this.tunneling.has(req)) headers.push(`Sec-WebSocket-Protocol: ${SPDY_TUNNEL_PROTOCOL}`);
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.upgrade(req, socket, head).catch((err: unknown) => {
      const e = ApiError.from(err);
      const body = JSON.stringify(e.toStatus());
      socket.end(
        `HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent.local');
    const m = PORT_FORWARD_PATH.exec(url.pathname);
    if (!m) throw ApiError.pathNotFound(url.pathname);
    this.auth.check(req);
    const [namespace, pod] = m.slice(1).map(decodeURIComponent);
    const label = `${namespace}/${pod}`;
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') {
      const protocol = pickProtocol(String(req.headers['sec-websocket-protocol'] ?? '').split(','));
      if (!protocol)
        throw ApiError.badRequest(
          `port forwarding needs one of the protocols ${[SPDY_TUNNEL_PROTOCOL, ...CHANNEL_PROTOCOLS].join(', ')}`,
        );
      const ports = protocol === SPDY_TUNNEL_PROTOCOL ? [] : parsePorts(url.searchParams);
      if (!ports) throw ApiError.badRequest('query parameter "ports" must list the ports to forward (1-65535)');
      const target = await this.locator.locatePortForward(namespace, pod);
      if (protocol === SPDY_TUNNEL_PROTOCOL) {
        delete req.headers['sec-websocket-protocol'];
        this.tunneling.add(req);
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (protocol === SPDY_TUNNEL_PROTOCOL) this.tunnel(ws, target, label);
        else servePortForwardChannels(ws, ports, target, this.dialer, label);
      });
      return;
    }
    if (upgrade === 'spdy/3.1') {
      const versions = String(req.headers['x-stream-protocol-version'] ?? '')
        .split(',')
        .map((v) => v.trim());
      if (!versions.includes(STREAM_PROTOCOL))
        throw ApiError.forbidden(
          { group: '', resource: 'pods', name: pod },
          `unable to upgrade: no common stream protocol (${STREAM_PROTOCOL})`,
        );
      const target = await this.locator.locatePortForward(namespace, pod);
      socket.write(
        [
          'HTTP/1.1 101 Switching Protocols',
          'Connection: Upgrade',
          'Upgrade: SPDY/3.1',
          `X-Stream-Protocol-Version: ${STREAM_PROTOCOL}`,
          '',
          '',
        ].join('\r\n'),
      );
      this.spdyOverSocket(socket, head, target, label);
      return;
    }
    throw ApiError.badRequest('port forwarding needs a WebSocket or SPDY/3.1 upgrade');
  }

  private tunnel(ws: WebSocket, target: PortForwardTarget, label: string): void {
    const transport: SpdyTransport = {
      write: (chunk) =>
        new Promise((resolve) =>
          ws.readyState === WebSocket.OPEN ? ws.send(chunk, { binary: true }, () => resolve()) : resolve(),
        ),
      close: () => ws.close(1000),
    };
    const { session, forwarder } = this.session(transport, target, label);
    ws.on('message', (data: Buffer) => session.receive(data));
    ws.on('close', () => {
      session.transportClosed();
      forwarder.close();
    });
  }

  private spdyOverSocket(socket: Duplex, head: Buffer, target: PortForwardTarget, label: string): void {
    const transport: SpdyTransport = {
      write: (chunk) => new Promise((resolve) => (socket.writable ? socket.write(chunk, () => resolve()) : resolve())),
      close: () => socket.end(),
    };
    const { session, forwarder } = this.session(transport, target, label);
    if (head.length > 0) session.receive(head);
    socket.on('data', (chunk: Buffer) => session.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      session.transportClosed();
      forwarder.close();
    });
  }

  private session(
    transport: SpdyTransport,
    target: PortForwardTarget,
    label: string,
  ): { session: SpdySession; forwarder: SpdyPortForwarder } {
    const forwarder = new SpdyPortForwarder(target, this.dialer, label);
    const session = new SpdySession(transport, forwarder.accept, (err) =>
      this.log.warn(`port-forward to ${label}: ${err.message}`),
    );
    return { session, forwarder };
  }
}
