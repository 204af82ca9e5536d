import { fullTable, REJECT_CHAIN, ServiceRules } from '@skiff/service-routing';

/** The agent's Service table: its name (family inet) and the pod bridge whose traffic it handles. */
export interface ServiceTableConfig {
  table: string;
  bridge: string;
}

// kube-proxy's masquerade bit: set in an endpoint chain when a pod reaches itself (hairpin).
const MASQ_MARK = '0x4000';

/**
 * The whole table in one transaction (start, restart, repair): created if missing, deleted and made anew, so no
 * leftover of an earlier agent survives. Established connections keep their NAT (it lives in conntrack).
 */
export function fullRuleset(config: ServiceTableConfig, services: Iterable<ServiceRules>): string {
  const t = `inet ${config.table}`;
  const br = JSON.stringify(config.bridge);
  const lines = [
    `table ${t} {}`,
    `delete table ${t}`,
    `table ${t} {`,
    '  set service-addresses {',
    '    type ipv4_addr',
    '  }',
    '  map service-ips {',
    '    type ipv4_addr . inet_proto . inet_service : verdict',
    '  }',
    '  map no-endpoint-services {',
    '    type ipv4_addr . inet_proto . inet_service : verdict',
    '  }',
    // Before the host table's egress drop (priority filter), so a rejected packet gets its answer.
    '  chain filter-forward {',
    '    type filter hook forward priority filter - 10; policy accept;',
    `    iifname ${br} ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
    // A ClusterIP on a port the Service does not have is refused too, as kube-proxy does.
    `    iifname ${br} ip daddr @service-addresses goto ${REJECT_CHAIN}`,
    '  }',
    `  chain ${REJECT_CHAIN} {`,
    '    meta l4proto tcp reject with tcp reset',
    '    reject',
    '  }',
    '  chain nat-prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    `    iifname ${br} ip daddr . meta l4proto . th dport vmap @service-ips`,
    '  }',
    '  chain nat-postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname ${br} jump masquerading`,
    '  }',
    // Only hairpin traffic is marked: a pod that reached itself through its Service gets the reply via the gateway.
    '  chain masquerading {',
    `    meta mark & ${MASQ_MARK} == 0 return`,
    `    meta mark set meta mark ^ ${MASQ_MARK}`,
    '    masquerade fully-random',
    '  }',
    '  chain mark-for-masquerade {',
    `    meta mark set meta mark | ${MASQ_MARK}`,
    '  }',
  ];
  return fullTable(t, lines, services);
}
