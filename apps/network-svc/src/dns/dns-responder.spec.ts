import type { EndpointSlice, Service } from '@skiff/kube-types';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet, RecordType } from 'dns-packet';
import { ClusterZone } from './cluster-zone';
import { DnsResponder, UpstreamResolver, ZoneSource } from './dns-responder';

/** dns-packet's decoded header also carries the rcode and opcode as names; its types leave them out. */
type Reply = DecodedPacket & { rcode: string; opcode: string };
const decode = (bytes: Buffer): Reply => dnsPacket.decode(bytes) as Reply;

class FixedZone extends ZoneSource {
  readonly domain = 'cluster.local';
  constructor(public zone?: ClusterZone) {
    super();
  }
  current(): ClusterZone | undefined {
    return this.zone;
  }
}

class FakeUpstream extends UpstreamResolver {
  readonly asked: Buffer[] = [];
  constructor(private readonly reply: (q: Buffer) => Buffer | undefined) {
    super();
  }
  resolve(query: Buffer): Promise<Buffer | undefined> {
    this.asked.push(query);
    return Promise.resolve(this.reply(query));
  }
}

// Twenty ready endpoints: their A answer (≈ 1 KB, names are not compressed) is too big for 512 bytes.
const endpoints = Array.from({ length: 20 }, (_, i) => ({
  addresses: [`10.244.5.${i + 1}`],
  conditions: { ready: true },
}));
const services: Service[] = [
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { clusterIP: '10.96.0.20' },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'big', namespace: 'default' }, spec: { clusterIP: 'None' } },
];
const slices: EndpointSlice[] = [
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'big-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'big' } },
    addressType: 'IPv4',
    endpoints,
  },
];

function query(name: string, type: RecordType, extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    ...extra,
  });
}

const edns = (size: number): Packet['additionals'] => [
  {
    type: 'OPT',
    name: '.',
    udpPayloadSize: size,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  },
];

const dataOf = (p: Reply): unknown[] => (p.answers ?? []).map((a) => ('data' in a ? a.data : undefined));

