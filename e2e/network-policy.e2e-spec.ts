import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ALLOW_CLIENTS,
  DENY_INGRESS,
  eventually,
  KubectlResult,
  podHttp,
  sleeperPod,
  startTestCluster,
  TestCluster,
  webServerPod,
} from '@skiff/testing';

// One TCP connection from a pod's network namespace (`skiff-<uid>`, the agent's), bounded by 200 ms.
const connectsFromNetns = (uid: string, ip: string) =>
  promisify(execFile)(
    'ip',
    ['netns', 'exec', `skiff-${uid}`, 'socat', '-u', 'OPEN:/dev/null', `TCP:${ip}:8080,connect-timeout=0.2`],
    {
      timeout: 5_000,
    },
  ).then(
    () => true,
    () => false,
  );

const FROM_BLUE_NAMESPACES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-blue-namespaces}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: blue}}}]
`;
const DENY_EGRESS = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: locked-down}
spec:
  podSelector: {matchLabels: {egress: locked}}
  policyTypes: [Egress]
`;
const ALLOW_DNS = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns}
spec:
  podSelector: {matchLabels: {egress: locked}}
  policyTypes: [Egress]
  egress:
    - ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
`;

describe('NetworkPolicy enforced between runc and gVisor pods (kubectl)', () => {
  let cluster: TestCluster;
  const ns = 'netpol';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const apply = (yaml: string) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: yaml });
  const exec = (pod: string, script: string): Promise<KubectlResult> =>
    cluster.kubectl(['exec', '-n', ns, pod, '--', 'sh', '-c', script]);
  // Two web servers (runc and gVisor) with a named port, and two clients: NetworkPolicies decide who gets through.
  const { get, reaches, blocked } = podHttp((args, opts) => cluster.kubectl(args, opts), ns);
  const ips: Record<string, string> = {};

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    await cluster.kubectl(['create', 'namespace', ns]);
    await cluster.kubectl(['create', 'namespace', 'netpol-peer']);
    const visitor = JSON.stringify(sleeperPod('visitor', {}));
    expect((await cluster.kubectl(['apply', '-n', 'netpol-peer', '-f', '-'], { stdin: visitor })).code).toBe(0);
    for (const pod of [
      webServerPod('web', 'runc'),
      webServerPod('web-gvisor', 'gvisor'),
      sleeperPod('client', { role: 'client' }),
      sleeperPod('other', {}),
    ])
      expect((await apply(JSON.stringify(pod))).code).toBe(0);
    for (const pod of ['web', 'web-gvisor', 'client', 'other']) {
      expect((await k('wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=120s')).code).toBe(0);
      ips[pod] = (await k('get', 'pod', pod, '-o', 'jsonpath={.status.podIP}')).stdout;
    }
    const waited = await cluster.kubectl([
      'wait',
      '-n',
      'netpol-peer',
      '--for=condition=Ready',
      'pod/visitor',
      '--timeout=120s',
    ]);
    expect(waited.code).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('lets pods talk while no policy selects them', async () => {
    for (const target of ['web', 'web-gvisor']) {
      await reaches('client', ips[target], `client to reach ${target}`);
      await reaches('other', ips[target], `other to reach ${target}`);
    }
  });

  it('default deny blocks a request that succeeded before; an allow rule (podSelector + named port) reopens it', async () => {
    expect((await apply(DENY_INGRESS)).code).toBe(0);
    for (const target of ['web', 'web-gvisor']) await blocked('client', ips[target], `client blocked from ${target}`);
    expect((await apply(ALLOW_CLIENTS)).code).toBe(0);
    for (const target of ['web', 'web-gvisor']) await reaches('client', ips[target], `client to reach ${target} again`);
    expect(await get('other', ips.web)).toBe(false);
    expect(await get('other', ips['web-gvisor'])).toBe(false);
    // The answer itself comes back: replies to an allowed connection pass though web is isolated.
    expect((await exec('client', `timeout 2 wget -qO- http://${ips.web}:8080`)).stdout.trim()).toBe('web');
  });

  it('follows label changes of pods and namespaces: labelled in gets through, labelled out is blocked', async () => {
    const uid = (pod: string, namespace = ns) =>
      cluster.kubectl(['get', 'pod', pod, '-n', namespace, '-o', 'jsonpath={.metadata.uid}']).then((r) => r.stdout);
    // From the label command to the first connection that changes, probed from the pod's netns (no sleep).
    const relabel = async (podUid: string, label: string[], expected: boolean) => {
      const started = Date.now();
      expect((await cluster.kubectl(['label', ...label])).code).toBe(0);
      const stored = Date.now() - started;
      while ((await connectsFromNetns(podUid, ips.web)) !== expected)
        if (Date.now() - started > 30_000) throw new Error(`connection still ${expected ? 'refused' : 'open'}`);
      return `${Date.now() - started} ms (kubectl label took ${stored} ms)`;
    };
    const podIn = await relabel(await uid('other'), ['pod', 'other', '-n', ns, 'role=client'], true);
    expect(await get('other', ips.web)).toBe(true);
    const podOut = await relabel(await uid('client'), ['pod', 'client', '-n', ns, 'role-'], false);
    await blocked('client', ips.web, 'client blocked once its label is gone');
    expect((await k('label', 'pod', 'client', 'role=client')).code).toBe(0);

    expect((await apply(FROM_BLUE_NAMESPACES)).code).toBe(0);
    const visitor = await uid('visitor', 'netpol-peer');
    expect(await connectsFromNetns(visitor, ips.web)).toBe(false);
    const nsIn = await relabel(visitor, ['namespace', 'netpol-peer', 'team=blue'], true);
    const nsOut = await relabel(visitor, ['namespace', 'netpol-peer', 'team-'], false);
    // Not asserted (tests never assert timings).
    console.log(
      `pod label → allowed: ${podIn}; removed → blocked: ${podOut}; namespace label → allowed: ${nsIn}; removed → blocked: ${nsOut}`,
    );
  });

  it('egress deny blocks outbound traffic, DNS included, until an egress rule allows port 53', async () => {
    await reaches('other', ips.web, 'other to reach web');
    const lookup = async () =>
      (await exec('other', 'timeout 3 nslookup kubernetes.default.svc.cluster.local')).code === 0;
    expect(await lookup()).toBe(true);
    expect((await apply(DENY_EGRESS)).code).toBe(0);
    expect((await k('label', 'pod', 'other', 'egress=locked')).code).toBe(0);
    await blocked('other', ips.web, 'other blocked by its egress policy');
    await eventually(async () => !(await lookup()) || undefined, 30_000, 'DNS blocked');
    // A new pod under the policy is isolated from its first packet, not from when its status reaches the API.
    const early = {
      ...sleeperPod('early', { egress: 'locked' }),
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', `timeout 2 wget -qO- http://${ips.web}:8080 && echo OPEN || echo CLOSED; sleep 3600`],
          },
        ],
      },
    };
    expect((await apply(JSON.stringify(early))).code).toBe(0);
    // busybox `timeout` also prints "Terminated" when it stops wget.
    const firstTry = await eventually(
      async () => /OPEN|CLOSED/.exec((await k('logs', 'early')).stdout)?.[0],
      60_000,
      'the early pod to try',
    );
    expect(firstTry).toBe('CLOSED');
    expect((await apply(ALLOW_DNS)).code).toBe(0);
    await eventually(lookup, 30_000, 'DNS allowed by an egress rule for port 53');
    expect(await get('other', ips.web)).toBe(false);
    // Deleting the policies lifts the isolation.
    expect((await k('delete', 'networkpolicy', 'locked-down', 'dns')).code).toBe(0);
    await reaches('other', ips.web, 'other to reach web with no egress policy');
  });
});
