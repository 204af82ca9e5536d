import { eventually, startTestCluster, TestCluster } from '@skiff/testing';

const pod = (name: string, resources: Record<string, unknown>, securityContext?: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'], resources, securityContext }],
    },
  });

describe('ResourceQuota, LimitRange and Pod Security admission (kubectl)', () => {
  let cluster: TestCluster;
  const k = (ns: string, ...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const create = (ns: string, doc: string) => cluster.kubectl(['create', '-n', ns, '-f', '-'], { stdin: doc });
  const quotaStatus = async (ns: string, name: string) =>
    JSON.parse((await k(ns, 'get', 'resourcequota', name, '-o', 'jsonpath={.status}')).stdout || '{}') as {
      hard?: Record<string, string>;
      used?: Record<string, string>;
    };

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    for (const ns of ['quota', 'limits', 'restricted'])
      expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await cluster?.kubectl(['delete', 'namespace', 'quota', 'limits', 'restricted', '--wait=false']);
    await cluster?.stop();
  }, 120_000);

  it("refuses the pod over quota with upstream's message and releases usage on delete", async () => {
    const quota = `{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"compute"},"spec":{"hard":{"requests.cpu":"2","pods":"5"}}}`;
    expect((await create('quota', quota)).code).toBe(0);
    await eventually(
      async () => (await quotaStatus('quota', 'compute')).used?.['requests.cpu'] === '0',
      20_000,
      'status.used',
    );
    expect((await create('quota', pod('one', { requests: { cpu: '1' } }))).code).toBe(0);
    const refused = await create('quota', pod('two', { requests: { cpu: '2' } }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'pods "two" is forbidden: exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=1, limited: requests.cpu=2',
    );
    const unset = await create('quota', pod('three', {}));
    expect(unset.stderr).toContain(
      'pods "three" is forbidden: failed quota: compute: must specify requests.cpu for: app',
    );
    expect((await k('quota', 'get', 'pod', 'two', 'three', '--ignore-not-found', '-o', 'name')).stdout.trim()).toBe('');
    expect(await quotaStatus('quota', 'compute')).toEqual({
      hard: { pods: '5', 'requests.cpu': '2' },
      used: { pods: '1', 'requests.cpu': '1' },
    });
    const described = (await k('quota', 'describe', 'quota', 'compute')).stdout;
    expect(described).toMatch(/requests\.cpu\s+1\s+2/);

    expect((await k('quota', 'delete', 'pod', 'one', '--grace-period=0', '--force')).code).toBe(0);
    await eventually(
      async () => (await quotaStatus('quota', 'compute')).used?.['requests.cpu'] === '0' || undefined,
      20_000,
      'usage released',
    );
    expect((await create('quota', pod('two', { requests: { cpu: '2' } }))).code).toBe(0);
  }, 120_000);

  it('lets concurrent creates use the quota exactly, never more', async () => {
    const quota = `{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"objects"},"spec":{"hard":{"configmaps":"4"}}}`;
    expect((await create('quota', quota)).code).toBe(0);
    const before = await eventually(
      async () => (await quotaStatus('quota', 'objects')).used?.configmaps,
      20_000,
      'status.used',
    );
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => k('quota', 'create', 'configmap', `cm-${i}`, '--from-literal=k=v')),
    );
    const created = results.filter((r) => r.code === 0).length;
    expect(created).toBe(4 - Number(before));
    for (const r of results.filter((x) => x.code !== 0))
      expect(r.stderr).toContain('exceeded quota: objects, requested: configmaps=1');
    expect((await quotaStatus('quota', 'objects')).used).toEqual({ configmaps: '4' });
  }, 120_000);

  it('defaults container resources from a LimitRange and enforces its bounds', async () => {
    const range = `{"apiVersion":"v1","kind":"LimitRange","metadata":{"name":"limits"},"spec":{"limits":[{"type":"Container","default":{"cpu":"500m","memory":"128Mi"},"defaultRequest":{"cpu":"100m","memory":"64Mi"},"max":{"cpu":"1"}}]}}`;
    expect((await create('limits', range)).code).toBe(0);
    expect((await create('limits', pod('defaulted', {}))).code).toBe(0);
    const resources = JSON.parse(
      (await k('limits', 'get', 'pod', 'defaulted', '-o', 'jsonpath={.spec.containers[0].resources}')).stdout,
    );
    expect(resources).toEqual({ limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } });
    const note = (
      await k(
        'limits',
        'get',
        'pod',
        'defaulted',
        '-o',
        "jsonpath={.metadata.annotations['kubernetes\\.io/limit-ranger']}",
      )
    ).stdout;
    expect(note).toBe(
      'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app',
    );
    const big = await create('limits', pod('big', { limits: { cpu: '2' } }));
    expect(big.stderr).toContain('pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  }, 60_000);

  it('refuses a pod that breaks the restricted level and warns for a Deployment', async () => {
    expect(
      (await cluster.kubectl(['label', 'namespace', 'restricted', 'pod-security.kubernetes.io/enforce=restricted']))
        .code,
    ).toBe(0);
    const refused = await create('restricted', pod('root', {}, { privileged: true }));
    expect(refused.stderr).toContain(
      'pods "root" is forbidden: violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    const safe = {
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    };
    expect((await create('restricted', pod('safe', {}, safe))).code).toBe(0);
    const deployment = await cluster.kubectl([
      'create',
      'deployment',
      'web',
      '-n',
      'restricted',
      '--image=busybox',
      '--',
      'sleep',
      '3600',
    ]);
    expect(deployment.code).toBe(0);
    expect(deployment.stderr).toContain(
      'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "busybox" must set securityContext.allowPrivilegeEscalation=false)',
    );
    const relabel = await cluster.kubectl([
      'label',
      '--overwrite',
      'namespace',
      'quota',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    expect(relabel.stderr).toContain(
      'Warning: existing pods in namespace "quota" violate the new PodSecurity enforce level "restricted:latest"',
    );
    expect(relabel.stderr).toContain(
      'Warning: two: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    );
  }, 60_000);
});
