import * as dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';
import { createSocket, Socket } from 'node:dgram';
import { UpstreamForwarder } from './upstream-forwarder';

/** A resolver of the test's own on loopback: answers every A question with `address`, or stays silent. */
async function loopbackResolver(address?: string): Promise<{ socket: Socket; port: number; seen: DecodedPacket[] }> {
  const socket = createSocket('udp4');
  const seen: DecodedPacket[] = [];
  socket.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    seen.push(q);
    if (!address) return;
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id,
      questions: q.questions,
      answers: [{ type: 'A', name: q.questions![0].name, data: address }],
    });
    // Answer the second query first, so replies arrive out of order.
    setTimeout(() => socket.send(reply, rinfo.port, rinfo.address), seen.length === 1 ? 30 : 0);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, seen };
}

const query = (id: number, name: string): Buffer =>
  dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A' }] });

describe(UpstreamForwarder.name, () => {
  const sockets: Socket[] = [];
  let forwarder: UpstreamForwarder | undefined;
  afterEach(() => {
    forwarder?.close();
    for (const s of sockets.splice(0)) s.close();
  });

  it('relays each reply to its own query with the client’s id, even when two clients chose the same id', async () => {
    const upstream = await loopbackResolver('127.0.0.9');
    sockets.push(upstream.socket);
    forwarder = new UpstreamForwarder([{ host: '127.0.0.1', port: upstream.port }]);
    const [a, b] = await Promise.all([
      forwarder.resolve(query(5, 'a.example')),
      forwarder.resolve(query(5, 'b.example')),
    ]);
    expect(dnsPacket.decode(a!)).toMatchObject({ id: 5, questions: [{ name: 'a.example' }] });
    expect(dnsPacket.decode(b!)).toMatchObject({ id: 5, questions: [{ name: 'b.example' }] });
    // Upstream saw ids of the forwarder's own choosing, different from each other.
    expect(new Set(upstream.seen.map((q) => q.id)).size).toBe(2);
  });

  it('asks the next resolver when one stays silent, and gives up with nothing when all do', async () => {
    const silent = await loopbackResolver();
    const answering = await loopbackResolver('127.0.0.10');
    sockets.push(silent.socket, answering.socket);
    forwarder = new UpstreamForwarder(
      [
        { host: '127.0.0.1', port: silent.port },
        { host: '127.0.0.1', port: answering.port },
      ],
      200,
    );
    const reply = await forwarder.resolve(query(9, 'c.example'));
    expect(dnsPacket.decode(reply!).answers).toEqual([expect.objectContaining({ data: '127.0.0.10' })]);
    expect(silent.seen).toHaveLength(1);

    const onlySilent = new UpstreamForwarder([{ host: '127.0.0.1', port: silent.port }], 100);
    await expect(onlySilent.resolve(query(10, 'd.example'))).resolves.toBeUndefined();
    onlySilent.close();
  });
});
