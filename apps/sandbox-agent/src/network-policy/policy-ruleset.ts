import { HOST_SERVICE_MARK } from '@skiff/service-routing';
import {
  CompiledRule,
  EGRESS_ISOLATED,
  INGRESS_ISOLATED,
  PolicyDataplane,
  PolicySet,
  PortRange,
} from './policy-dataplane';

/** The agent's NetworkPolicy table: its name (family inet) and the pod bridge it guards. */
export interface PolicyTableConfig {
  table: string;
  bridge: string;
}

export const DROP_COMMENT = { ingress: 'skiff-policy-ingress-drop', egress: 'skiff-policy-egress-drop' } as const;

const SET_TYPES: Record<PolicySet['type'], string> = {
  address: 'ipv4_addr',
  'named-port': 'ipv4_addr . inet_proto . inet_service',
};

/**
 * The table without set elements: it changes only when a policy does. Equal skeletons mean a change is a matter
 * of set elements alone.
 */
export function policySkeleton(config: PolicyTableConfig, plane: PolicyDataplane): string {
  const br = JSON.stringify(config.bridge);
  const lines: string[] = [];
  for (const [name, set] of [...plane.sets].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  set ${name} {`, `    type ${SET_TYPES[set.type]}`, '  }');
  lines.push(
    // Before the host table's egress drop (priority filter); after the Service table's rejects (filter - 10).
    // Bridged pod-to-pod packets come here too (br_netfilter), with the bridge as both interfaces; Service
    // traffic comes here after its DNAT, so rules see the backend pod's address and port, as upstream's do.
    '  chain forward {',
    '    type filter hook forward priority filter - 5; policy accept;',
    '    ct state established,related accept',
    `    iifname ${br} ip saddr @${EGRESS_ISOLATED} jump egress`,
    `    oifname ${br} ip daddr @${INGRESS_ISOLATED} jump ingress`,
    '  }',
    // Pods' packets for the host's own services (the cluster DNS, the API server) are DNATed to the host's
    // loopback: egress rules see them by the address and port the pod asked for (the Service's).
    '  chain input {',
    '    type filter hook input priority filter - 5; policy accept;',
    `    iifname ${br} ct state established,related accept`,
    `    iifname ${br} meta mark & ${HOST_SERVICE_MARK} == ${HOST_SERVICE_MARK} ip saddr @${EGRESS_ISOLATED} jump egress-host`,
    '  }',
    '  chain ingress {',
  );
  for (const p of plane.policies)
    for (const r of p.ingress ?? []) lines.push(...podRules(`ip daddr @${p.targets}`, 'saddr', r, 'accept'));
  lines.push(`    counter drop comment "${DROP_COMMENT.ingress}"`, '  }', '  chain egress {');
  // `return`: an allowed packet goes on to the destination's ingress check.
  for (const p of plane.policies)
    for (const r of p.egress ?? []) lines.push(...podRules(`ip saddr @${p.targets}`, 'daddr', r, 'return'));
  lines.push(`    counter drop comment "${DROP_COMMENT.egress}"`, '  }', '  chain egress-host {');
  for (const p of plane.policies) for (const r of p.egress ?? []) lines.push(...hostRules(`ip saddr @${p.targets}`, r));
  lines.push(`    counter drop comment "${DROP_COMMENT.egress}"`, '  }');
  return lines.join('\n');
}

/** The whole table in one transaction: made if missing, deleted and made anew with every set's elements. */
export function fullPolicyRuleset(config: PolicyTableConfig, plane: PolicyDataplane): string {
  const t = `inet ${config.table}`;
  const elements = [...plane.sets]
    .filter(([, s]) => s.elements.length > 0)
    .map(([name, s]) => `add element ${t} ${name} { ${s.elements.join(', ')} }`);
  return [
    `table ${t} {}`,
    `delete table ${t}`,
    `table ${t} {`,
    policySkeleton(config, plane),
    '}',
    ...elements,
    '',
  ].join('\n');
}

/** Set elements that went away and came: the whole difference as one transaction, or '' when there is none. */
export function policyElementUpdate(table: string, before: PolicyDataplane, after: PolicyDataplane): string {
  const lines: string[] = [];
  for (const [name, set] of after.sets) {
    const old = new Set(before.sets.get(name)?.elements ?? []);
    const now = new Set(set.elements);
    const gone = [...old].filter((e) => !now.has(e));
    const added = set.elements.filter((e) => !old.has(e));
    if (gone.length) lines.push(`delete element inet ${table} ${name} { ${gone.join(', ')} }`);
    if (added.length) lines.push(`add element inet ${table} ${name} { ${added.join(', ')} }`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

// One nft rule per (peer, port) pair of a policy rule: the peers are ORed, and so are the ports.
function podRules(target: string, peerSide: 'saddr' | 'daddr', rule: CompiledRule, verdict: string): string[] {
  const peers = rule.anyPeer
    ? ['']
    : [
        ...rule.peerSets.map((s) => ` ip ${peerSide} @${s}`),
        ...(rule.cidrs.length ? [` ip ${peerSide} { ${rule.cidrs.join(', ')} }`] : []),
      ];
  const ports = rule.anyPort
    ? ['']
    : [
        ...(rule.ports.length ? [` meta l4proto . th dport { ${rule.ports.map(portElement).join(', ')} }`] : []),
        // The destination's own port of that name: ingress's destination is the target, egress's the peer.
        ...rule.namedPorts.map((s) => ` ip daddr . meta l4proto . th dport @${s}`),
      ];
  return peers.flatMap((peer) => ports.map((port) => `    ${target}${peer}${port} ${verdict}`));
}

// The host's services are no pods: only address blocks and numeric ports can allow them, matched on the
// address and port before the DNAT (nft cannot concatenate `ct original proto-dst`, hence a rule per range).
function hostRules(target: string, rule: CompiledRule): string[] {
  if (!rule.anyPeer && rule.cidrs.length === 0) return [];
  if (!rule.anyPort && rule.ports.length === 0) return [];
  const peer = rule.anyPeer ? '' : ` ct original ip daddr { ${rule.cidrs.join(', ')} }`;
  const ports = rule.anyPort
    ? ['']
    : rule.ports.map(
        (p) =>
          ` meta l4proto ${p.protocol}` +
          (p.from === 0 && p.to === 65535 ? '' : ` ct original proto-dst ${portSpan(p)}`),
      );
  return ports.map((port) => `    ${target}${peer}${port} return`);
}

function portElement(p: PortRange): string {
  return `${p.protocol} . ${portSpan(p)}`;
}

function portSpan(p: PortRange): string {
  return p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`;
}
