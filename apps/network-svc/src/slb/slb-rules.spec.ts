import { EndpointSlice, Service } from '@skiff/kube-types';
import { Ipv4Cidr, servicePortPlans, ServiceRules } from '@skiff/service-routing';
import { EdgeMaps } from '../edge/edge-ruleset';
import { SLB_ANNOTATION_PREFIX, slbOptionsOf } from './slb-options';
import { listenersOf, slbRulesOf } from './slb-rules';

const VSWITCH = new Ipv4Cidr('10.244.0.0/16');
const SLB = '198.18.0.1';
const CHAIN = 'service-shop/web/tcp/http';
const EP5 = 'endpoint-shop/web/tcp/http__10.244.1.5/8080';
const EP6 = 'endpoint-shop/web/tcp/http__10.244.1.6/8080';

function service(annotations: Record<string, string> = {}, spec: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      namespace: 'shop',
      name: 'web',
      uid: 'uid-web',
      annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [SLB_ANNOTATION_PREFIX + k, v])),
    },
    spec: {
      type: 'LoadBalancer',
      clusterIP: '10.96.3.4',
      clusterIPs: ['10.96.3.4'],
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      ...spec,
    },
  };
}

function slice(ips: string[], ports: EndpointSlice['ports'] = [{ name: 'http', port: 8080, protocol: 'TCP' }]) {
  const s: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: { namespace: 'shop', name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports,
  };
  return s;
}

/** The SLB rules of a Service as the reconciler builds them: its options from its annotations. */
function rulesOf(
  svc: Service,
  ips = ['10.244.1.5', '10.244.1.6'],
  ownsAddress = true,
  healthy?: Parameters<typeof slbRulesOf>[5],
): ServiceRules {
  const plans = servicePortPlans(svc, [slice(ips)], VSWITCH);
  return slbRulesOf(svc, SLB, plans, slbOptionsOf(svc).options, ownsAddress, healthy);
}

const ruleOf = (rules: ServiceRules, chain: string) => rules.chains.find((c) => c.name === chain)?.rules;
const aclOf = (rules: ServiceRules) => ruleOf(rules, 'acl-shop/web');

