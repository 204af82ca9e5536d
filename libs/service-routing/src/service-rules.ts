import { ServicePortPlan } from './service-port.plan';

export interface MapElement {
  /** A map or set of the table: `service-ips`, `no-endpoint-services`, or one of the table's own. */
  map: string;
  /** `ip . proto . port` for the Service maps. */
  key: string;
  /** The value (a verdict, or data); none for a set's element. */
  verdict?: string;
}

export interface NftChain {
  name: string;
  rules: string[];
}

export interface AffinitySet {
  name: string;
  timeoutSeconds: number;
}

/** Everything one Service puts in the table: its chains, affinity sets and map/set elements. */
export interface ServiceRules {
  sets: AffinitySet[];
  /** Endpoint chains before the service chains that jump to them. */
  chains: NftChain[];
  elements: MapElement[];
  /** Its addresses (ClusterIPs, an SLB address), elements of the table's `service-addresses` set. */
  addresses: string[];
}

export interface ServiceRulesOptions {
  /**
   * How a port picks an endpoint: `random` (kube-proxy's), or `round-robin` (numgen inc: each new connection the
   * next one, an SLB's rr/wrr with equal weights).
   */
  pick?: 'random' | 'round-robin';
  /** Endpoint chains jump to `mark-for-masquerade` when a pod reaches itself (kube-proxy's hairpin). */
  hairpin?: boolean;
}

/** Set on a pod's packet sent to one of the host's own services on its loopback; the host table lets only it in. */
export const HOST_SERVICE_MARK = '0x8000';
export const REJECT_CHAIN = 'reject-chain';

/**
 * The chains of one Service, as kube-proxy's nftables mode writes them: a chain per port picking an endpoint
 * (`numgen random mod N` into a verdict map, after the ClientIP affinity sets), a chain per endpoint (hairpin
 * mark, affinity update, DNAT), and the port's element in `service-ips` — or, without endpoints, in
 * `no-endpoint-services`, which rejects. The table holding them has those maps and a `reject-chain`.
 */
export function serviceRulesOf(plans: readonly ServicePortPlan[], options: ServiceRulesOptions = {}): ServiceRules {
  const { pick = 'random', hairpin = true } = options;
  const rules: ServiceRules = { sets: [], chains: [], elements: [], addresses: [] };
  const serviceChains: NftChain[] = [];
  for (const plan of plans) {
    const base = `${plan.namespace}/${plan.service}/${plan.protocol}/${plan.portName}`;
    for (const ip of plan.addresses) if (!rules.addresses.includes(ip)) rules.addresses.push(ip);
    const keys = plan.addresses.map((ip) => `${ip} . ${plan.protocol} . ${plan.port}`);
    if (plan.endpoints.length === 0) {
      for (const key of keys)
        rules.elements.push({ map: 'no-endpoint-services', key, verdict: `goto ${REJECT_CHAIN}` });
      continue;
    }
    const svcChain = `service-${base}`;
    const affinityRules: string[] = [];
    const targets: string[] = [];
    for (const ep of plan.endpoints) {
      const epChain = `endpoint-${base}__${ep.ip}/${ep.port}`;
      const epRules = ep.host
        ? [`meta mark set meta mark | ${HOST_SERVICE_MARK}`]
        : hairpin
          ? [`ip saddr ${ep.ip} jump mark-for-masquerade`]
          : [];
      if (plan.affinityTimeoutSeconds !== undefined) {
        // The timeout is in the name: a new timeout is a new set (nft cannot change a set's timeout in place).
        const set = `affinity-${base}__${ep.ip}/${ep.port}-${plan.affinityTimeoutSeconds}s`;
        rules.sets.push({ name: set, timeoutSeconds: plan.affinityTimeoutSeconds });
        affinityRules.push(`ip saddr @${set} goto ${epChain}`);
        epRules.push(`update @${set} { ip saddr }`);
      }
      epRules.push(`meta l4proto ${plan.protocol} dnat ip to ${ep.ip}:${ep.port}`);
      rules.chains.push({ name: epChain, rules: epRules });
      targets.push(epChain);
    }
    const choose =
      targets.length === 1
        ? `goto ${targets[0]}`
        : `numgen ${pick === 'random' ? 'random' : 'inc'} mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(', ')} }`;
    serviceChains.push({ name: svcChain, rules: [...affinityRules, choose] });
    for (const key of keys) rules.elements.push({ map: 'service-ips', key, verdict: `goto ${svcChain}` });
  }
  rules.chains.push(...serviceChains);
  return rules;
}

