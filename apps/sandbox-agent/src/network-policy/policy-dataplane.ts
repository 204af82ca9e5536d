import { createHash } from 'node:crypto';
import { LabelMatcher, LabelSelector, labelSelectorFromObject, matchesLabels } from '@skiff/api-machinery';
import { Namespace, NetworkPolicy, Pod } from '@skiff/kube-types';
import { Ipv4Cidr } from '@skiff/service-routing';

// Upstream's API server labels every namespace with its name (immutable); selectors may rely on it.
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const MAX_ADDRESS = 2 ** 32 - 1;

export type PolicyProtocol = 'tcp' | 'udp' | 'sctp';

/** Numeric ports of one protocol, `from`–`to` inclusive (0–65535: every port). */
export interface PortRange {
  protocol: PolicyProtocol;
  from: number;
  to: number;
}

/**
 * One `ingress`/`egress` entry: traffic is allowed when it matches one of its peers (OR) and one of its ports.
 * `anyPeer`/`anyPort`: the list was empty or missing. A rule with neither peers nor `anyPeer` (e.g. only IPv6
 * blocks) matches nothing.
 */
export interface CompiledRule {
  anyPeer: boolean;
  /** Names of address sets of peer pods. */
  peerSets: string[];
  /** IPv4 ipBlocks minus their excepts, merged: `a.b.c.d` or `a.b.c.d-e.f.g.h`. */
  cidrs: string[];
  anyPort: boolean;
  ports: PortRange[];
  /** Names of named-port sets (`pod IP . protocol . port`, resolved per destination pod). */
  namedPorts: string[];
}

export interface CompiledPolicy {
  /** `namespace/name`. */
  key: string;
  /** Address set of the pods the policy selects. */
  targets: string;
  /** Present when the policy isolates that direction. */
  ingress?: CompiledRule[];
  egress?: CompiledRule[];
}

export interface PolicySet {
  type: 'address' | 'named-port';
  elements: string[];
}

/** Everything the nft table holds: named sets (pod IPs per selector) and the policies' rules that use them. */
export interface PolicyDataplane {
  sets: Map<string, PolicySet>;
  policies: CompiledPolicy[];
}

export const INGRESS_ISOLATED = 'ingress-isolated';
export const EGRESS_ISOLATED = 'egress-isolated';

export interface PolicyInputs {
  policies: readonly NetworkPolicy[];
  pods: readonly Pod[];
  namespaces: readonly Namespace[];
}

/**
 * NetworkPolicy semantics (networking.k8s.io/v1) as sets of addresses: a pod selected by a policy with an
 * Ingress (Egress) policyType is isolated for that direction, and what it may receive (send) is the union of the
 * rules of every policy selecting it. A selector becomes one named set of pod IPs, shared by every rule using it,
 * so a label change moves a set element and leaves the rules alone.
 */
export function compilePolicies(inputs: PolicyInputs): PolicyDataplane {
  return new PolicyCompiler(inputs).compile();
}

interface LivePod {
  ip: string;
  namespace: string;
  labels: Record<string, string>;
  pod: Pod;
}

class PolicyCompiler {
  private readonly sets = new Map<string, PolicySet>();
  private readonly pods: LivePod[];
  private readonly namespaceLabels = new Map<string, Record<string, string>>();

  constructor(private readonly inputs: PolicyInputs) {
    for (const ns of inputs.namespaces) {
      const name = ns.metadata.name ?? '';
      this.namespaceLabels.set(name, { ...ns.metadata.labels, [NAMESPACE_NAME_LABEL]: name });
    }
    this.pods = inputs.pods.flatMap((pod) => {
      const ip = pod.status?.podIP;
      const phase = pod.status?.phase;
      // Finished pods hold no address any more: IPAM may give it to another pod.
      if (!ip || !Ipv4Cidr.isAddress(ip) || phase === 'Succeeded' || phase === 'Failed') return [];
      return [{ ip, namespace: pod.metadata.namespace ?? '', labels: pod.metadata.labels ?? {}, pod }];
    });
  }

  compile(): PolicyDataplane {
    const ingressIsolated = new Set<string>();
    const egressIsolated = new Set<string>();
    const policies: CompiledPolicy[] = [];
    const sorted = [...this.inputs.policies].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    for (const policy of sorted) {
      const namespace = policy.metadata.namespace ?? '';
      const spec = policy.spec ?? {};
      const targets = this.podSet({ namespace, podSelector: spec.podSelector ?? {} });
      const types = spec.policyTypes?.length
        ? spec.policyTypes
        : ['Ingress', ...(spec.egress?.length ? ['Egress'] : [])];
      const compiled: CompiledPolicy = { key: keyOf(policy), targets };
      if (types.includes('Ingress')) {
        compiled.ingress = (spec.ingress ?? []).map((r) => this.rule(namespace, r.from, r.ports));
        for (const ip of this.sets.get(targets)!.elements) ingressIsolated.add(ip);
      }
      if (types.includes('Egress')) {
        compiled.egress = (spec.egress ?? []).map((r) => this.rule(namespace, r.to, r.ports));
        for (const ip of this.sets.get(targets)!.elements) egressIsolated.add(ip);
      }
      policies.push(compiled);
    }
    this.sets.set(INGRESS_ISOLATED, { type: 'address', elements: [...ingressIsolated].sort() });
    this.sets.set(EGRESS_ISOLATED, { type: 'address', elements: [...egressIsolated].sort() });
    return { sets: this.sets, policies };
  }

