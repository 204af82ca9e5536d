import type { EndpointSlice, Service } from '@skiff/kube-types';
import { ClusterZone, reverseName } from './cluster-zone';

const service = (name: string, spec: Service['spec'], namespace = 'default'): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec,
});

const slice = (
  service: string,
  endpoints: { ip: string; ready?: boolean; hostname?: string }[],
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP' }[],
  name = `${service}-abcde`,
  namespace = 'default',
): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: ports.map((p) => ({ protocol: 'TCP' as const, ...p })),
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    conditions: { ready: e.ready ?? true },
    ...(e.hostname ? { hostname: e.hostname } : {}),
  })),
});

describe(ClusterZone.name, () => {
  const zone = new ClusterZone(
    'cluster.local',
    [
      service('web', {
        clusterIP: '10.96.0.20',
        clusterIPs: ['10.96.0.20'],
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
          { port: 9090 },
        ],
      }),
      service('db', { clusterIP: 'None', ports: [{ name: 'sql', port: 5432 }] }),
      service('empty', { clusterIP: 'None' }),
      service('pending', { ports: [{ port: 80 }] }),
      service('search', { type: 'ExternalName', externalName: 'search.example.com.' }),
      service('api', { clusterIP: '10.96.0.30' }, 'team-b'),
    ],
    [
      slice('web', [{ ip: '10.244.1.5' }, { ip: '10.244.1.6', ready: false }], [{ name: 'http', port: 8080 }]),
      slice(
        'db',
        [
          { ip: '10.244.2.10', hostname: 'db-0' },
          { ip: '10.244.2.11', hostname: 'db-1' },
          { ip: '10.244.2.12', ready: false, hostname: 'db-2' },
        ],
        [{ name: 'sql', port: 5432 }],
        'db-1111',
      ),
      // A second slice of the same Service: its endpoints join the first's.
      slice('db', [{ ip: '10.244.2.13' }], [{ name: 'sql', port: 5432 }], 'db-2222'),
      slice('empty', [{ ip: '10.244.3.1', ready: false }], []),
    ],
    42,
  );
  const data = (name: string, type: Parameters<ClusterZone['lookup']>[1]) =>
    zone.lookup(name, type).answers.map((a) => ('data' in a ? a.data : undefined));

  it('answers a ClusterIP Service with its ClusterIP, TTL 5, and not its endpoints', () => {
    const { rcode, answers } = zone.lookup('web.default.svc.cluster.local', 'A');
    expect(rcode).toBe('NOERROR');
    expect(answers).toEqual([
      { type: 'A', name: 'web.default.svc.cluster.local', ttl: 5, class: 'IN', data: '10.96.0.20' },
    ]);
    expect(data('api.team-b.svc.cluster.local', 'A')).toEqual(['10.96.0.30']);
  });

  it('answers a headless Service with its ready endpoints from every slice', () => {
    expect(data('db.default.svc.cluster.local', 'A')).toEqual(['10.244.2.10', '10.244.2.11', '10.244.2.13']);
  });

  it('names endpoints by hostname, else by dashed address', () => {
    expect(data('db-0.db.default.svc.cluster.local', 'A')).toEqual(['10.244.2.10']);
    expect(data('10-244-2-13.db.default.svc.cluster.local', 'A')).toEqual(['10.244.2.13']);
    expect(data('10-244-1-5.web.default.svc.cluster.local', 'A')).toEqual(['10.244.1.5']);
    // Not ready: no name.
    expect(zone.lookup('db-2.db.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  it('serves SRV per named port: the Service for a ClusterIP, each endpoint for headless, with addresses', () => {
    expect(data('_http._tcp.web.default.svc.cluster.local', 'SRV')).toEqual([
      { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
    ]);
    expect(data('_dns._udp.web.default.svc.cluster.local', 'SRV')).toEqual([
      expect.objectContaining({ port: 53, target: 'web.default.svc.cluster.local' }),
    ]);
    const db = zone.lookup('_sql._tcp.db.default.svc.cluster.local', 'SRV');
    expect(db.answers.map((a) => ('data' in a ? a.data : undefined))).toEqual([
      { priority: 0, weight: 33, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
      { priority: 0, weight: 33, port: 5432, target: 'db-1.db.default.svc.cluster.local' },
      { priority: 0, weight: 33, port: 5432, target: '10-244-2-13.db.default.svc.cluster.local' },
    ]);
    expect(db.additionals).toEqual([
      expect.objectContaining({ type: 'A', name: 'db-0.db.default.svc.cluster.local', data: '10.244.2.10' }),
      expect.objectContaining({ type: 'A', name: 'db-1.db.default.svc.cluster.local', data: '10.244.2.11' }),
      expect.objectContaining({ type: 'A', name: '10-244-2-13.db.default.svc.cluster.local', data: '10.244.2.13' }),
    ]);
    // An unnamed port has no _port._proto name; the wrong protocol is no name either.
    expect(zone.lookup('_http._udp.web.default.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
    // SRV at the Service's own name lists every port.
    expect(data('web.default.svc.cluster.local', 'SRV').map((d) => (d as { port: number }).port)).toEqual([
      80, 53, 9090,
    ]);
  });

  it('serves PTR for ClusterIPs and endpoint addresses', () => {
    expect(data(reverseName('10.96.0.20')!, 'PTR')).toEqual(['web.default.svc.cluster.local']);
    expect(data(reverseName('10.244.2.10')!, 'PTR')).toEqual(['db-0.db.default.svc.cluster.local']);
    expect(data(reverseName('10.244.1.5')!, 'PTR')).toEqual(['10-244-1-5.web.default.svc.cluster.local']);
    expect(zone.knowsPointer(reverseName('10.244.1.6')!)).toBe(false);
    expect(zone.knowsPointer('8.8.8.8.in-addr.arpa')).toBe(false);
    expect(reverseName('10.96.0.10')).toBe('10.0.96.10.in-addr.arpa');
  });

  it('answers an ExternalName Service with a CNAME whatever the type', () => {
    for (const type of ['A', 'AAAA', 'CNAME', 'SRV'] as const)
      expect(zone.lookup('search.default.svc.cluster.local', type).answers).toEqual([
        { type: 'CNAME', name: 'search.default.svc.cluster.local', ttl: 5, class: 'IN', data: 'search.example.com' },
      ]);
  });

  it('answers pod names from the name itself, and only well-formed ones', () => {
    expect(data('10-244-7-9.default.pod.cluster.local', 'A')).toEqual(['10.244.7.9']);
    expect(data('10-244-7-9.any-ns.pod.cluster.local', 'AAAA')).toEqual([]);
    expect(zone.lookup('10-244-7-300.default.pod.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(zone.lookup('10-244-07-9.default.pod.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  it('tells NXDOMAIN (no such name) from NODATA (the name exists, not that type)', () => {
    expect(zone.lookup('nope.default.svc.cluster.local', 'A')).toEqual({
      rcode: 'NXDOMAIN',
      answers: [],
      additionals: [],
    });
    expect(zone.lookup('web.nope.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(zone.lookup('web.default.svc.cluster.local', 'AAAA')).toEqual({
      rcode: 'NOERROR',
      answers: [],
      additionals: [],
    });
    expect(zone.lookup('web.default.svc.cluster.local', 'TXT').rcode).toBe('NOERROR');
    // Names with something below them exist: the namespace, svc, the zone itself, a port's protocol label.
    for (const n of [
      'default.svc.cluster.local',
      'team-b.svc.cluster.local',
      'svc.cluster.local',
      'pod.cluster.local',
      '_tcp.web.default.svc.cluster.local',
      'cluster.local',
    ])
      expect([n, zone.lookup(n, 'A').rcode]).toEqual([n, 'NOERROR']);
    // A Service without a ClusterIP yet exists; a headless one without ready endpoints does not (as CoreDNS).
    expect(zone.lookup('pending.default.svc.cluster.local', 'A')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(zone.lookup('empty.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  it('serves SOA and NS at the apex, and the schema version', () => {
    expect(zone.lookup('cluster.local', 'SOA').answers).toEqual([
      expect.objectContaining({
        type: 'SOA',
        data: expect.objectContaining({ mname: 'ns.dns.cluster.local', serial: 42, minimum: 5 }),
      }),
    ]);
    expect(data('cluster.local', 'NS')).toEqual(['ns.dns.cluster.local']);
    expect(data('dns-version.cluster.local', 'TXT')).toEqual(['1.1.0']);
  });

  it('echoes the name as the client spelled it', () => {
    expect(zone.lookup('web.default.svc.cluster.local', 'A', 'WEB.Default.svc.cluster.local.').answers[0].name).toBe(
      'WEB.Default.svc.cluster.local.',
    );
  });

  it('serves another cluster domain', () => {
    const other = new ClusterZone('corp.internal', [service('web', { clusterIP: '10.96.0.20' })], []);
    expect(other.contains('web.default.svc.corp.internal')).toBe(true);
    expect(other.contains('web.default.svc.cluster.local')).toBe(false);
    expect(other.lookup('web.default.svc.corp.internal', 'A').answers).toHaveLength(1);
  });
});
