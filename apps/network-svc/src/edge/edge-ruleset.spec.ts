import { EndpointSlice, Service } from '@skiff/kube-types';
import { Ipv4Cidr, servicePortPlans, ServiceRules, updateRuleset } from '@skiff/service-routing';
import { SLB_ANNOTATION_PREFIX, slbOptionsOf } from '../slb/slb-options';
import { slbRulesOf } from '../slb/slb-rules';
import { EDGE_TABLE, EdgeMaps, fullEdgeRuleset } from './edge-ruleset';

const T = `inet ${EDGE_TABLE}`;
const SVC = 'service-shop/web/tcp/http';
const ep = (ip: string) => `endpoint-shop/web/tcp/http__${ip}/8080`;
const affinity = (ip: string) => `affinity-shop/web/tcp/http__${ip}/8080-30s`;

// An intranet SLB with persistence and a source range, as a LoadBalancer Service asks for it.
const WEB: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    namespace: 'shop',
    name: 'web',
    annotations: {
      [`${SLB_ANNOTATION_PREFIX}persistence-timeout`]: '30',
      [`${SLB_ANNOTATION_PREFIX}address-type`]: 'intranet',
    },
  },
  spec: {
    type: 'LoadBalancer',
    clusterIP: '10.96.3.4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    loadBalancerSourceRanges: ['10.0.0.0/8'],
  },
};

