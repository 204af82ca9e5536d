import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import { createServer, Server, Socket as TcpSocket, isIPv6 } from 'node:net';
import { DnsResponder } from './dns-responder';
import { frame, TcpMessageFramer } from './tcp-framing';

// A TCP client that says nothing for this long is dropped (RFC 7766 suggests seconds, not minutes).
const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 512;

export interface DnsServerLogger {
  warn(message: string): void;
}

/**
 * Serves a `DnsResponder` on one address over UDP and TCP. Nothing a client sends stops it: the
 * responder never throws, every socket error is contained to its connection, and replies to
 * clients that went away are dropped.
 */
export class DnsServer {
  private udp?: Socket;
  private tcp?: Server;
  private readonly connections = new Set<TcpSocket>();

  constructor(
    private readonly responder: DnsResponder,
    private readonly logger: DnsServerLogger,
  ) {}

  /** Binds UDP and TCP on host:port; rejects (and holds nothing) if either cannot be bound. */
  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    udp.on('message', (msg, rinfo) => this.onDatagram(udp, msg, rinfo));
    const tcp = createServer((socket) => this.onConnection(socket));
    tcp.maxConnections = MAX_TCP_CONNECTIONS;
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      tcp.close();
      throw err;
    }
    udp.on('error', (err) => this.logger.warn(`dns: UDP socket error: ${err.message}`));
    tcp.on('error', (err) => this.logger.warn(`dns: TCP server error: ${err.message}`));
    this.udp = udp;
    this.tcp = tcp;
    return { host, port };
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const tcp = this.tcp;
    this.tcp = undefined;
    await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
    const udp = this.udp;
    this.udp = undefined;
    await new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve()));
  }

  private onDatagram(udp: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    const send = (reply: Buffer | undefined): void => {
      // A send that fails (the client's port is gone) only loses that reply.
      if (reply && this.udp === udp) udp.send(reply, rinfo.port, rinfo.address, () => undefined);
    };
    const reply = this.responder.respond(msg, 'udp');
    if (reply instanceof Promise) void reply.then(send);
    else send(reply);
  }

  private onConnection(socket: TcpSocket): void {
    this.connections.add(socket);
    const framer = new TcpMessageFramer();
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      const messages = framer.push(chunk);
      if (!messages) return void socket.destroy();
      for (const msg of messages) {
        const send = (reply: Buffer | undefined): void => {
          if (reply && !socket.destroyed) socket.write(frame(reply));
        };
        const reply = this.responder.respond(msg, 'tcp');
        if (reply instanceof Promise) void reply.then(send);
        else send(reply);
      }
    });
  }
}
