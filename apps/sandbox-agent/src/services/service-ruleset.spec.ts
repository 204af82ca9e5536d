import { EndpointSlice, Service } from '@skiff/kube-types';
import { Ipv4Cidr, servicePortPlans, serviceRulesOf, updateRuleset } from '@skiff/service-routing';
import { fullRuleset } from './service-ruleset';

const POD_CIDR = new Ipv4Cidr('10.244.7.0/24');
const TABLE = { table: 'skiffT1_svc', bridge: 'skiffT1' };

function service(name: string, spec: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'shop', name, uid: `uid-${name}` },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.3.4',
      clusterIPs: ['10.96.3.4'],
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      ...spec,
    },
  };
}

type Conditions = { ready?: boolean; serving?: boolean; terminating?: boolean };

function slice(
  svc: string,
  endpoints: [string, Conditions?][],
  ports: EndpointSlice['ports'] = [{ name: 'http', port: 8080, protocol: 'TCP' }],
  name = `${svc}-abc`,
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: { namespace: 'shop', name, labels: { 'kubernetes.io/service-name': svc } },
    endpoints: endpoints.map(([ip, conditions]) => ({ addresses: [ip], conditions: conditions ?? { ready: true } })),
    ports,
  };
}

describe('servicePortPlans', () => {
  it("sends a system Service's gateway endpoint on a host service port to the host's loopback, and nothing else there", () => {
    const host = { gateway: '10.244.7.1', ports: [6443, 10053] };
    const kube = {
      ...service('kubernetes', { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] }),
      metadata: { namespace: 'default', name: 'kubernetes' },
    };
    const kubeSlice = {
      ...slice('kubernetes', [['10.244.7.1']], [{ name: 'https', port: 6443, protocol: 'TCP' }]),
      metadata: { namespace: 'default', name: 'kubernetes-x', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    };
    const [plan] = servicePortPlans(kube, [kubeSlice], POD_CIDR, host);
    expect(plan.endpoints).toEqual([{ ip: '127.0.0.1', port: 6443, host: true }]);
    expect(serviceRulesOf([plan]).chains[0].rules).toEqual([
      'meta mark set meta mark | 0x8000',
      'meta l4proto tcp dnat ip to 127.0.0.1:6443',
    ]);
    // Another port of the host, or a user's Service pointing at the gateway: not programmed.
    const otherPort = { ...kubeSlice, ports: [{ name: 'https', port: 5432, protocol: 'TCP' as const }] };
    expect(servicePortPlans(kube, [otherPort], POD_CIDR, host)[0].endpoints).toEqual([]);
    const users = servicePortPlans(
      service('sneaky', { ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 6443 }] }),
      [slice('sneaky', [['10.244.7.1']], [{ name: 'http', port: 6443, protocol: 'TCP' }])],
      POD_CIDR,
      host,
    );
    expect(users[0].endpoints).toEqual([]);
  });

  it('uses ready endpoints with the target port of the slice port of the same name and protocol', () => {
    const plans = servicePortPlans(
      service('web'),
      [
        slice('web', [['10.244.7.12'], ['10.244.7.3'], ['10.244.7.9', { ready: false }]]),
        slice('other', [['10.244.7.50']], undefined, 'other-x'),
      ],
      POD_CIDR,
    );
    expect(plans).toEqual([
      {
        namespace: 'shop',
        service: 'web',
        portName: 'http',
        protocol: 'tcp',
        addresses: ['10.96.3.4'],
        port: 80,
        endpoints: [
          { ip: '10.244.7.3', port: 8080 },
          { ip: '10.244.7.12', port: 8080 },
        ],
        affinityTimeoutSeconds: undefined,
      },
    ]);
  });

  it('falls back to serving terminating endpoints only when none is ready', () => {
    const terminating = { ready: false, serving: true, terminating: true };
    const gone = { ready: false, serving: false, terminating: true };
    const onlyTerminating = servicePortPlans(
      service('web'),
      [
        slice('web', [
          ['10.244.7.3', terminating],
          ['10.244.7.4', gone],
        ]),
      ],
      POD_CIDR,
    );
    expect(onlyTerminating[0].endpoints).toEqual([{ ip: '10.244.7.3', port: 8080 }]);
    const withReady = servicePortPlans(
      service('web'),
      [slice('web', [['10.244.7.3', terminating], ['10.244.7.5']])],
      POD_CIDR,
    );
    expect(withReady[0].endpoints).toEqual([{ ip: '10.244.7.5', port: 8080 }]);
  });

  it('leaves out addresses the bridge does not reach, IPv6 slices, headless and ExternalName Services', () => {
    const v6: EndpointSlice = { ...slice('web', [['fd00::1']]), addressType: 'IPv6' };
    expect(servicePortPlans(service('web'), [slice('web', [['10.245.0.3']]), v6], POD_CIDR)[0].endpoints).toEqual([]);
    expect(servicePortPlans(service('web', { clusterIP: 'None', clusterIPs: ['None'] }), [], POD_CIDR)).toEqual([]);
    expect(
      servicePortPlans(
        service('web', { type: 'ExternalName', externalName: 'db.example', clusterIP: undefined, clusterIPs: [] }),
        [],
        POD_CIDR,
      ),
    ).toEqual([]);
  });

  it('names an unnamed port by its number, and reads the ClientIP affinity timeout (default 3 h)', () => {
    const unnamed = servicePortPlans(
      service('dns', { ports: [{ port: 53, protocol: 'UDP', targetPort: 5353 }], sessionAffinity: 'ClientIP' }),
      [slice('dns', [['10.244.7.3']], [{ port: 5353, protocol: 'UDP' }])],
      POD_CIDR,
    );
    expect(unnamed[0]).toMatchObject({
      portName: '53',
      protocol: 'udp',
      endpoints: [{ ip: '10.244.7.3', port: 5353 }],
      affinityTimeoutSeconds: 10_800,
    });
    const timed = servicePortPlans(
      service('web', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
      [],
      POD_CIDR,
    );
    expect(timed[0].affinityTimeoutSeconds).toBe(60);
  });
});