describe(slbRulesOf.name, () => {
  it('listens on the SLB address only, DNATing round-robin to the pods without hairpin marks (rr, the default)', () => {
    const rules = rulesOf(service());
    expect(rules).toEqual({
      sets: [],
      chains: [
        { name: EP5, rules: ['meta l4proto tcp dnat ip to 10.244.1.5:8080'] },
        { name: EP6, rules: ['meta l4proto tcp dnat ip to 10.244.1.6:8080'] },
        { name: CHAIN, rules: [`numgen inc mod 2 vmap { 0 : goto ${EP5}, 1 : goto ${EP6} }`] },
      ],
      elements: [{ map: 'service-ips', key: `${SLB} . tcp . 80`, verdict: `goto ${CHAIN}` }],
      addresses: [SLB],
    });
  });

  it('takes turns for wrr as for rr, and picks at random for wlc', () => {
    expect(ruleOf(rulesOf(service({ scheduler: 'wrr' })), CHAIN)).toEqual(ruleOf(rulesOf(service()), CHAIN));
    expect(ruleOf(rulesOf(service({ scheduler: 'wlc' })), CHAIN)).toEqual([
      `numgen random mod 2 vmap { 0 : goto ${EP5}, 1 : goto ${EP6} }`,
    ]);
  });

  it('keeps a client on its backend for persistence-timeout seconds with one affinity set per backend', () => {
    const rules = rulesOf(service({ 'persistence-timeout': '30' }));
    const set5 = 'affinity-shop/web/tcp/http__10.244.1.5/8080-30s';
    const set6 = 'affinity-shop/web/tcp/http__10.244.1.6/8080-30s';
    expect(rules.sets).toEqual([
      { name: set5, timeoutSeconds: 30 },
      { name: set6, timeoutSeconds: 30 },
    ]);
    expect(ruleOf(rules, CHAIN)).toEqual([
      `ip saddr @${set5} goto ${EP5}`,
      `ip saddr @${set6} goto ${EP6}`,
      `numgen inc mod 2 vmap { 0 : goto ${EP5}, 1 : goto ${EP6} }`,
    ]);
    expect(ruleOf(rules, EP5)).toEqual([`update @${set5} { ip saddr }`, 'meta l4proto tcp dnat ip to 10.244.1.5:8080']);
  });

  it("honours the Service's sessionAffinity ClientIP, with persistence-timeout winning when both are set", () => {
    const clientIp: Partial<Service['spec']> = {
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
    };
    expect(rulesOf(service({}, clientIp)).sets.map((s) => s.timeoutSeconds)).toEqual([600, 600]);
    expect(rulesOf(service({ 'persistence-timeout': '45' }, clientIp)).sets.map((s) => s.timeoutSeconds)).toEqual([
      45, 45,
    ]);
    // persistence-timeout 0 is off: the Service's own affinity stays.
    expect(rulesOf(service({ 'persistence-timeout': '0' }, clientIp)).sets.map((s) => s.timeoutSeconds)).toEqual([
      600, 600,
    ]);
  });

  it('closes an intranet SLB to the internet side, and only that one', () => {
    expect(rulesOf(service({ 'address-type': 'intranet' })).elements).toContainEqual({
      map: EdgeMaps.intranetOnly,
      key: SLB,
      verdict: 'drop',
    });
    expect(rulesOf(service({ 'address-type': 'internet' })).elements.map((e) => e.map)).toEqual(['service-ips']);
  });

  it('drops sources outside loadBalancerSourceRanges and a white ACL, each its own rule in the ACL chain', () => {
    const rules = rulesOf(
      service(
        { 'acl-status': 'on', 'acl-type': 'white', 'acl-id': '172.16.0.0/12, 203.0.113.7' },
        { loadBalancerSourceRanges: ['10.0.0.0/8', '192.168.1.9/24'] },
      ),
    );
    expect(aclOf(rules)).toEqual([
      'ip saddr != { 10.0.0.0/8, 192.168.1.0/24 } drop',
      'ip saddr != { 172.16.0.0/12, 203.0.113.7/32 } drop',
    ]);
    expect(rules.elements).toContainEqual({ map: EdgeMaps.acls, key: SLB, verdict: 'goto acl-shop/web' });
  });

  it('drops the sources of a black ACL', () => {
    const rules = rulesOf(service({ 'acl-status': 'on', 'acl-type': 'black', 'acl-id': '198.51.100.0/24' }));
    expect(aclOf(rules)).toEqual(['ip saddr { 198.51.100.0/24 } drop']);
  });

  it('has no ACL chain without ranges or with the ACL off', () => {
    for (const svc of [service(), service({ 'acl-status': 'off', 'acl-type': 'white', 'acl-id': '10.0.0.0/8' })]) {
      const rules = rulesOf(svc);
      expect(aclOf(rules)).toBeUndefined();
      expect(rules.elements.some((e) => e.map === EdgeMaps.acls)).toBe(false);
    }
  });

  it('adds no address-wide rules for a Service reusing another SLB, only its listeners', () => {
    const svc = service(
      { 'address-type': 'intranet', 'acl-status': 'on', 'acl-type': 'black', 'acl-id': '198.51.100.0/24' },
      { loadBalancerSourceRanges: ['10.0.0.0/8'] },
    );
    const rules = rulesOf(svc, undefined, false);
    expect(rules.elements).toEqual([{ map: 'service-ips', key: `${SLB} . tcp . 80`, verdict: `goto ${CHAIN}` }]);
    expect(rules.chains.map((c) => c.name)).toEqual([EP5, EP6, CHAIN]);
  });

  it('leaves out backends failing their health check, and rejects when none is left', () => {
    const rules = rulesOf(service(), undefined, true, (plan, e) => e.ip !== '10.244.1.5');
    expect(rules.chains.map((c) => c.name)).toEqual([EP6, CHAIN]);
    expect(ruleOf(rules, CHAIN)).toEqual([`goto ${EP6}`]);
    const none = rulesOf(service(), undefined, true, () => false);
    expect(none.chains).toEqual([]);
    expect(none.elements).toEqual([
      { map: 'no-endpoint-services', key: `${SLB} . tcp . 80`, verdict: 'goto reject-chain' },
    ]);
  });

  it('rejects on a listener without endpoints, while the address-wide rules stay', () => {
    const rules = rulesOf(service({ 'address-type': 'intranet' }), []);
    expect(rules.chains).toEqual([]);
    expect(rules.sets).toEqual([]);
    expect(rules.elements).toEqual([
      { map: 'no-endpoint-services', key: `${SLB} . tcp . 80`, verdict: 'goto reject-chain' },
      { map: EdgeMaps.intranetOnly, key: SLB, verdict: 'drop' },
    ]);
    expect(rules.addresses).toEqual([SLB]);
  });

  it('listens per port and protocol: a UDP port is its own listener', () => {
    const svc = service(
      {},
      {
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
        ],
      },
    );
    const plans = servicePortPlans(
      svc,
      [
        slice(
          ['10.244.1.5'],
          [
            { name: 'http', port: 8080, protocol: 'TCP' },
            { name: 'dns', port: 5353, protocol: 'UDP' },
          ],
        ),
      ],
      VSWITCH,
    );
    const rules = slbRulesOf(svc, SLB, plans, slbOptionsOf(svc).options, true);
    expect(ruleOf(rules, 'endpoint-shop/web/udp/dns__10.244.1.5/5353')).toEqual([
      'meta l4proto udp dnat ip to 10.244.1.5:5353',
    ]);
    expect([...listenersOf(rules)]).toEqual([`${SLB} . tcp . 80`, `${SLB} . udp . 53`]);
  });
});

describe(listenersOf.name, () => {
  it('lists the listeners with and without endpoints, and nothing for no rules', () => {
    const rules = slbRulesOf(
      service({ 'address-type': 'intranet' }),
      SLB,
      servicePortPlans(
        service({}, { ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] }),
        [],
        VSWITCH,
      ),
      slbOptionsOf(service({ 'address-type': 'intranet' })).options,
      true,
    );
    expect([...listenersOf(rules)]).toEqual([`${SLB} . tcp . 80`]);
    expect(listenersOf(undefined).size).toBe(0);
  });
});
