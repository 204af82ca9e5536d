import { eventually, openWatch, startTestCluster, TestCluster } from '@skiff/testing';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import type { Pod } from '@skiff/kube-types';

// Pods that stop at once on SIGTERM, so deletions do not wait out a grace period.
const SLEEPER = "trap 'exit 0' TERM; sleep 3600 & wait";
const COUNTER = "trap 'exit 0' TERM; while true; do date; sleep 1; done";
// Inside the VSwitch 10.244.0.0/16 but outside every test cluster's /24 (10.244.100-249.0/24): nobody owns it.
const NOWHERE = '10.244.77.7';

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
const sha9 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 9);

function podManifest(ns: string, name: string, labels: Record<string, string>, command: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', command] }],
    },
  });
}

describe('sandbox robustness (runc)', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => cluster.kubectl(args, { timeoutMs: 240_000 });
  const agentDir = () => path.join(cluster.stateDir, 'agent');
  const agent = () => cluster.stack.services.get('sandbox-agent')!;
  const seenUids = new Set<string>();

  const newNamespace = async (base: string): Promise<string> => {
    const ns = `${base}-${randomBytes(3).toString('hex')}`;
    expect((await k('create', 'namespace', ns)).code).toBe(0);
    return ns;
  };
  const getPod = async (ns: string, name: string): Promise<Pod> => {
    const r = await k('get', 'pod', name, '-n', ns, '-o', 'json');
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Pod;
  };
  const run = async (ns: string, name: string, command: string, labels: Record<string, string> = {}): Promise<void> => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { stdin: podManifest(ns, name, labels, command) });
    expect(r.stderr).toBe('');
  };
  const waitReady = async (ns: string, what: string[]): Promise<void> => {
    const r = await k('wait', '--for=condition=Ready', '-n', ns, '--timeout=180s', ...what);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  };
  const resourceVersionOf = async (ns: string, name: string): Promise<string> =>
    (await k('get', 'pod', name, '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}')).stdout;
  const logs = async (ns: string, name: string): Promise<string> => {
    const r = await k('logs', name, '-n', ns);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout;
  };

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    // The agent's cleanup only knows pods it has records of: a netns leaked by a pod (the leak the cycles
    // test looks for) would outlive the cluster, so the file removes those of its own pods.
    const netns = sh('ip', ['netns', 'list']);
    for (const u of seenUids) if (netns.includes(`skiff-${u}`)) spawnSync('ip', ['netns', 'delete', `skiff-${u}`]);
  });

  it('leaves nothing behind after 100 create/delete cycles', async () => {
    const ns = await newNamespace('cycles');
    const uids: string[] = [];
    let bridge = '';
    for (let batch = 0; batch < 10; batch++) {
      const manifests = Array.from({ length: 10 }, (_, i) =>
        podManifest(ns, `cycle-${batch}-${i}`, { batch: String(batch) }, SLEEPER),
      );
      const created = await cluster.kubectl(['apply', '-f', '-'], { stdin: manifests.join('\n') });
      expect(created.stderr).toBe('');
      await waitReady(ns, ['pod', '-l', `batch=${batch}`]);
      const list = JSON.parse((await k('get', 'pods', '-n', ns, '-l', `batch=${batch}`, '-o', 'json')).stdout) as {
        items: Pod[];
      };
      expect(list.items.map((p) => p.status?.phase)).toEqual(Array(10).fill('Running'));
      uids.push(...list.items.map((p) => p.metadata.uid!));
      for (const p of list.items) seenUids.add(p.metadata.uid!);
      bridge ||= bridgeOf(list.items[0].status!.podIP!);
      const deleted = await k('delete', 'pods', '-n', ns, '-l', `batch=${batch}`, '--wait', '--timeout=180s');
      expect(deleted.code).toBe(0);
      expect((await k('get', 'pods', '-n', ns, '-o', 'name')).stdout).toBe('');
    }
    expect(new Set(uids).size).toBe(100);

    // Everything is gathered first so that one failure shows every kind of leftover at once.
    const netns = sh('ip', ['netns', 'list']);
    const links = sh('ip', ['-br', 'link']);
    const runtimes = ['runc', 'runsc'].flatMap((kind) => {
      const root = path.join(agentDir(), 'runtime', kind, `${kind}-root`);
      return existsSync(root)
        ? sh(`/usr/${kind === 'runc' ? 'sbin' : 'bin'}/${kind}`, [`--root=${root}`, 'list', '--quiet'])
            .split('\n')
            .filter(Boolean)
        : [];
    });
    const db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    let allocations: unknown[];
    try {
      allocations = (
        await db.query('SELECT host(ip) AS ip, name FROM eni_allocations WHERE namespace = $1 OR pod_uid = ANY($2)', [
          ns,
          uids,
        ])
      ).rows;
    } finally {
      await db.end();
    }
    const files = (dir: string) =>
      existsSync(dir) ? readdirSync(dir).filter((f) => uids.some((u) => f.includes(u))) : [];
    expect({
      // Network: no netns and no veth of these pods; the agent's bridge has no ports left.
      netns: uids.filter((u) => netns.includes(`skiff-${u}`)),
      veths: uids.filter((u) => links.includes(`skiffv${sha9(u)}`)),
      bridgePorts: sh('ip', ['-br', 'link', 'show', 'master', bridge]).trim(),
      // Mounts: nothing under the agent's state dir (overlay rootfs, /dev/shm, volumes).
      mounts: readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .filter((l) => l.split(' ')[1]?.startsWith(agentDir())),
      // runc (and runsc) under the agent's own --root list no container.
      containers: runtimes,
      // runc nests `skiff/<pod uid>` under the agent's own cgroup in every v1 hierarchy.
      cgroups: podCgroupsLeft(agent().child.pid!, uids),
      // network-svc holds no address for these pods.
      allocations,
      logDirs: files(path.join(agentDir(), 'sandboxes', 'logs')),
      sandboxDirs: files(path.join(agentDir(), 'sandboxes', 'pods')),
      bundles: files(path.join(agentDir(), 'runtime', 'runc', 'containers')),
      podRecords: files(path.join(agentDir(), 'pod-state')),
    }).toEqual({
      netns: [],
      veths: [],
      bridgePorts: '',
      mounts: [],
      containers: [],
      cgroups: [],
      allocations: [],
      logDirs: [],
      sandboxDirs: [],
      bundles: [],
      podRecords: [],
    });
    await k('delete', 'namespace', ns, '--wait=false');
  }, 900_000);

  // b and c: the agent goes away (SIGTERM or SIGKILL) and comes back; conmon keeps the containers running.
  const survivesAgentOutage = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const ns = await newNamespace(signal === 'SIGTERM' ? 'restart' : 'kill');
    await run(ns, 'counter', COUNTER);
    await waitReady(ns, ['pod/counter']);
    const before = await getPod(ns, 'counter');
    const logBefore = await eventually(
      async () => {
        const l = await logs(ns, 'counter');
        return l.split('\n').length > 2 ? l : undefined;
      },
      60_000,
      'the counter to log',
    );
    const watch = openWatch(
      cluster.stack,
      `/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${await resourceVersionOf(ns, 'counter')}`,
    );
    try {
      const svc = agent();
      if (signal === 'SIGKILL') {
        svc.child.kill('SIGKILL');
        await svc.exited;
      } else {
        await svc.stop();
      }
      // Changed and created while no agent runs: both leave sync jobs queued for the agent that comes back.
      expect((await k('annotate', 'pod', 'counter', '-n', ns, 'touched-while-agent-away=yes')).code).toBe(0);
      await run(ns, 'late', SLEEPER);
      await cluster.stack.restart('sandbox-agent');
      await waitReady(ns, ['pod/late']);

      const after = await getPod(ns, 'counter');
      expect(after.status?.phase).toBe('Running');
      expect(after.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      // Container ids are derived from pod uid and name, so the start time is what tells a new instance apart.
      const [was] = before.status!.containerStatuses!;
      expect(after.status?.containerStatuses?.[0]).toMatchObject({
        containerID: was.containerID,
        restartCount: 0,
        ready: true,
        state: { running: { startedAt: was.state!.running!.startedAt } },
      });
      expect(after.status?.podIP).toBe(before.status?.podIP);
      // Served by the new agent: the same log, grown while the agent was away and after.
      const logAfter = await eventually(
        async () => {
          const l = await logs(ns, 'counter');
          return l.length > logBefore.length ? l : undefined;
        },
        60_000,
        'the counter log to grow',
      );
      expect(logAfter.startsWith(logBefore)).toBe(true);
      // Nobody ever saw the counter pod anything but Running and Ready.
      const seen = watch.events.map((e) => e.object as unknown as Pod).filter((p) => p.metadata.name === 'counter');
      expect(
        seen.filter(
          (p) =>
            p.status?.phase !== 'Running' || p.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True',
        ),
      ).toEqual([]);
    } finally {
      watch.close();
    }
    expect((await k('delete', 'pods', '--all', '-n', ns, '--wait', '--timeout=120s')).code).toBe(0);
    await k('delete', 'namespace', ns, '--wait=false');
  };

  it(
    'keeps containers running across an agent restart and starts pods created while it was down',
    () => survivesAgentOutage('SIGTERM'),
    300_000,
  );

  it(
    'keeps containers running when the agent is SIGKILLed and started again',
    () => survivesAgentOutage('SIGKILL'),
    300_000,
  );

  it('lets pods reach each other on the bridge, but neither out of it nor the host itself', async () => {
    const ns = await newNamespace('egress');
    await run(ns, 'web', "trap 'exit 0' TERM; echo skiff-web > /tmp/index.html; httpd -f -p 8080 -h /tmp & wait");
    await run(ns, 'client', SLEEPER);
    await waitReady(ns, ['pod/web', 'pod/client']);
    const web = await getPod(ns, 'web');
    const podIP = web.status!.podIP!;
    const bridge = bridgeOf(podIP);
    // The agent's egress drop lives in an nft table named after its bridge.
    const table = bridge;
    expect(podIP.split('.').slice(0, 3).join('.')).not.toBe(NOWHERE.split('.').slice(0, 3).join('.'));
    expect(sh('nft', ['list', 'chain', 'inet', table, 'forward'])).toMatch(
      new RegExp(
        `iifname "${bridge}" oifname != "${bridge}" counter packets \\d+ bytes \\d+ drop comment "skiff-egress-drop"`,
      ),
    );

    // busybox 1.35's `wget -T` segfaults (exit 139, upstream bug), so busybox `timeout` bounds the attempt.
    const wget = (url: string) => k('exec', 'client', '-n', ns, '--', 'timeout', '5', 'wget', '-q', '-O-', url);
    // httpd may still be starting when the pod turns Ready (no readiness probe).
    const same = await eventually(
      async () => {
        const r = await wget(`http://${podIP}:8080/index.html`);
        if (r.code !== 0) throw new Error(`wget exited ${r.code}: ${r.stderr.trim()}`);
        return r;
      },
      30_000,
      'the client to reach web on the bridge',
    );
    expect(same.stdout).toBe('skiff-web\n');

    // A guard of the test's own counts (and stops) any packet to NOWHERE that would leave this machine.
    const guard = `skiffguard${randomBytes(2).toString('hex')}`;
    nft(
      `table inet ${guard} {\n chain out {\n  type filter hook postrouting priority 100; policy accept;\n  ip daddr ${NOWHERE} counter drop\n }\n}\n`,
    );
    try {
      // The agent lets its bridge forward (ClusterIP DNAT sends packets back out of it); its egress drop stops this one.
      // 1: wget could not connect; 143: timeout stopped it.
      const refused = await wget(`http://${NOWHERE}/`);
      expect([1, 143]).toContain(refused.code);
      expect(counterOf(sh('nft', ['list', 'table', 'inet', guard]))).toBe(0);

      // The agent's nft rule is what keeps the pod in (forwarding set again: an earlier step may have changed it).
      const dropsBefore = egressDrops(table);
      setForwarding(bridge, true);
      const dropped = await wget(`http://${NOWHERE}/`);
      expect([1, 143]).toContain(dropped.code);
      expect(egressDrops(table)).toBeGreaterThan(dropsBefore);
      expect(counterOf(sh('nft', ['list', 'table', 'inet', guard]))).toBe(0);
    } finally {
      setForwarding(bridge, true); // the agent's own setting
      spawnSync('nft', ['delete', 'table', 'inet', guard]);
    }

    // Nor is the sandbox host itself reachable: a server on the bridge's own (gateway) address gets nothing.
    const gateway = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(sh('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge]))![1];
    const hits: string[] = [];
    const server = createServer((req, res) => res.end(String(hits.push(req.url ?? ''))));
    await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const hostDropsBefore = hostDrops(table);
      const blocked = await wget(`http://${gateway}:${port}/from-a-pod`);
      expect([1, 143]).toContain(blocked.code);
      expect(hits).toEqual([]);
      expect(hostDrops(table)).toBeGreaterThan(hostDropsBefore);
    } finally {
      server.close();
    }
    expect((await k('delete', 'pods', '--all', '-n', ns, '--wait', '--timeout=120s')).code).toBe(0);
    await k('delete', 'namespace', ns, '--wait=false');
  }, 300_000);
});

