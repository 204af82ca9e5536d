import { Namespace, NetworkPolicy, Pod } from '@skiff/kube-types';
import { compilePolicies, CompiledRule, EGRESS_ISOLATED, INGRESS_ISOLATED, PolicyDataplane } from './policy-dataplane';
import { fullPolicyRuleset, policyElementUpdate, policySkeleton } from './policy-ruleset';

type Spec = NonNullable<NetworkPolicy['spec']>;
type Ports = { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];

const pod = (
  namespace: string,
  name: string,
  ip: string,
  labels: Record<string, string> = {},
  ports: Ports = [],
): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace, name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox', ports }] },
  status: { phase: 'Running', podIP: ip },
});
const ns = (name: string, labels: Record<string, string> = {}): Namespace => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
  spec: {},
});
const policy = (namespace: string, name: string, spec: Spec): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { namespace, name },
  spec,
});

interface Flow {
  from: string;
  to: string;
  port: number;
  protocol?: 'tcp' | 'udp' | 'sctp';
}

// What the table's rules decide for a new connection, read off the compiled sets the way nft reads them.
function allows(plane: PolicyDataplane, flow: Flow): boolean {
  const protocol = flow.protocol ?? 'tcp';
  const has = (set: string, element: string) => plane.sets.get(set)!.elements.includes(element);
  const inCidrs = (cidrs: string[], ip: string) => {
    const n = toNumber(ip);
    return cidrs.some((c) => {
      const [lo, hi = lo] = c.split('-');
      return toNumber(lo) <= n && n <= toNumber(hi);
    });
  };
  const matches = (r: CompiledRule, peer: string) =>
    (r.anyPeer || r.peerSets.some((s) => has(s, peer)) || inCidrs(r.cidrs, peer)) &&
    (r.anyPort ||
      r.ports.some((p) => p.protocol === protocol && p.from <= flow.port && flow.port <= p.to) ||
      r.namedPorts.some((s) => has(s, `${flow.to} . ${protocol} . ${flow.port}`)));
  const egressOk =
    !has(EGRESS_ISOLATED, flow.from) ||
    plane.policies.some((p) => has(p.targets, flow.from) && (p.egress ?? []).some((r) => matches(r, flow.to)));
  const ingressOk =
    !has(INGRESS_ISOLATED, flow.to) ||
    plane.policies.some((p) => has(p.targets, flow.to) && (p.ingress ?? []).some((r) => matches(r, flow.from)));
  return egressOk && ingressOk;
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

const namespaces = [ns('prod', { team: 'a' }), ns('dev', { team: 'a' }), ns('other', { team: 'b' })];
const web1 = pod('prod', 'web1', '10.244.0.10', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]);
const web2 = pod('prod', 'web2', '10.244.0.11', { app: 'web' }, [{ name: 'http', containerPort: 9090 }]);
const client = pod('prod', 'client', '10.244.0.20', { role: 'client' });
const stranger = pod('prod', 'stranger', '10.244.0.21', { role: 'stranger' });
const devClient = pod('dev', 'client', '10.244.0.30', { role: 'client' });
const devOther = pod('dev', 'other', '10.244.0.31', { role: 'other' });
const otherClient = pod('other', 'client', '10.244.0.40', { role: 'client' });
const pods = [web1, web2, client, stranger, devClient, devOther, otherClient];
const plane = (...policies: NetworkPolicy[]) => compilePolicies({ policies, pods, namespaces });
const denyIngress = policy('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] });

describe(compilePolicies.name, () => {
  it('allows everything while no policy selects a pod', () => {
    const p = plane(policy('dev', 'deny', { podSelector: {}, policyTypes: ['Ingress'] }));
    expect(allows(p, { from: client.status!.podIP!, to: web1.status!.podIP!, port: 8080 })).toBe(true);
    expect(allows(p, { from: web1.status!.podIP!, to: otherClient.status!.podIP!, port: 1 })).toBe(true);
  });

  it('default deny isolates every pod of its namespace for ingress only', () => {
    const p = plane(denyIngress);
    expect(p.sets.get(INGRESS_ISOLATED)!.elements).toEqual([
      '10.244.0.10',
      '10.244.0.11',
      '10.244.0.20',
      '10.244.0.21',
    ]);
    expect(p.sets.get(EGRESS_ISOLATED)!.elements).toEqual([]);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.10', port: 8080 })).toBe(false);
    expect(allows(p, { from: '10.244.0.10', to: '10.244.0.30', port: 8080 })).toBe(true);
  });

  it('opens a pod selector and port, nothing else (other ports, protocols, pods, namespaces)', () => {
    const allow = policy('prod', 'allow', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }] }],
    });
    const p = plane(denyIngress, allow);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.10', port: 8080 })).toBe(true);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.10', port: 8081 })).toBe(false);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.10', port: 8080, protocol: 'udp' })).toBe(false);
    expect(allows(p, { from: '10.244.0.21', to: '10.244.0.10', port: 8080 })).toBe(false);
    // A podSelector alone means the policy's own namespace.
    expect(allows(p, { from: '10.244.0.30', to: '10.244.0.10', port: 8080 })).toBe(false);
    // The client itself is isolated by the default deny and not selected by the allow.
    expect(allows(p, { from: '10.244.0.10', to: '10.244.0.20', port: 8080 })).toBe(false);
  });

  it('ANDs namespaceSelector and podSelector in one peer and ORs separate peers', () => {
    const and = policy('prod', 'and', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { role: 'client' } } },
          ],
        },
      ],
    });
    const or = policy('prod', 'or', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: 'a' } } },
            { podSelector: { matchLabels: { role: 'client' } } },
          ],
        },
      ],
    });
    const a = plane(and);
    expect(allows(a, { from: '10.244.0.30', to: '10.244.0.10', port: 1 })).toBe(true); // dev, client
    expect(allows(a, { from: '10.244.0.31', to: '10.244.0.10', port: 1 })).toBe(false); // dev, not a client
    expect(allows(a, { from: '10.244.0.40', to: '10.244.0.10', port: 1 })).toBe(false); // team b
    const o = plane(or);
    expect(allows(o, { from: '10.244.0.31', to: '10.244.0.10', port: 1 })).toBe(true); // any pod of team a
    expect(allows(o, { from: '10.244.0.21', to: '10.244.0.10', port: 1 })).toBe(true); // prod is team a too
    expect(allows(o, { from: '10.244.0.40', to: '10.244.0.10', port: 1 })).toBe(false); // team b, not prod
  });

  it('matches namespaces by the kubernetes.io/metadata.name label upstream gives every namespace', () => {
    const p = plane(
      policy('prod', 'from-dev', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dev' } } }] }],
      }),
    );
    expect(allows(p, { from: '10.244.0.31', to: '10.244.0.10', port: 1 })).toBe(true);
    expect(allows(p, { from: '10.244.0.40', to: '10.244.0.10', port: 1 })).toBe(false);
  });

  it('resolves a named port per destination pod, with its protocol', () => {
    const p = plane(
      policy('prod', 'named', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 'http' }] }],
      }),
    );
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.10', port: 8080 })).toBe(true);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.10', port: 9090 })).toBe(false);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.11', port: 9090 })).toBe(true);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.11', port: 9090, protocol: 'udp' })).toBe(false);
  });

  it('takes ipBlock excepts out of the block and port ranges up to endPort', () => {
    const p = plane(
      policy('prod', 'blocks', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.0.16/28', '10.244.0.40/32'] } }],
            ports: [{ protocol: 'TCP', port: 8000, endPort: 8100 }, { protocol: 'UDP' }],
          },
        ],
      }),
    );
    expect(p.policies[0].ingress![0].cidrs).toEqual([
      '10.244.0.0-10.244.0.15',
      '10.244.0.32-10.244.0.39',
      '10.244.0.41-10.244.255.255',
    ]);
    expect(allows(p, { from: '10.244.0.30', to: '10.244.0.10', port: 8100 })).toBe(false); // in 10.244.0.16/28
    expect(allows(p, { from: '10.244.0.31', to: '10.244.0.10', port: 8100 })).toBe(false);
    expect(allows(p, { from: '10.244.0.33', to: '10.244.0.10', port: 8100 })).toBe(true);
    expect(allows(p, { from: '10.244.0.33', to: '10.244.0.10', port: 8101 })).toBe(false);
    expect(allows(p, { from: '10.244.0.33', to: '10.244.0.10', port: 5353, protocol: 'udp' })).toBe(true);
    expect(allows(p, { from: '10.244.0.40', to: '10.244.0.10', port: 8000 })).toBe(false);
  });

  it('unites the rules of every policy selecting a pod', () => {
    const from = (name: string, role: string, port: number) =>
      policy('prod', name, {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role } } }], ports: [{ port }] }],
      });
    const p = plane(from('a', 'client', 80), from('b', 'stranger', 81));
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.10', port: 80 })).toBe(true);
    expect(allows(p, { from: '10.244.0.21', to: '10.244.0.10', port: 81 })).toBe(true);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.10', port: 81 })).toBe(false);
    expect(allows(p, { from: '10.244.0.21', to: '10.244.0.10', port: 80 })).toBe(false);
  });

  it('allows everything with `ingress: [{}]` and nothing with no rules', () => {
    const all = policy('prod', 'all', { podSelector: {}, ingress: [{}] });
    expect(allows(plane(all), { from: '10.244.0.40', to: '10.244.0.10', port: 1 })).toBe(true);
    expect(allows(plane(denyIngress, all), { from: '10.244.0.40', to: '10.244.0.10', port: 1 })).toBe(true);
    const none = policy('prod', 'none', { podSelector: {}, ingress: [] });
    expect(allows(plane(none), { from: '10.244.0.40', to: '10.244.0.10', port: 1 })).toBe(false);
  });

  it('isolates for egress when policyTypes says so, or when egress rules are given without policyTypes', () => {
    const dnsOnly = policy('prod', 'dns', {
      podSelector: { matchLabels: { role: 'client' } },
      egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }, { to: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
    });
    const p = plane(dnsOnly);
    expect(p.sets.get(EGRESS_ISOLATED)!.elements).toEqual(['10.244.0.20']);
    // No policyTypes and egress rules: Ingress and Egress (upstream's defaulting).
    expect(p.sets.get(INGRESS_ISOLATED)!.elements).toEqual(['10.244.0.20']);
    expect(allows(p, { from: '10.244.0.20', to: '10.96.0.10', port: 53, protocol: 'udp' })).toBe(true);
    expect(allows(p, { from: '10.244.0.20', to: '10.96.0.10', port: 53 })).toBe(false);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.11', port: 9090 })).toBe(true);
    expect(allows(p, { from: '10.244.0.20', to: '10.244.0.21', port: 9090 })).toBe(false);
    const denyEgress = policy('prod', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    expect(allows(plane(denyEgress), { from: '10.244.0.20', to: '10.96.0.10', port: 53, protocol: 'udp' })).toBe(false);
  });

  it('leaves out pods without an address and finished pods (their address may be another pod’s soon)', () => {
    const done: Pod = {
      ...pod('prod', 'done', '10.244.0.50', { role: 'client' }),
      status: { phase: 'Succeeded', podIP: '10.244.0.50' },
    };
    const pending: Pod = { ...pod('prod', 'pending', '', { role: 'client' }), status: { phase: 'Pending' } };
    const p = compilePolicies({ policies: [denyIngress], pods: [done, pending, client], namespaces });
    expect(p.sets.get(INGRESS_ISOLATED)!.elements).toEqual(['10.244.0.20']);
  });
});

