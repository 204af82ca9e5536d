import { randomBytes } from 'node:crypto';
import { Nftables, ProcessRunner } from '@skiff/host-tools';
import { Namespace, NetworkPolicy, Pod } from '@skiff/kube-types';
import { HostNetwork } from '../network/host-network';
import { PodNetwork } from '../network/pod-network';
import { compilePolicies, PolicyDataplane } from './policy-dataplane';
import { fullPolicyRuleset, policyElementUpdate, policySkeleton } from './policy-ruleset';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('NetworkPolicy ruleset integration tests skipped: netns, CNI and nft need root');

// Real nft and real TCP between pod network namespaces on one bridge, all inside a fake host netns of the test's
// own (nothing of it reaches a real interface).
(asRoot ? describe : describe.skip)('NetworkPolicy ruleset on a bridge', () => {
  const r = randomBytes(3).toString('hex');
  const hostNs = `skiffT-h${r}`;
  const bridge = `skiffT${r}`;
  const table = `skiffT${r}_pol`;
  const subnet = '10.244.251';
  const runner = new ProcessRunner();
  const hostNetwork = new HostNetwork(runner, { hostNetns: hostNs });
  const podNetwork = new PodNetwork(runner, { hostNetns: hostNs });
  const nft = new Nftables(runner, hostNs);
  const names = ['web', 'client', 'other'] as const;
  const ip = (i: number) => `${subnet}.${i + 2}`;
  const podId = (name: string) => `t${r}-${name}`;
  const listeners: { kill(): void }[] = [];
  const namespaces: Namespace[] = [{ metadata: { name: 'prod' }, spec: {} }];
  let labels: Record<(typeof names)[number], Record<string, string>> = {
    web: { app: 'web' },
    client: { role: 'client' },
    other: {},
  };
  const pods = (): Pod[] =>
    names.map((name, i) => ({
      metadata: { namespace: 'prod', name, uid: podId(name), labels: labels[name] },
      spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] },
      status: { phase: 'Running', podIP: ip(i) },
    }));
  let applied: PolicyDataplane | undefined;
  let policies: NetworkPolicy[] = [];
  // What the agent does on an event: compute again, write the set elements when no policy changed, else all.
  const program = async () => {
    const plane = compilePolicies({ policies, pods: pods(), namespaces });
    const config = { table, bridge };
    if (applied && policySkeleton(config, applied) === policySkeleton(config, plane)) {
      const script = policyElementUpdate(table, applied, plane);
      if (script) await nft.apply(script);
    } else await nft.apply(fullPolicyRuleset(config, plane));
    applied = plane;
  };
  const connects = async (from: (typeof names)[number], to: (typeof names)[number]) => {
    const res = await runner.run(
      'ip',
      [
        'netns',
        'exec',
        PodNetwork.netnsName(podId(from)),
        'socat',
        '-T1',
        '-',
        `TCP:${ip(names.indexOf(to))}:8080,connect-timeout=1`,
      ],
      { allowFailure: true, timeoutMs: 5_000, input: '' },
    );
    return res.code === 0 && res.stdout.includes('hello');
  };

  beforeAll(async () => {
    await runner.run('ip', ['netns', 'add', hostNs]);
    await runner.run('ip', ['-n', hostNs, 'link', 'set', 'lo', 'up']);
    await hostNetwork.ensure({ bridge, gatewayCidr: `${subnet}.1/24`, nftTable: `skiffT${r}` });
    // Bridged packets through the IPv4 hooks, as on the sandbox hosts (per network namespace).
    await runner.run('ip', ['netns', 'exec', hostNs, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
    for (const [i, name] of names.entries()) {
      await podNetwork.create(podId(name));
      await podNetwork.wire({ podId: podId(name), ip: ip(i), prefixLength: 24, gateway: `${subnet}.1`, bridge });
      listeners.push(
        runner.spawn('ip', [
          'netns',
          'exec',
          PodNetwork.netnsName(podId(name)),
          'socat',
          'TCP-LISTEN:8080,fork,reuseaddr',
          'SYSTEM:echo hello',
        ]),
      );
    }
  });

  afterAll(async () => {
    for (const l of listeners) l.kill();
    await nft.deleteTable('inet', table);
    for (const name of names) await podNetwork.teardown(podId(name));
    await hostNetwork.remove({ bridge, nftTable: `skiffT${r}` });
    await runner.run('ip', ['netns', 'delete', hostNs], { allowFailure: true });
  });

  it('lets traffic through with no policy; default deny stops it; an allow rule reopens it for its peers only', async () => {
    await program();
    expect(await connects('client', 'web')).toBe(true);
    policies = [
      {
        metadata: { namespace: 'prod', name: 'deny' },
        spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] },
      },
    ];
    await program();
    expect(await connects('client', 'web')).toBe(false);
    expect(await connects('web', 'client')).toBe(true); // only web is isolated
    policies.push({
      metadata: { namespace: 'prod', name: 'allow' },
      spec: {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 'http' }] }],
      },
    });
    await program();
    expect(await connects('client', 'web')).toBe(true);
    expect(await connects('other', 'web')).toBe(false);
  });

  it('moves a relabelled pod in and out with set elements alone', async () => {
    labels = { ...labels, other: { role: 'client' }, client: {} };
    const started = process.hrtime.bigint();
    await program();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`relabel → sets written: ${ms.toFixed(1)} ms`);
    expect(await connects('other', 'web')).toBe(true);
    expect(await connects('client', 'web')).toBe(false);
  });

  it('egress deny stops outbound connections; replies of allowed ones still pass', async () => {
    policies.push({
      metadata: { namespace: 'prod', name: 'egress' },
      spec: { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'] },
    });
    await program();
    expect(await connects('other', 'web')).toBe(false);
    expect(await connects('web', 'other')).toBe(true); // other answers: the reply is established traffic
  });
});