/**
 * The changes of some Services in one transaction, touching nothing else: elements that went away are deleted
 * before the chains they name, changed chains are flushed and refilled, unchanged endpoint chains stay as they are.
 * Connections already established (to these Services or others) keep their conntrack NAT.
 */
export function updateRuleset(
  table: string,
  changes: readonly { before?: ServiceRules; after?: ServiceRules }[],
): string {
  const t = `inet ${table}`;
  const out: string[] = [];
  const del: string[] = [];
  const flush: string[] = [];
  const drop: string[] = [];
  const create: string[] = [];
  const fill: string[] = [];
  const add: string[] = [];
  for (const { before, after } of changes) {
    const was = indexOf(before);
    const now = indexOf(after);
    for (const [id, e] of was.elements) if (!now.elements.has(id)) del.push(elementCommand('delete', t, e));
    for (const ip of was.addresses)
      if (!now.addresses.has(ip)) del.push(`delete element ${t} service-addresses { ${ip} }`);
    for (const [name, c] of was.chains) {
      const next = now.chains.get(name);
      if (!next || !sameRules(c, next)) flush.push(`flush chain ${t} ${name}`);
      if (!next) drop.push(`delete chain ${t} ${name}`);
    }
    for (const name of was.sets.keys()) if (!now.sets.has(name)) drop.push(`delete set ${t} ${name}`);
    for (const [name, s] of now.sets)
      if (!was.sets.has(name)) create.push(`add set ${t} ${name} { ${affinitySetSpec(s)} }`);
    for (const [name, c] of now.chains) {
      const prev = was.chains.get(name);
      if (prev && sameRules(prev, c)) continue;
      if (!prev) create.push(`add chain ${t} ${name}`);
      fill.push(...c.rules.map((r) => `add rule ${t} ${name} ${r}`));
    }
    for (const [id, e] of now.elements) if (!was.elements.has(id)) add.push(elementCommand('add', t, e));
    for (const ip of now.addresses)
      if (!was.addresses.has(ip)) add.push(`add element ${t} service-addresses { ${ip} }`);
  }
  out.push(...del, ...flush, ...drop, ...create, ...fill, ...add);
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * The end of a table's full ruleset: `head` (the table's opening and base chains, inside `table … {`), the
 * objects' sets and chains, the closing brace, then their elements.
 */
export function fullTable(t: string, head: readonly string[], objects: Iterable<ServiceRules>): string {
  const lines = [...head];
  const elements: string[] = [];
  for (const o of objects) {
    for (const s of o.sets) lines.push(`  set ${s.name} {`, `    ${affinitySetSpec(s)}`, '  }');
    for (const c of o.chains) lines.push(`  chain ${c.name} {`, ...c.rules.map((r) => `    ${r}`), '  }');
    elements.push(...o.elements.map((e) => elementCommand('add', t, e)));
    elements.push(...o.addresses.map((ip) => `add element ${t} service-addresses { ${ip} }`));
  }
  lines.push('}', ...elements, '');
  return lines.join('\n');
}

function affinitySetSpec(s: AffinitySet): string {
  return `type ipv4_addr; flags dynamic,timeout; timeout ${s.timeoutSeconds}s;`;
}

function elementCommand(verb: 'add' | 'delete', t: string, e: MapElement): string {
  return `${verb} element ${t} ${e.map} { ${e.key}${e.verdict === undefined ? '' : ` : ${e.verdict}`} }`;
}

function sameRules(a: NftChain, b: NftChain): boolean {
  return a.rules.length === b.rules.length && a.rules.every((r, i) => r === b.rules[i]);
}

function indexOf(rules: ServiceRules | undefined): {
  elements: Map<string, MapElement>;
  addresses: Set<string>;
  chains: Map<string, NftChain>;
  sets: Map<string, AffinitySet>;
} {
  return {
    elements: new Map((rules?.elements ?? []).map((e) => [`${e.map} ${e.key} ${e.verdict}`, e])),
    addresses: new Set(rules?.addresses ?? []),
    chains: new Map((rules?.chains ?? []).map((c) => [c.name, c])),
    sets: new Map((rules?.sets ?? []).map((s) => [s.name, s])),
  };
}