function slbRules(ips: string[]): ServiceRules {
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: { namespace: 'shop', name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
    endpoints: ips.map((ip) => ({ addresses: [ip] })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
  const plans = servicePortPlans(WEB, [slice], new Ipv4Cidr('10.244.0.0/16'));
  return slbRulesOf(WEB, '198.18.0.1', plans, slbOptionsOf(WEB).options, true);
}

// What the EIP controller puts in the edge for an EIP bound to a pod.
const EIP: ServiceRules = {
  sets: [],
  chains: [],
  addresses: [],
  elements: [
    { map: EdgeMaps.eipDnat, key: '198.19.0.1', verdict: '10.244.2.7' },
    { map: EdgeMaps.eipSnat, key: '10.244.2.7', verdict: '198.19.0.1' },
    { map: EdgeMaps.eipPods, key: '10.244.2.7' },
  ],
};

/** The script's lines after the table's fixed part (its maps and base chains end with the reject chain). */
function ownLines(script: string): string[] {
  const lines = script.split('\n');
  return lines.slice(lines.indexOf('  chain reject-chain {') + 4);
}

describe(fullEdgeRuleset.name, () => {
  it('replaces the whole table in one script: made, deleted and made anew with its maps and base chains', () => {
    const script = fullEdgeRuleset([]);
    expect(script.startsWith(`table ${T} {}\ndelete table ${T}\ntable ${T} {\n`)).toBe(true);
    for (const declaration of [
      '  set service-addresses {\n    type ipv4_addr\n  }',
      '  map service-ips {\n    type ipv4_addr . inet_proto . inet_service : verdict\n  }',
      '  map no-endpoint-services {\n    type ipv4_addr . inet_proto . inet_service : verdict\n  }',
      '  map intranet-only {\n    type ipv4_addr : verdict\n  }',
      '  map acls {\n    type ipv4_addr : verdict\n  }',
      '  map eip-dnat {\n    type ipv4_addr : ipv4_addr\n  }',
      '  map eip-snat {\n    type ipv4_addr : ipv4_addr\n  }',
      '  set eip-pods {\n    type ipv4_addr\n  }',
      '    iifname "inet0" ip daddr vmap @intranet-only\n    ip daddr vmap @acls\n',
      '    ip daddr . meta l4proto . th dport vmap @service-ips\n    dnat ip to ip daddr map @eip-dnat\n',
      '    type filter hook forward priority filter; policy drop;\n',
      '    iifname "host0" oifname "inet0" ip saddr @eip-pods accept\n',
      '    oifname "inet0" snat ip to ip saddr map @eip-snat\n',
      '    iifname != "inet0" oifname "host0" ct status dnat masquerade\n',
    ])
      expect(script).toContain(declaration);
    expect(ownLines(script)).toEqual(['}', '']);
  });

  it("adds each object's affinity sets and chains inside the table and its elements after it", () => {
    expect(ownLines(fullEdgeRuleset([slbRules(['10.244.1.5', '10.244.1.6']), EIP]))).toEqual([
      `  set ${affinity('10.244.1.5')} {`,
      '    type ipv4_addr; flags dynamic,timeout; timeout 30s;',
      '  }',
      `  set ${affinity('10.244.1.6')} {`,
      '    type ipv4_addr; flags dynamic,timeout; timeout 30s;',
      '  }',
      `  chain ${ep('10.244.1.5')} {`,
      `    update @${affinity('10.244.1.5')} { ip saddr }`,
      '    meta l4proto tcp dnat ip to 10.244.1.5:8080',
      '  }',
      `  chain ${ep('10.244.1.6')} {`,
      `    update @${affinity('10.244.1.6')} { ip saddr }`,
      '    meta l4proto tcp dnat ip to 10.244.1.6:8080',
      '  }',
      `  chain ${SVC} {`,
      `    ip saddr @${affinity('10.244.1.5')} goto ${ep('10.244.1.5')}`,
      `    ip saddr @${affinity('10.244.1.6')} goto ${ep('10.244.1.6')}`,
      `    numgen inc mod 2 vmap { 0 : goto ${ep('10.244.1.5')}, 1 : goto ${ep('10.244.1.6')} }`,
      '  }',
      '  chain acl-shop/web {',
      '    ip saddr != { 10.0.0.0/8 } drop',
      '  }',
      '}',
      `add element ${T} service-ips { 198.18.0.1 . tcp . 80 : goto ${SVC} }`,
      `add element ${T} intranet-only { 198.18.0.1 : drop }`,
      `add element ${T} acls { 198.18.0.1 : goto acl-shop/web }`,
      `add element ${T} service-addresses { 198.18.0.1 }`,
      `add element ${T} eip-dnat { 198.19.0.1 : 10.244.2.7 }`,
      `add element ${T} eip-snat { 10.244.2.7 : 198.19.0.1 }`,
      `add element ${T} eip-pods { 10.244.2.7 }`,
      '',
    ]);
  });
});

describe(`${updateRuleset.name} of the edge`, () => {
  it('swaps an endpoint of an SLB: its chain and affinity set go, the kept ones stay, the service chain is refilled', () => {
    const script = updateRuleset(EDGE_TABLE, [
      { before: slbRules(['10.244.1.5', '10.244.1.6']), after: slbRules(['10.244.1.6', '10.244.1.7']) },
    ]);
    expect(script.split('\n')).toEqual([
      `flush chain ${T} ${ep('10.244.1.5')}`,
      `flush chain ${T} ${SVC}`,
      `delete chain ${T} ${ep('10.244.1.5')}`,
      `delete set ${T} ${affinity('10.244.1.5')}`,
      `add set ${T} ${affinity('10.244.1.7')} { type ipv4_addr; flags dynamic,timeout; timeout 30s; }`,
      `add chain ${T} ${ep('10.244.1.7')}`,
      `add rule ${T} ${ep('10.244.1.7')} update @${affinity('10.244.1.7')} { ip saddr }`,
      `add rule ${T} ${ep('10.244.1.7')} meta l4proto tcp dnat ip to 10.244.1.7:8080`,
      `add rule ${T} ${SVC} ip saddr @${affinity('10.244.1.6')} goto ${ep('10.244.1.6')}`,
      `add rule ${T} ${SVC} ip saddr @${affinity('10.244.1.7')} goto ${ep('10.244.1.7')}`,
      `add rule ${T} ${SVC} numgen inc mod 2 vmap { 0 : goto ${ep('10.244.1.6')}, 1 : goto ${ep('10.244.1.7')} }`,
      '',
    ]);
  });

  it('moves an EIP to a new pod address by deleting the old elements before adding the new ones', () => {
    const moved: ServiceRules = {
      ...EIP,
      elements: [
        { map: EdgeMaps.eipDnat, key: '198.19.0.1', verdict: '10.244.2.9' },
        { map: EdgeMaps.eipSnat, key: '10.244.2.9', verdict: '198.19.0.1' },
        { map: EdgeMaps.eipPods, key: '10.244.2.9' },
      ],
    };
    expect(updateRuleset(EDGE_TABLE, [{ before: EIP, after: moved }]).split('\n')).toEqual([
      `delete element ${T} eip-dnat { 198.19.0.1 : 10.244.2.7 }`,
      `delete element ${T} eip-snat { 10.244.2.7 : 198.19.0.1 }`,
      `delete element ${T} eip-pods { 10.244.2.7 }`,
      `add element ${T} eip-dnat { 198.19.0.1 : 10.244.2.9 }`,
      `add element ${T} eip-snat { 10.244.2.9 : 198.19.0.1 }`,
      `add element ${T} eip-pods { 10.244.2.9 }`,
      '',
    ]);
  });

  it('is empty when nothing changed', () => {
    const rules = slbRules(['10.244.1.5']);
    expect(updateRuleset(EDGE_TABLE, [{ before: rules, after: slbRules(['10.244.1.5']) }])).toBe('');
  });
});
