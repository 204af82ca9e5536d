import { reportPod as reportPodStatus } from '../endpoints/pod-status.fixture';
import { apiRequest, eventually, freePort, startTestCluster, TestCluster } from '@skiff/testing';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, RecordType } from 'dns-packet';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

/** dns-packet's decoded header also carries the rcode and opcode as names; its types leave them out. */
type Reply = DecodedPacket & { rcode: string; opcode: string };
const decode = (bytes: Buffer): Reply => dnsPacket.decode(bytes) as Reply;

// network-svc's cluster DNS against a real API server, asked over UDP and TCP on loopback. Pods get
// their address and readiness the way an agent reports them (pods/status); ClusterIPs are chosen
// explicitly in 10.96.0.0/16.
const NS = 'dns-int';
const ZONE = 'cluster.local';

function udpQuery(port: number, message: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP answer'));
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(message, port, '127.0.0.1');
  });
}

/** Sends each message length-prefixed on one connection and collects as many answers. */
function tcpQueries(port: number, messages: Buffer[], timeoutMs = 5000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const answers: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${answers.length} of ${messages.length} TCP answers`));
    }, timeoutMs);
    socket.on('error', reject);
    socket.on('connect', () => {
      // All messages in one write, so the server must split them itself.
      socket.write(
        Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))),
      );
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        answers.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      }
      if (answers.length === messages.length) {
        clearTimeout(timer);
        socket.end();
        resolve(answers);
      }
    });
  });
}

let nextId = 1;
function query(name: string, type: RecordType): Buffer {
  nextId = (nextId % 65535) + 1;
  return dnsPacket.encode({
    type: 'query',
    id: nextId,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
  });
}

const dataOf = (p: Reply): unknown[] => (p.answers ?? []).map((a) => ('data' in a ? a.data : undefined));
const svcName = (name: string): string => `${name}.${NS}.svc.${ZONE}`;

describe('network-svc: cluster DNS', () => {
  let cluster: TestCluster;
  let port: number;
  const ns = `/api/v1/namespaces/${NS}`;

  const ask = async (name: string, type: RecordType, onPort = port): Promise<Reply> =>
    decode(await udpQuery(onPort, query(name, type)));
  /** Asks until `accept` holds: objects reach the DNS through the API's watch, not at once. */
  const askUntil = (name: string, type: RecordType, accept: (p: Reply) => boolean, onPort = port) =>
    eventually(
      async () => {
        const p = await ask(name, type, onPort);
        return accept(p) ? p : undefined;
      },
      20_000,
      `${type} ${name}`,
    );

  const create = async (path: string, body: Record<string, unknown>) => {
    const res = await apiRequest(cluster.stack, 'POST', `${ns}/${path}`, body);
    expect(res.status).toBe(201);
  };
  const reportPod = (name: string, ip: string, ready: boolean) => reportPodStatus(cluster.stack, NS, name, ip, ready);

  beforeAll(async () => {
    port = await freePort();
    cluster = await startTestCluster({ SKIFF_DNS_LISTEN: `127.0.0.1:${port}` }, ['api-gateway', 'network-svc']);
    const res = await apiRequest(cluster.stack, 'POST', '/api/v1/namespaces', { metadata: { name: NS } });
    expect(res.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    if (cluster) await apiRequest(cluster.stack, 'DELETE', `/api/v1/namespaces/${NS}`).catch(() => undefined);
    await cluster?.stop();
  });

  it('answers a ClusterIP Service: A, SRV for its named port and PTR, over UDP and TCP', async () => {
    await create('services', {
      metadata: { name: 'web' },
      spec: {
        clusterIP: '10.96.7.20',
        ports: [
          { name: 'http', port: 80 },
          { name: 'metrics', port: 9090 },
        ],
      },
    });
    const a = await askUntil(svcName('web'), 'A', (p) => p.answers!.length > 0);
    expect(a).toMatchObject({ rcode: 'NOERROR', flag_aa: true, flag_tc: false });
    expect(a.answers).toEqual([
      expect.objectContaining({ name: svcName('web'), type: 'A', ttl: 5, data: '10.96.7.20' }),
    ]);

    const srv = await ask(`_http._tcp.${svcName('web')}`, 'SRV');
    expect(dataOf(srv)).toEqual([{ priority: 0, weight: 100, port: 80, target: svcName('web') }]);
    expect(srv.additionals).toEqual([expect.objectContaining({ type: 'A', name: svcName('web'), data: '10.96.7.20' })]);
    expect(dataOf(await ask('20.7.96.10.in-addr.arpa', 'PTR'))).toEqual([svcName('web')]);

    const [tcpA, tcpSrv] = (
      await tcpQueries(port, [query(svcName('web'), 'A'), query(`_metrics._tcp.${svcName('web')}`, 'SRV')])
    ).map((b) => decode(b));
    expect(dataOf(tcpA)).toEqual(['10.96.7.20']);
    expect(dataOf(tcpSrv)).toEqual([expect.objectContaining({ port: 9090 })]);
  });

  it('answers a headless Service with its ready pods, each by hostname, with one SRV target per pod', async () => {
    for (const [i, ready] of [true, true, false].entries()) {
      await create('pods', {
        metadata: { name: `db-${i}`, labels: { app: 'db' } },
        spec: { hostname: `db-${i}`, subdomain: 'db', containers: [{ name: 'c', image: 'busybox' }] },
      });
      await reportPod(`db-${i}`, `10.244.9.${30 + i}`, ready);
    }
    await create('services', {
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'sql', port: 5432 }] },
    });
    const a = await askUntil(svcName('db'), 'A', (p) => p.answers!.length === 2);
    expect(dataOf(a).sort()).toEqual(['10.244.9.30', '10.244.9.31']);
    expect(dataOf(await ask(`db-0.${svcName('db')}`, 'A'))).toEqual(['10.244.9.30']);
    // The not-ready pod has no name yet.
    expect((await ask(`db-2.${svcName('db')}`, 'A')).rcode).toBe('NXDOMAIN');

    const srv = await ask(`_sql._tcp.${svcName('db')}`, 'SRV');
    expect(
      dataOf(srv)
        .map((d) => (d as { target: string }).target)
        .sort(),
    ).toEqual([`db-0.${svcName('db')}`, `db-1.${svcName('db')}`]);
    expect(dataOf(srv).every((d) => (d as { port: number }).port === 5432)).toBe(true);
    expect(dataOf(await ask('31.9.244.10.in-addr.arpa', 'PTR'))).toEqual([`db-1.${svcName('db')}`]);

    // The third pod turns ready: it is answered too.
    await reportPod('db-2', '10.244.9.32', true);
    const three = await askUntil(svcName('db'), 'A', (p) => p.answers!.length === 3);
    expect(dataOf(three).sort()).toEqual(['10.244.9.30', '10.244.9.31', '10.244.9.32']);
    expect(dataOf(await ask(`db-2.${svcName('db')}`, 'A'))).toEqual(['10.244.9.32']);
  });

  it('answers an ExternalName Service with a CNAME, pods by address, and the zone’s negative answers with its SOA', async () => {
    await create('services', {
      metadata: { name: 'search' },
      spec: { type: 'ExternalName', externalName: 'search.example.com' },
    });
    const cname = await askUntil(svcName('search'), 'A', (p) => p.answers!.length > 0);
    expect(cname.answers).toEqual([
      expect.objectContaining({ type: 'CNAME', name: svcName('search'), data: 'search.example.com' }),
    ]);

    expect(dataOf(await ask(`10-244-9-30.${NS}.pod.${ZONE}`, 'A'))).toEqual(['10.244.9.30']);

    const nx = await ask(svcName('nope'), 'A');
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', flag_aa: true, answers: [] });
    expect(nx.authorities).toEqual([
      expect.objectContaining({ type: 'SOA', name: ZONE, data: expect.objectContaining({ mname: `ns.dns.${ZONE}` }) }),
    ]);
    const nodata = await ask(svcName('web'), 'AAAA');
    expect(nodata).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(nodata.authorities).toEqual([expect.objectContaining({ type: 'SOA' })]);
    expect((await ask(`${NS}.svc.${ZONE}`, 'A')).rcode).toBe('NOERROR');
  });

  it('refuses names outside the cluster, and survives malformed packets', async () => {
    expect(await ask('example.com', 'A')).toMatchObject({ rcode: 'REFUSED', answers: [] });

    const formerr = await udpQuery(
      port,
      Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 0x61]),
    );
    expect(formerr.readUInt16BE(0)).toBe(0xabcd);
    expect(decode(formerr).rcode).toBe('FORMERR');
    // Too short to answer: dropped. Then a burst of noise over UDP and a broken TCP stream.
    await udpQuery(port, Buffer.from([1, 2, 3]), 300).then(
      () => {
        throw new Error('a 3-byte packet was answered');
      },
      () => undefined,
    );
    const noise = createSocket('udp4');
    for (let i = 0; i < 500; i++)
      noise.send(
        Buffer.from(Array.from({ length: 1 + (i % 60) }, (_, j) => (i * 31 + j * 7) & 0xff)),
        port,
        '127.0.0.1',
      );
    await new Promise((r) => setTimeout(r, 200));
    noise.close();
    await tcpQueries(port, [Buffer.from([1, 2])], 500).catch(() => undefined);

    // Still serving, over both transports.
    expect(dataOf(await ask(svcName('web'), 'A'))).toEqual(['10.96.7.20']);
    expect(dataOf(decode((await tcpQueries(port, [query(svcName('web'), 'A')]))[0]))).toEqual(['10.96.7.20']);
  });

  it('sets TC when a UDP answer exceeds 512 bytes, and gives it whole over TCP', async () => {
    // A selectorless Service with 30 user-written addresses (mirrored into an EndpointSlice).
    await create('services', { metadata: { name: 'wide' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    await create('endpoints', {
      metadata: { name: 'wide' },
      subsets: [
        { addresses: Array.from({ length: 30 }, (_, i) => ({ ip: `10.244.10.${i + 1}` })), ports: [{ port: 80 }] },
      ],
    });
    const truncated = await askUntil(svcName('wide'), 'A', (p) => p.flag_tc);
    expect(truncated.answers).toEqual([]);
    const [whole] = await tcpQueries(port, [query(svcName('wide'), 'A')]);
    expect(decode(whole)).toMatchObject({ flag_tc: false });
    expect(decode(whole).answers).toHaveLength(30);
  });

  it('answers on every replica, and from its last state while the API server is away', async () => {
    const replicaPort = await freePort();
    cluster.stack.addReplica('network-svc', {
      SKIFF_DNS_LISTEN: `127.0.0.1:${replicaPort}`,
      SKIFF_NETWORK_SVC_IDENTITY: 'dns-replica',
    });
    // This replica does not hold the controllers' Lease (the first one does), and answers all the same.
    await askUntil(svcName('db'), 'A', (p) => p.answers!.length === 3, replicaPort);
    expect(dataOf(await ask(svcName('web'), 'A', replicaPort))).toEqual(['10.96.7.20']);

    await cluster.stack.services.get('api-gateway')!.stop();
    for (const p of [port, replicaPort]) {
      expect(dataOf(await ask(svcName('web'), 'A', p))).toEqual(['10.96.7.20']);
      expect(dataOf(await ask(svcName('db'), 'A', p)).sort()).toEqual(['10.244.9.30', '10.244.9.31', '10.244.9.32']);
      expect((await ask(svcName('nope'), 'A', p)).rcode).toBe('NXDOMAIN');
    }
    // Long enough for the informers' watches to fail and retry at least once.
    await new Promise((r) => setTimeout(r, 3000));
    for (const p of [port, replicaPort]) expect(dataOf(await ask(svcName('web'), 'A', p))).toEqual(['10.96.7.20']);
  });
});