  private rule(namespace: string, peers: Peer[] | undefined, ports: Port[] | undefined): CompiledRule {
    const rule: CompiledRule = {
      anyPeer: !peers?.length,
      peerSets: [],
      cidrs: [],
      anyPort: !ports?.length,
      ports: [],
      namedPorts: [],
    };
    const ranges: [number, number][] = [];
    for (const peer of peers ?? []) {
      if (peer.ipBlock) ranges.push(...blockRanges(peer.ipBlock.cidr, peer.ipBlock.except ?? []));
      else if (peer.namespaceSelector)
        rule.peerSets.push(
          this.podSet({ namespaceSelector: peer.namespaceSelector, podSelector: peer.podSelector ?? {} }),
        );
      else rule.peerSets.push(this.podSet({ namespace, podSelector: peer.podSelector ?? {} }));
    }
    rule.peerSets = [...new Set(rule.peerSets)];
    rule.cidrs = mergeRanges(ranges).map(formatRange);
    for (const port of ports ?? []) {
      const protocol = (port.protocol ?? 'TCP').toLowerCase() as PolicyProtocol;
      if (port.port === undefined) rule.ports.push({ protocol, from: 0, to: 65535 });
      else if (typeof port.port === 'number')
        rule.ports.push({ protocol, from: port.port, to: port.endPort ?? port.port });
      else rule.namedPorts.push(this.namedPortSet(protocol, port.port));
    }
    rule.namedPorts = [...new Set(rule.namedPorts)];
    return rule;
  }

  /** The IPs of the pods a selector picks: in one namespace, or in the namespaces a namespaceSelector picks. */
  private podSet(scope: { namespace?: string; namespaceSelector?: LabelSelector; podSelector: LabelSelector }): string {
    const name = setName('pods', scope);
    if (this.sets.has(name)) return name;
    const pods = selectorOf(scope.podSelector);
    const namespaces = scope.namespaceSelector ? selectorOf(scope.namespaceSelector) : undefined;
    const elements = this.pods.filter((p) => {
      if (namespaces) {
        const nsLabels = this.namespaceLabels.get(p.namespace);
        if (!nsLabels || !matchesLabels(namespaces, nsLabels)) return false;
      } else if (p.namespace !== scope.namespace) return false;
      return matchesLabels(pods, p.labels);
    });
    this.sets.set(name, { type: 'address', elements: [...new Set(elements.map((p) => p.ip))].sort() });
    return name;
  }

  /** Every pod's port of that name and protocol (containers' ports, as upstream resolves named ports). */
  private namedPortSet(protocol: PolicyProtocol, portName: string): string {
    const name = setName('port', { protocol, portName });
    if (this.sets.has(name)) return name;
    const elements = new Set<string>();
    for (const p of this.pods) {
      for (const c of p.pod.spec.containers ?? []) {
        for (const cp of c.ports ?? []) {
          if (cp.name === portName && (cp.protocol ?? 'TCP').toLowerCase() === protocol)
            elements.add(`${p.ip} . ${protocol} . ${cp.containerPort}`);
        }
      }
    }
    this.sets.set(name, { type: 'named-port', elements: [...elements].sort() });
    return name;
  }
}

type Spec = NonNullable<NetworkPolicy['spec']>;
type Peer = NonNullable<NonNullable<Spec['ingress']>[number]['from']>[number];
type Port = NonNullable<NonNullable<Spec['ingress']>[number]['ports']>[number];

function keyOf(policy: NetworkPolicy): string {
  return `${policy.metadata.namespace ?? ''}/${policy.metadata.name ?? ''}`;
}

// Sets are named after what they select, so equal selectors share one set and a name never changes meaning.
function setName(kind: string, what: object): string {
  return `${kind}-${createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16)}`;
}

// Validation refuses bad selectors; one that slips through selects nothing (a deny, never an accidental allow).
function selectorOf(selector: LabelSelector): LabelMatcher {
  try {
    return labelSelectorFromObject(selector);
  } catch {
    return labelSelectorFromObject(undefined);
  }
}

/** An IPv4 block minus its excepts, as inclusive address ranges; IPv6 blocks match no (IPv4) pod traffic. */
function blockRanges(cidr: string, except: string[]): [number, number][] {
  const block = rangeOf(cidr);
  if (!block) return [];
  let ranges: [number, number][] = [block];
  for (const e of except) {
    const cut = rangeOf(e);
    if (!cut) continue;
    ranges = ranges.flatMap(([lo, hi]): [number, number][] => {
      if (cut[1] < lo || cut[0] > hi) return [[lo, hi]];
      const left: [number, number][] = cut[0] > lo ? [[lo, cut[0] - 1]] : [];
      const right: [number, number][] = cut[1] < hi ? [[cut[1] + 1, hi]] : [];
      return [...left, ...right];
    });
  }
  return ranges;
}

function rangeOf(cidr: string): [number, number] | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m || !Ipv4Cidr.isAddress(m[1]) || Number(m[2]) > 32) return undefined;
  const size = 2 ** (32 - Number(m[2]));
  const start = Math.floor(Ipv4Cidr.toNumber(m[1]) / size) * size;
  return [start, Math.min(start + size - 1, MAX_ADDRESS)];
}

// nft refuses overlapping intervals in one set: overlapping and adjacent ranges become one.
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

function formatRange([lo, hi]: [number, number]): string {
  return lo === hi ? addressOf(lo) : `${addressOf(lo)}-${addressOf(hi)}`;
}

function addressOf(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