describe('serviceRulesOf', () => {
  it('picks a random endpoint through a numgen verdict map, with the hairpin mark and the DNAT per endpoint', () => {
    const rules = serviceRulesOf(
      servicePortPlans(service('web'), [slice('web', [['10.244.7.3'], ['10.244.7.4']])], POD_CIDR),
    );
    expect(rules.chains).toEqual([
      {
        name: 'endpoint-shop/web/tcp/http__10.244.7.3/8080',
        rules: ['ip saddr 10.244.7.3 jump mark-for-masquerade', 'meta l4proto tcp dnat ip to 10.244.7.3:8080'],
      },
      {
        name: 'endpoint-shop/web/tcp/http__10.244.7.4/8080',
        rules: ['ip saddr 10.244.7.4 jump mark-for-masquerade', 'meta l4proto tcp dnat ip to 10.244.7.4:8080'],
      },
      {
        name: 'service-shop/web/tcp/http',
        rules: [
          'numgen random mod 2 vmap { 0 : goto endpoint-shop/web/tcp/http__10.244.7.3/8080, 1 : goto endpoint-shop/web/tcp/http__10.244.7.4/8080 }',
        ],
      },
    ]);
    expect(rules.elements).toEqual([
      { map: 'service-ips', key: '10.96.3.4 . tcp . 80', verdict: 'goto service-shop/web/tcp/http' },
    ]);
    expect(rules.addresses).toEqual(['10.96.3.4']);
    expect(rules.sets).toEqual([]);
  });

  it('sends a port without endpoints to the reject chain and makes no chain for it', () => {
    const rules = serviceRulesOf(servicePortPlans(service('web'), [slice('web', [])], POD_CIDR));
    expect(rules.chains).toEqual([]);
    expect(rules.elements).toEqual([
      { map: 'no-endpoint-services', key: '10.96.3.4 . tcp . 80', verdict: 'goto reject-chain' },
    ]);
  });

  it('keeps ClientIP affinity in a timed set per endpoint, checked before the random pick', () => {
    const svc = service('web', {
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 30 } },
    });
    const rules = serviceRulesOf(servicePortPlans(svc, [slice('web', [['10.244.7.3'], ['10.244.7.4']])], POD_CIDR));
    const set3 = 'affinity-shop/web/tcp/http__10.244.7.3/8080-30s';
    expect(rules.sets.map((s) => s.name)).toEqual([set3, 'affinity-shop/web/tcp/http__10.244.7.4/8080-30s']);
    expect(rules.chains[0].rules).toEqual([
      'ip saddr 10.244.7.3 jump mark-for-masquerade',
      `update @${set3} { ip saddr }`,
      'meta l4proto tcp dnat ip to 10.244.7.3:8080',
    ]);
    expect(rules.chains[2].rules[0]).toBe(`ip saddr @${set3} goto endpoint-shop/web/tcp/http__10.244.7.3/8080`);
    expect(rules.chains[2].rules[2]).toMatch(/^numgen random mod 2 vmap/);
    const text = fullRuleset(TABLE, [rules]);
    expect(text).toContain(`  set ${set3} {\n    type ipv4_addr; flags dynamic,timeout; timeout 30s;\n  }`);
  });
});