describe(DnsResponder.name, () => {
  const zones = new FixedZone(new ClusterZone('cluster.local', services, slices, 7));
  const responder = new DnsResponder(zones);
  const ask = (msg: Buffer, transport: 'udp' | 'tcp' = 'udp'): Reply => {
    const reply = responder.respond(msg, transport);
    if (!(reply instanceof Buffer)) throw new Error(`expected a synchronous reply, got ${String(reply)}`);
    return decode(reply);
  };

  it('answers a cluster name authoritatively, echoing id, question and RD', () => {
    const r = ask(query('web.default.svc.cluster.local', 'A'));
    expect(r).toMatchObject({
      id: 4242,
      type: 'response',
      rcode: 'NOERROR',
      flag_aa: true,
      flag_rd: true,
      flag_tc: false,
      flag_ra: false,
    });
    expect(r.questions).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' }]);
    expect(r.answers).toEqual([
      expect.objectContaining({ name: 'web.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' }),
    ]);
    expect(r.authorities).toEqual([]);
  });

  it('puts the zone SOA in authority of NXDOMAIN and NODATA answers', () => {
    const nx = ask(query('nope.default.svc.cluster.local', 'A'));
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', flag_aa: true, answers: [] });
    expect(nx.authorities).toEqual([
      expect.objectContaining({
        type: 'SOA',
        name: 'cluster.local',
        ttl: 5,
        data: expect.objectContaining({ serial: 7, minimum: 5 }),
      }),
    ]);
    const nodata = ask(query('web.default.svc.cluster.local', 'AAAA'));
    expect(nodata).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(nodata.authorities?.[0]).toMatchObject({ type: 'SOA' });
  });

  it('refuses names outside the cluster at once when nothing is forwarded', () => {
    expect(ask(query('example.com', 'A'))).toMatchObject({ rcode: 'REFUSED', flag_aa: false, answers: [] });
    expect(ask(query('1.0.0.127.in-addr.arpa', 'PTR'))).toMatchObject({ rcode: 'REFUSED' });
    expect(ask(query('20.0.96.10.in-addr.arpa', 'PTR')).answers).toEqual([
      expect.objectContaining({ type: 'PTR', data: 'web.default.svc.cluster.local' }),
    ]);
  });

  it('forwards names outside the cluster when an upstream is set, and says SERVFAIL when it gives nothing', async () => {
    const upstream = new FakeUpstream((q) =>
      q.includes(Buffer.from('example'))
        ? dnsPacket.encode({
            type: 'response',
            id: q.readUInt16BE(0),
            flags: dnsPacket.RECURSION_AVAILABLE,
            questions: decode(q).questions,
            answers: [{ type: 'A', name: 'example.com', data: '127.0.0.9' }],
          })
        : undefined,
    );
    const forwarding = new DnsResponder(zones, upstream);
    const ok = decode((await forwarding.respond(query('example.com', 'A'), 'udp'))!);
    expect(ok).toMatchObject({ id: 4242, rcode: 'NOERROR', answers: [expect.objectContaining({ data: '127.0.0.9' })] });
    const failed = decode((await forwarding.respond(query('other.org', 'A'), 'udp'))!);
    expect(failed).toMatchObject({ id: 4242, rcode: 'SERVFAIL', flag_ra: true });
    // Cluster names never leave.
    expect(ask(query('web.default.svc.cluster.local', 'A')).rcode).toBe('NOERROR');
    expect(upstream.asked).toHaveLength(2);
  });

  it('says SERVFAIL for cluster names until the caches have listed, never a false NXDOMAIN', () => {
    const unsynced = new DnsResponder(new FixedZone(undefined));
    const r = decode(unsynced.respond(query('web.default.svc.cluster.local', 'A'), 'udp') as Buffer);
    expect(r.rcode).toBe('SERVFAIL');
  });

  it('sets TC over UDP when the answer exceeds 512 bytes or the client’s EDNS size, and answers in full over TCP', () => {
    const udp = ask(query('big.default.svc.cluster.local', 'A'));
    expect(udp).toMatchObject({ flag_tc: true, answers: [], rcode: 'NOERROR' });
    expect(udp.questions).toHaveLength(1);
    const tcp = ask(query('big.default.svc.cluster.local', 'A'), 'tcp');
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(20);
    // EDNS with room: the whole answer over UDP, with our OPT.
    const bigUdp = ask(query('big.default.svc.cluster.local', 'A', { additionals: edns(1232) }));
    expect(bigUdp.flag_tc).toBe(false);
    expect(bigUdp.answers).toHaveLength(20);
    expect(bigUdp.additionals).toEqual([expect.objectContaining({ type: 'OPT', udpPayloadSize: 1232 })]);
    // EDNS without room (a size under 512 counts as 512).
    expect(ask(query('big.default.svc.cluster.local', 'A', { additionals: edns(300) })).flag_tc).toBe(true);
  });

  it('answers FORMERR to undecodable messages with a readable header, and drops the rest', () => {
    const garbage = Buffer.concat([
      Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0x3f, 0x61]),
    ]);
    const r = responder.respond(garbage, 'udp') as Buffer;
    expect(r).toHaveLength(12);
    expect(r.readUInt16BE(0)).toBe(0x1234);
    expect(decode(r)).toMatchObject({ type: 'response', rcode: 'FORMERR', flag_rd: true });
    expect(responder.respond(Buffer.from([1, 2, 3]), 'udp')).toBeUndefined();
    // A reply sent to the server is not answered.
    const reply = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }],
    });
    expect(responder.respond(reply, 'udp')).toBeUndefined();
  });

  it('answers FORMERR to several questions and NOTIMP to other opcodes', () => {
    const two = dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [
        { name: 'a.cluster.local', type: 'A' },
        { name: 'b.cluster.local', type: 'A' },
      ],
    });
    expect(ask(two).rcode).toBe('FORMERR');
    const update = query('web.default.svc.cluster.local', 'A', { flags: 5 << 11 });
    expect(ask(update)).toMatchObject({ rcode: 'NOTIMP', opcode: 'UPDATE' });
  });

  it('answers a repeated query with the id of each asker, and from the new zone once it changes', () => {
    const changing = new FixedZone(new ClusterZone('cluster.local', services, slices));
    const r = new DnsResponder(changing);
    const q = query('web.default.svc.cluster.local', 'A');
    const again = Buffer.from(q);
    again.writeUInt16BE(777, 0);
    expect(decode(r.respond(q, 'udp') as Buffer).id).toBe(4242);
    const second = decode(r.respond(again, 'udp') as Buffer);
    expect(second).toMatchObject({ id: 777, answers: [expect.objectContaining({ data: '10.96.0.20' })] });
    const moved: Service = { ...services[0], spec: { clusterIP: '10.96.0.99' } };
    changing.zone = new ClusterZone('cluster.local', [moved], []);
    expect(dataOf(decode(r.respond(again, 'udp') as Buffer))).toEqual(['10.96.0.99']);
  });

  it('never throws on random bytes', () => {
    let seed = 1;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const valid = query('db-0.db.default.svc.cluster.local', 'SRV');
    for (let i = 0; i < 5000; i++) {
      // Half pure noise, half a valid query with bytes flipped (past the header), so decoding gets far.
      const msg =
        i % 2
          ? Buffer.from(Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256)))
          : Buffer.from(valid.map((b, j) => (j >= 12 && random() < 0.1 ? Math.floor(random() * 256) : b)));
      msg[2] &= 0x7f; // a query, so it is looked at
      expect(() => responder.respond(msg, i % 3 ? 'udp' : 'tcp')).not.toThrow();
    }
  });
});
