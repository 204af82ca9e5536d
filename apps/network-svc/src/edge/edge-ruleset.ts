import { fullTable, REJECT_CHAIN, ServiceRules } from '@skiff/service-routing';
import { EDGE_HOST_LINK, EDGE_INTERNET_BRIDGE } from './edge-network';

/** The edge's nft table (family inet), inside the edge netns. */
export const EDGE_TABLE = 'skiff-edge';

/** The edge table's own maps and sets, beside the Service maps (`service-ips`, `no-endpoint-services`). */
export const EdgeMaps = {
  /** SLB address → `drop`: an intranet SLB, closed to the internet side. */
  intranetOnly: 'intranet-only',
  /** SLB address → `goto acl-…`: its access control (loadBalancerSourceRanges, acl-*). */
  acls: 'acls',
  /** EIP → pod address (inbound 1:1 NAT). */
  eipDnat: 'eip-dnat',
  /** Pod address → EIP (the pod's own connections to the internet side). */
  eipSnat: 'eip-snat',
  /** The pods with an EIP: only they reach the internet side. */
  eipPods: 'eip-pods',
} as const;

const [IN, OUT] = [JSON.stringify(EDGE_HOST_LINK), JSON.stringify(EDGE_INTERNET_BRIDGE)];

/**
 * The whole table in one transaction (network-svc start, repair): deleted and made anew with every SLB's and EIP's
 * rules; established connections keep their NAT (it lives in conntrack).
 *
 * Paths: an SLB listener is DNATed in prerouting to a ready pod (its source kept: the pod answers through the host
 * back to the edge); an EIP is DNATed to its pod, and the pod's own connections out to the internet side are
 * SNATed to it. Traffic that did not come from the internet side (the host, pods) is masqueraded when DNATed
 * back towards the pods, or their answer would not pass the edge again. The internet side reaches only DNATed
 * addresses; pods reach it only with an EIP.
 */
export function fullEdgeRuleset(objects: Iterable<ServiceRules>): string {
  const t = `inet ${EDGE_TABLE}`;
  const key = 'type ipv4_addr . inet_proto . inet_service';
  const lines = [
    `table ${t} {}`,
    `delete table ${t}`,
    `table ${t} {`,
    '  set service-addresses {',
    '    type ipv4_addr',
    '  }',
    `  map service-ips {`,
    `    ${key} : verdict`,
    '  }',
    '  map no-endpoint-services {',
    `    ${key} : verdict`,
    '  }',
    `  map ${EdgeMaps.intranetOnly} {`,
    '    type ipv4_addr : verdict',
    '  }',
    `  map ${EdgeMaps.acls} {`,
    '    type ipv4_addr : verdict',
    '  }',
    `  map ${EdgeMaps.eipDnat} {`,
    '    type ipv4_addr : ipv4_addr',
    '  }',
    `  map ${EdgeMaps.eipSnat} {`,
    '    type ipv4_addr : ipv4_addr',
    '  }',
    `  set ${EdgeMaps.eipPods} {`,
    '    type ipv4_addr',
    '  }',
    '  chain filter-prerouting {',
    '    type filter hook prerouting priority dstnat - 10; policy accept;',
    `    iifname ${OUT} ip daddr vmap @${EdgeMaps.intranetOnly}`,
    `    ip daddr vmap @${EdgeMaps.acls}`,
    '  }',
    '  chain nat-prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    '    ip daddr . meta l4proto . th dport vmap @service-ips',
    `    dnat ip to ip daddr map @${EdgeMaps.eipDnat}`,
    '  }',
    // A listener without ready endpoints is the edge's own address: the packet comes in here and is refused.
    '  chain filter-input {',
    '    type filter hook input priority filter; policy accept;',
    '    ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
    '  }',
    '  chain filter-forward {',
    '    type filter hook forward priority filter; policy drop;',
    '    ct state established,related accept',
    '    ct status dnat accept',
    `    iifname ${IN} oifname ${OUT} ip saddr @${EdgeMaps.eipPods} accept`,
    '  }',
    '  chain nat-postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname ${OUT} snat ip to ip saddr map @${EdgeMaps.eipSnat}`,
    `    iifname != ${OUT} oifname ${IN} ct status dnat masquerade`,
    '  }',
    `  chain ${REJECT_CHAIN} {`,
    '    meta l4proto tcp reject with tcp reset',
    '    reject',
    '  }',
  ];
  return fullTable(t, lines, objects);
}

/** An EIP's 1:1 NAT: the EIP to the pod, the pod's own connections to the internet side from the EIP. */
export function eipRules(address: string, podIP: string): ServiceRules {
  return {
    sets: [],
    chains: [],
    addresses: [],
    elements: [
      { map: EdgeMaps.eipDnat, key: address, verdict: podIP },
      { map: EdgeMaps.eipSnat, key: podIP, verdict: address },
      { map: EdgeMaps.eipPods, key: podIP },
    ],
  };
}