describe('policy ruleset', () => {
  const table = { table: 'skiff_pol', bridge: 'skiff0' };
  const allow = policy('prod', 'allow', {
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [
      { from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 'http' }, { port: 80 }] },
    ],
  });

  it('moves a relabelled pod between set elements and leaves the rules alone', () => {
    const before = compilePolicies({ policies: [allow], pods, namespaces });
    const relabelled = { ...stranger, metadata: { ...stranger.metadata, labels: { role: 'client' } } };
    const after = compilePolicies({
      policies: [allow],
      pods: pods.map((p) => (p === stranger ? relabelled : p)),
      namespaces,
    });
    expect(policySkeleton(table, after)).toBe(policySkeleton(table, before));
    const clients = before.policies[0].ingress![0].peerSets[0];
    expect(policyElementUpdate('skiff_pol', before, after)).toBe(
      `add element inet skiff_pol ${clients} { 10.244.0.21 }\n`,
    );
    expect(policyElementUpdate('skiff_pol', after, before)).toBe(
      `delete element inet skiff_pol ${clients} { 10.244.0.21 }\n`,
    );
  });

  it('writes the whole table in one transaction, with the policy rules on the bridge', () => {
    const p = compilePolicies({ policies: [allow], pods, namespaces });
    const script = fullPolicyRuleset(table, p);
    const rule = p.policies[0].ingress![0];
    expect(script.startsWith('table inet skiff_pol {}\ndelete table inet skiff_pol\ntable inet skiff_pol {\n')).toBe(
      true,
    );
    expect(script).toContain('    oifname "skiff0" ip daddr @ingress-isolated jump ingress\n');
    expect(script).toContain(
      `    ip daddr @${p.policies[0].targets} ip saddr @${rule.peerSets[0]} meta l4proto . th dport { tcp . 80 } accept\n`,
    );
    expect(script).toContain(
      `    ip daddr @${p.policies[0].targets} ip saddr @${rule.peerSets[0]} ip daddr . meta l4proto . th dport @${rule.namedPorts[0]} accept\n`,
    );
    expect(script).toContain(
      `add element inet skiff_pol ${rule.namedPorts[0]} { 10.244.0.10 . tcp . 8080, 10.244.0.11 . tcp . 9090 }`,
    );
  });

  it('lets egress rules allow the host’s services by address block and port, never by pod selector', () => {
    const p = compilePolicies({
      policies: [
        policy('prod', 'egress', {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            { ports: [{ protocol: 'UDP', port: 53 }] },
            { to: [{ ipBlock: { cidr: '10.96.0.1/32' } }], ports: [{ port: 443 }] },
            { to: [{ podSelector: {} }] },
          ],
        }),
      ],
      pods,
      namespaces,
    });
    const hostChain = fullPolicyRuleset(table, p).split('chain egress-host {\n')[1].split('  }')[0];
    const targets = p.policies[0].targets;
    expect(hostChain).toBe(
      `    ip saddr @${targets} meta l4proto udp ct original proto-dst 53 return\n` +
        `    ip saddr @${targets} ct original ip daddr { 10.96.0.1 } meta l4proto tcp ct original proto-dst 443 return\n` +
        `    counter drop comment "skiff-policy-egress-drop"\n`,
    );
  });
});