/** The bridge the host routes a pod address through. */
function bridgeOf(podIP: string): string {
  const m = / dev (skiff\w+) /.exec(sh('ip', ['-o', 'route', 'get', podIP]));
  if (!m) throw new Error(`no skiff bridge routes ${podIP}`);
  return m[1];
}

function nft(ruleset: string): void {
  execFileSync('nft', ['-f', '-'], { input: ruleset });
}

// Per-interface and only on the cluster's own bridge (removed with it), as the agent sets it; ip_forward stays off.
function setForwarding(bridge: string, on: boolean): void {
  const file = `/proc/sys/net/ipv4/conf/${bridge}/forwarding`;
  if (existsSync(file)) writeFileSync(file, on ? '1' : '0');
}

function counterOf(listing: string): number {
  return Number(/counter packets (\d+)/.exec(listing)?.[1] ?? NaN);
}

/** Packets the agent's forward rule dropped for leaving its bridge. */
function egressDrops(table: string): number {
  return dropCounter(table, 'forward', 'skiff-egress-drop');
}

/** Packets the agent's input rule dropped for reaching the host from its bridge. */
function hostDrops(table: string): number {
  return dropCounter(table, 'input', 'skiff-host-drop');
}

function dropCounter(table: string, chain: string, comment: string): number {
  const doc = JSON.parse(sh('nft', ['-j', 'list', 'chain', 'inet', table, chain])) as {
    nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[];
  };
  let packets = 0;
  for (const item of doc.nftables) {
    if (item.rule?.comment !== comment) continue;
    for (const e of item.rule.expr) packets += e.counter?.packets ?? 0;
  }
  return packets;
}

/** `<controller>/<agent's cgroup>/skiff/<uid>` directories that still exist for these pods. */
function podCgroupsLeft(agentPid: number, uids: string[]): string[] {
  const left: string[] = [];
  for (const line of readFileSync(`/proc/${agentPid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, names, own] = line.split(':');
    for (const controller of names.split(',').map((n) => n.replace(/^name=/, ''))) {
      const dir = path.join('/sys/fs/cgroup', controller || 'unified', own, 'skiff');
      if (!existsSync(dir)) continue;
      left.push(
        ...readdirSync(dir)
          .filter((d) => uids.includes(d))
          .map((d) => path.join(dir, d)),
      );
    }
  }
  return left;
}
