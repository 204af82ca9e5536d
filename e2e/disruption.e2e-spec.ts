import { apiRequest, eventually, KubectlResult, openWatch, startTestCluster, TestCluster } from '@skiff/testing';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

// Selector and labels come from the template (the API server defaults them, as upstream).
const RC = `apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: busybox
          command: [sh, -c, "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

interface WatchedPod {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

function isHealthy(pod: WatchedPod): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

interface BudgetEvent {
  metadata: { name: string };
  status?: { disruptionsAllowed?: number; disruptedPods?: Record<string, string> };
}

function clientNodeEviction(
  kubeconfig: string,
  ns: string,
  pod: string,
): Promise<{ code: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(__dirname, 'client-node', 'eviction.mjs'), kubeconfig, ns, pod],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`eviction.mjs failed: ${stderr || err.message}\n${stdout}`));
        else resolve(JSON.parse(stdout.trim()) as { code: number; body: Record<string, unknown> });
      },
    );
  });
}

describe('PodDisruptionBudgets, evictions and ReplicationControllers on real sandboxes (kubectl)', () => {
  let cluster: TestCluster;
  const ns = 'budgets';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const jsonpath = async (what: string[], expr: string) =>
    (await k('get', ...what, '-o', `jsonpath=${expr}`)).stdout.trim();
  const readyReplicas = (n: number) =>
    eventually(
      async () => ((await jsonpath(['rc', 'web'], '{.status.readyReplicas}')) === String(n) ? true : undefined),
      120_000,
      `${n} ready replicas`,
    );
  const allowed = (n: number) =>
    eventually(
      async () =>
        (
          await jsonpath(
            ['pdb', 'web'],
            '{.status.observedGeneration}/{.metadata.generation} {.status.disruptionsAllowed}',
          )
        ).match(/^(\d+)\/\1 (\d+)$/)?.[2] === String(n)
          ? true
          : undefined,
      60_000,
      `${n} allowed disruptions`,
    );
  // Running pods not being deleted, by name.
  const runningPods = async () =>
    (
      await jsonpath(
        ['pods', '-l', 'app=web'],
        '{range .items[?(@.status.phase=="Running")]}{.metadata.name},{.metadata.deletionTimestamp}{"\\n"}{end}',
      )
    )
      .split('\n')
      .map((l) => l.split(','))
      .filter(([name, deleting]) => name && !deleting)
      .map(([name]) => name);
  const evictionBody = (pod: string) =>
    JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: ns } });

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    await cluster.kubectl(['create', 'namespace', ns]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps the replicas of an RC created with kubectl, and `kubectl scale rc` resizes it', async () => {
    expect((await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: RC })).stdout.trim()).toBe(
      'replicationcontroller/web created',
    );
    await readyReplicas(3);
    const table = (await k('get', 'rc', 'web')).stdout.trim().split('\n');
    expect(table[0].split(/\s+/)).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(table[1].split(/\s+/).slice(0, 4)).toEqual(['web', '3', '3', '3']);
    expect((await k('get', 'rc', 'web', '-o', 'wide')).stdout.split('\n')[1]).toMatch(/\sweb\s+busybox\s+app=web\s*$/);

    expect((await k('scale', 'rc/web', '--replicas=4')).stdout.trim()).toBe('replicationcontroller/web scaled');
    await readyReplicas(4);
    expect((await k('scale', 'rc', 'web', '--replicas=3')).stdout.trim()).toBe('replicationcontroller/web scaled');
    await eventually(
      async () => ((await jsonpath(['rc', 'web'], '{.status.replicas}')) === '3' ? true : undefined),
      60_000,
      'back to 3 replicas',
    );
    await readyReplicas(3);
  }, 300_000);

  it('`kubectl get pdb` shows the disruptions the ready pods allow', async () => {
    expect(
      (await k('create', 'poddisruptionbudget', 'web', '--selector=app=web', '--min-available=2')).stdout.trim(),
    ).toBe('poddisruptionbudget.policy/web created');
    await allowed(1);
    const table = (await k('get', 'pdb')).stdout.trim().split('\n');
    expect(table[0].split(/\s{2,}/)).toEqual([
      'NAME',
      'MIN AVAILABLE',
      'MAX UNAVAILABLE',
      'ALLOWED DISRUPTIONS',
      'AGE',
    ]);
    expect(table[1].split(/\s+/).slice(0, 4)).toEqual(['web', '2', 'N/A', '1']);
  }, 120_000);

  it("refuses an eviction that would break the budget with 429 and upstream's message", async () => {
    expect((await k('patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":3}}')).code).toBe(0);
    await allowed(0);
    const [pod] = await runningPods();
    const res = await cluster.kubectl(['create', '--raw', `/api/v1/namespaces/${ns}/pods/${pod}/eviction`, '-f', '-'], {
      stdin: evictionBody(pod),
    });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      "Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.",
    );

    const viaClientNode = await clientNodeEviction(cluster.stack.kubeconfig, ns, pod);
    expect(viaClientNode).toMatchObject({
      code: 429,
      body: {
        reason: 'TooManyRequests',
        details: {
          causes: [
            {
              reason: 'DisruptionBudget',
              message: 'The disruption budget web needs 3 healthy pods and has 3 currently',
            },
          ],
        },
      },
    });
    expect(await jsonpath(['pod', pod], '{.metadata.deletionTimestamp}')).toBe('');
  }, 120_000);

  it('an allowed eviction takes the disruption from the budget and deletes the pod', async () => {
    expect((await k('patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":2}}')).code).toBe(0);
    await allowed(1);
    const [first, second] = await runningPods();
    // Every write to the budget, from now on: the eviction's decrement must be one of them.
    const list = (await apiRequest(cluster.stack, 'GET', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`))
      .body as { metadata: { resourceVersion: string } };
    const watch = openWatch(
      cluster.stack,
      `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
    );
    try {
      const res = await cluster.kubectl(
        ['create', '--raw', `/api/v1/namespaces/${ns}/pods/${first}/eviction`, '-f', '-'],
        { stdin: evictionBody(first) },
      );
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ kind: 'Status', status: 'Success' });
      const decrement = await eventually(
        async () =>
          watch.events
            .map((e) => e.object as unknown as BudgetEvent)
            .find((b) => b.status?.disruptionsAllowed === 0 && b.status.disruptedPods?.[first] !== undefined),
        20_000,
        'the budget decremented with the evicted pod recorded',
      );
      expect(decrement.metadata.name).toBe('web');
    } finally {
      watch.close();
    }
    await eventually(
      async () => ((await k('get', 'pod', first)).code !== 0 ? true : undefined),
      60_000,
      'the evicted pod gone',
    );
    // The RC replaces it; once the replacement is ready the budget allows one disruption again.
    await readyReplicas(3);
    await allowed(1);

    const viaClientNode = await clientNodeEviction(cluster.stack.kubeconfig, ns, second);
    expect(viaClientNode.code).toBe(201);
    await eventually(
      async () => ((await k('get', 'pod', second)).code !== 0 ? true : undefined),
      60_000,
      'the second evicted pod gone',
    );
    await readyReplicas(3);
  }, 300_000);

  it('`kubectl drain` of the virtual node evicts the pods one disruption at a time', async () => {
    const node = await jsonpath(['pods', '-l', 'app=web'], '{.items[0].spec.nodeName}');
    const before = await runningPods();
    await allowed(1);
    // What the budget protects, seen on a watch throughout: Ready pods not being deleted (minAvailable 2).
    const list = (await apiRequest(cluster.stack, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`))
      .body as { metadata: { resourceVersion: string }; items: WatchedPod[] };
    const healthy = new Map(list.items.map((p) => [p.metadata.name, isHealthy(p)]));
    const count = (): number => [...healthy.values()].filter(Boolean).length;
    let fewest = count();
    const watch = openWatch(
      cluster.stack,
      `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb&watch=true&resourceVersion=${list.metadata.resourceVersion}`,
    );
    let drain: KubectlResult | undefined;
    try {
      drain = await cluster.kubectl(
        ['drain', node, '--pod-selector=app=web', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=240s'],
        { timeoutMs: 260_000 },
      );
      await cluster.kubectl(['uncordon', node]);
      await readyReplicas(3);
    } finally {
      watch.close();
    }
    for (const e of watch.events) {
      const pod = e.object as unknown as WatchedPod;
      healthy.set(pod.metadata.name, e.type !== 'DELETED' && isHealthy(pod));
      fewest = Math.min(fewest, count());
    }
    expect(drain?.code).toBe(0);
    expect(drain?.stdout).toContain(`node/${node} drained`);
    for (const pod of before) expect(drain?.stdout).toContain(`pod/${pod} evicted`);
    // Whether kubectl also met a 429 depends on how fast the replacements got ready; the budget held either way.
    expect(fewest).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
