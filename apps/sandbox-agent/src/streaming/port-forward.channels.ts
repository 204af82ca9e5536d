import { WebSocket } from 'ws';
import { PortForwardTarget } from './container-log-locator';
import { PodPortConnection, PodPortDialer } from './pod-port.dialer';

/**
 * kubelet's WebSocket port forwarding (v4.channel.k8s.io, what @kubernetes/client-node speaks):
 * one pod connection per `ports` entry, dialed at once; port i uses channel 2i for data and 2i+1
 * for errors, and the server starts each channel with the port as 2 little-endian bytes.
 */
export function servePortForwardChannels(
  ws: WebSocket,
  ports: number[],
  target: PortForwardTarget,
  dialer: PodPortDialer,
  podLabel: string,
): void {
  const send = (channel: number, data: Buffer): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const portBytes = (port: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(port);
    return b;
  };
  const conns: PodPortConnection[] = ports.map((port, i) => {
    send(2 * i, portBytes(port));
    send(2 * i + 1, portBytes(port));
    const conn = dialer.dial(target, port);
    conn.output.on('data', (d: Buffer) => send(2 * i, d));
    return conn;
  });
  ws.on('message', (msg: Buffer) => {
    if (msg.length === 0) return;
    const channel = msg[0];
    // Clients only write data channels; anything else is ignored like kubelet's write-only error channels.
    if (channel % 2 === 0 && conns[channel / 2]) conns[channel / 2].input.write(msg.subarray(1));
  });
  ws.on('close', () => conns.forEach((c) => c.close()));
  void Promise.all(
    conns.map(async (conn, i) => {
      const failure = await conn.done;
      if (failure) send(2 * i + 1, Buffer.from(`error forwarding port ${ports[i]} to pod ${podLabel}: ${failure}`));
    }),
  ).then(() => ws.readyState === WebSocket.OPEN && ws.close(1000));
}

/** `ports=8080,9090` or `ports=8080&ports=9090`, as kubelet reads them; undefined when one is not a port. */
export function parsePorts(query: URLSearchParams): number[] | undefined {
  const ports = query
    .getAll('ports')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (ports.length === 0) return undefined;
  const numbers = ports.map(Number);
  return numbers.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535) ? numbers : undefined;
}