describe('fullRuleset', () => {
  it('replaces the whole table: maps on the bridge, reject before the egress drop, hairpin masquerade only', () => {
    const rules = serviceRulesOf(servicePortPlans(service('web'), [slice('web', [['10.244.7.3']])], POD_CIDR));
    const text = fullRuleset(TABLE, [rules]);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'table inet skiffT1_svc {}',
      'delete table inet skiffT1_svc',
      'table inet skiffT1_svc {',
    ]);
    expect(text).toContain('type filter hook forward priority filter - 10; policy accept;');
    expect(text).toContain('iifname "skiffT1" ip daddr . meta l4proto . th dport vmap @no-endpoint-services');
    expect(text).toContain('iifname "skiffT1" ip daddr . meta l4proto . th dport vmap @service-ips');
    expect(text).toContain('meta l4proto tcp reject with tcp reset\n    reject\n');
    expect(text).toContain('oifname "skiffT1" jump masquerading');
    expect(text).toContain('meta mark & 0x4000 == 0 return');
    expect(text).toContain(
      '  chain service-shop/web/tcp/http {\n    goto endpoint-shop/web/tcp/http__10.244.7.3/8080\n  }',
    );
    expect(text).toContain(
      'add element inet skiffT1_svc service-ips { 10.96.3.4 . tcp . 80 : goto service-shop/web/tcp/http }',
    );
    expect(text).toContain('add element inet skiffT1_svc service-addresses { 10.96.3.4 }');
  });
});

describe('updateRuleset', () => {
  const rulesWith = (ips: string[], svc = service('web')) =>
    serviceRulesOf(
      servicePortPlans(
        svc,
        [
          slice(
            'web',
            ips.map((ip) => [ip]),
          ),
        ],
        POD_CIDR,
      ),
    );

  it('adds a new endpoint without touching the chains of the endpoints that stay', () => {
    const text = updateRuleset(TABLE.table, [
      { before: rulesWith(['10.244.7.3']), after: rulesWith(['10.244.7.3', '10.244.7.4']) },
    ]);
    expect(text.split('\n').filter(Boolean)).toEqual([
      'flush chain inet skiffT1_svc service-shop/web/tcp/http',
      'add chain inet skiffT1_svc endpoint-shop/web/tcp/http__10.244.7.4/8080',
      'add rule inet skiffT1_svc endpoint-shop/web/tcp/http__10.244.7.4/8080 ip saddr 10.244.7.4 jump mark-for-masquerade',
      'add rule inet skiffT1_svc endpoint-shop/web/tcp/http__10.244.7.4/8080 meta l4proto tcp dnat ip to 10.244.7.4:8080',
      'add rule inet skiffT1_svc service-shop/web/tcp/http numgen random mod 2 vmap { 0 : goto endpoint-shop/web/tcp/http__10.244.7.3/8080, 1 : goto endpoint-shop/web/tcp/http__10.244.7.4/8080 }',
    ]);
  });

  it('moves a Service that lost its last endpoint to the reject map: element first, then its chains', () => {
    const text = updateRuleset(TABLE.table, [{ before: rulesWith(['10.244.7.3']), after: rulesWith([]) }]);
    expect(text.split('\n').filter(Boolean)).toEqual([
      'delete element inet skiffT1_svc service-ips { 10.96.3.4 . tcp . 80 : goto service-shop/web/tcp/http }',
      'flush chain inet skiffT1_svc endpoint-shop/web/tcp/http__10.244.7.3/8080',
      'flush chain inet skiffT1_svc service-shop/web/tcp/http',
      'delete chain inet skiffT1_svc endpoint-shop/web/tcp/http__10.244.7.3/8080',
      'delete chain inet skiffT1_svc service-shop/web/tcp/http',
      'add element inet skiffT1_svc no-endpoint-services { 10.96.3.4 . tcp . 80 : goto reject-chain }',
    ]);
  });

  it('removes a deleted Service entirely and writes nothing for an unchanged one', () => {
    const before = rulesWith(['10.244.7.3']);
    expect(updateRuleset(TABLE.table, [{ before, after: rulesWith(['10.244.7.3']) }])).toBe('');
    const text = updateRuleset(TABLE.table, [{ before }]);
    expect(text).toContain('delete element inet skiffT1_svc service-addresses { 10.96.3.4 }');
    expect(text).toContain('delete chain inet skiffT1_svc service-shop/web/tcp/http');
    expect(text).not.toContain('add ');
  });

  it('replaces the affinity sets when the timeout changes', () => {
    const affinity = (timeoutSeconds: number) =>
      service('web', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds } } });
    const text = updateRuleset(TABLE.table, [
      { before: rulesWith(['10.244.7.3'], affinity(30)), after: rulesWith(['10.244.7.3'], affinity(60)) },
    ]);
    const lines = text.split('\n');
    const dropOld = lines.indexOf('delete set inet skiffT1_svc affinity-shop/web/tcp/http__10.244.7.3/8080-30s');
    const flushEp = lines.indexOf('flush chain inet skiffT1_svc endpoint-shop/web/tcp/http__10.244.7.3/8080');
    expect(flushEp).toBeGreaterThanOrEqual(0);
    expect(dropOld).toBeGreaterThan(flushEp);
    expect(lines).toContain(
      'add set inet skiffT1_svc affinity-shop/web/tcp/http__10.244.7.3/8080-60s { type ipv4_addr; flags dynamic,timeout; timeout 60s; }',
    );
  });
});
