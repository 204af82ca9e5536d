import { createSocket, Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { UpstreamResolver } from './dns-responder';
import { ResolverAddress } from './host-resolvers';

const TIMEOUT_MS = 2000;
// Beyond this many queries in flight a flood gets SERVFAIL at once instead of growing memory.
const MAX_IN_FLIGHT = 4096;

interface Pending {
  originalId: number;
  upstream: ResolverAddress;
  resolve: (reply: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * Forwards queries for names outside the cluster over UDP to the upstream resolvers in turn
 * (the next one when one times out), with an id of its own per query so replies to different
 * clients that chose the same id cannot be mixed up; a reply is accepted only from the resolver
 * it was sent to. Only used when an operator turns forwarding on (SKIFF_DNS_FORWARD).
 */
export class UpstreamForwarder extends UpstreamResolver {
  private readonly pending = new Map<number, Pending>();
  private readonly sockets = new Map<'udp4' | 'udp6', Socket>();
  private nextId = Math.floor(Math.random() * 0x10000);

  constructor(
    private readonly upstreams: ResolverAddress[],
    private readonly timeoutMs = TIMEOUT_MS,
  ) {
    super();
  }

  async resolve(query: Buffer): Promise<Buffer | undefined> {
    if (query.length < 12 || this.pending.size >= MAX_IN_FLIGHT) return undefined;
    for (const upstream of this.upstreams) {
      const reply = await this.ask(upstream, query);
      if (reply) return reply;
    }
    return undefined;
  }

  targets(): ResolverAddress[] {
    return this.upstreams;
  }

  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private ask(upstream: ResolverAddress, query: Buffer): Promise<Buffer | undefined> {
    const id = this.freeId();
    if (id === undefined) return Promise.resolve(undefined);
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, this.timeoutMs);
      this.pending.set(id, { originalId: query.readUInt16BE(0), upstream, resolve, timer });
      this.socketFor(upstream).send(out, upstream.port, upstream.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(undefined);
      });
    });
  }

  private onReply(msg: Buffer, from: { address: string; port: number }): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending.get(id);
    if (!p || p.upstream.port !== from.port || stripScope(p.upstream.host) !== stripScope(from.address)) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    const reply = Buffer.from(msg);
    reply.writeUInt16BE(p.originalId, 0);
    p.resolve(reply);
  }

  private freeId(): number | undefined {
    for (let i = 0; i < 0x10000; i++) {
      this.nextId = (this.nextId + 1) & 0xffff;
      if (!this.pending.has(this.nextId)) return this.nextId;
    }
    return undefined;
  }

  private socketFor(upstream: ResolverAddress): Socket {
    const family = isIPv6(stripScope(upstream.host)) ? 'udp6' : 'udp4';
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = createSocket(family);
      socket.on('message', (msg, rinfo) => this.onReply(msg, rinfo));
      // A send error (ICMP unreachable) surfaces here too; the timeout answers the query.
      socket.on('error', () => undefined);
      socket.unref();
      this.sockets.set(family, socket);
    }
    return socket;
  }
}

function stripScope(host: string): string {
  const i = host.indexOf('%');
  return i < 0 ? host : host.slice(0, i);
}
