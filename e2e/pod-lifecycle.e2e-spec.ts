import { eventually, kubectlOnTerminal, startKubectl, startTestCluster, TestCluster } from '@skiff/testing';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// Stops at once on SIGTERM, so deletions do not wait out a grace period.
const SLEEPER = "trap 'exit 0' TERM; sleep 3600 & wait";
const HTTPD =
  "trap 'exit 0' TERM; mkdir -p /www && echo hello-from-runc > /www/index.html; httpd -f -p 8080 -h /www & wait";

interface Container {
  name: string;
  image: string;
  command: string[];
  [field: string]: unknown;
}

function pod(
  ns: string,
  name: string,
  containers: Container[],
  spec: Record<string, unknown> = {},
  annotations: Record<string, string> = {},
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, annotations },
    spec: { terminationGracePeriodSeconds: 5, ...spec, containers },
  });
}

describe('pod lifecycle (probes, OOM, hooks, volumes, gVisor, ECI sizing)', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => cluster.kubectl(args, { timeoutMs: 120_000 });

  const newNamespace = async (base: string): Promise<string> => {
    const ns = `${base}-${randomBytes(3).toString('hex')}`;
    expect((await k('create', 'namespace', ns)).code).toBe(0);
    return ns;
  };
  const apply = async (manifest: string): Promise<void> => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { stdin: manifest });
    expect(r.stderr).toBe('');
  };
  const jsonpath = async (ns: string, what: string, expr: string): Promise<string> =>
    (await k('get', what, '-n', ns, '-o', `jsonpath=${expr}`)).stdout;
  const waitReady = async (ns: string, name: string): Promise<void> => {
    const r = await k('wait', '--for=condition=Ready', `pod/${name}`, '-n', ns, '--timeout=90s');
    expect(r.stderr).toBe('');
  };
  const exec = async (ns: string, name: string, ...cmd: string[]): Promise<string> => {
    const r = await k('exec', name, '-n', ns, '--', ...cmd);
    if (r.code !== 0) throw new Error(`exec ${cmd.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const cleanUp = (ns: string) => k('delete', 'namespace', ns, '--wait=false');

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('restarts a container whose liveness probe fails and says why in describe', async () => {
    const ns = await newNamespace('live');
    const probe = {
      exec: { command: ['cat', '/tmp/healthy'] },
      initialDelaySeconds: 0,
      periodSeconds: 1,
      failureThreshold: 1,
    };
    await apply(
      pod(ns, 'live', [{ name: 'app', image: 'busybox', command: ['sh', '-c', SLEEPER], livenessProbe: probe }]),
    );
    await eventually(
      async () => Number(await jsonpath(ns, 'pod/live', '{.status.containerStatuses[0].restartCount}')) >= 1,
      90_000,
      'a restart',
    );
    // The RESTARTS column of `kubectl get pod`.
    const row = (await k('get', 'pod', 'live', '-n', ns, '--no-headers')).stdout;
    expect(Number(row.trim().split(/\s+/)[3])).toBeGreaterThanOrEqual(1);
    const described = (await k('describe', 'pod', 'live', '-n', ns)).stdout;
    expect(described).toMatch(
      /Warning\s+Unhealthy\s+.*Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory/,
    );
    expect(described).toMatch(/Normal\s+Killing\s+.*Container app failed liveness probe, will be restarted/);
    await cleanUp(ns);
  }, 120_000);

  it('reports a container over its memory limit as OOMKilled', async () => {
    const ns = await newNamespace('oom');
    const hog = {
      name: 'hog',
      image: 'busybox',
      command: ['tail', '/dev/zero'],
      resources: { limits: { memory: '16Mi' } },
    };
    await apply(pod(ns, 'hog', [hog], { restartPolicy: 'Never' }));
    const reason = await eventually(
      async () =>
        (await jsonpath(ns, 'pod/hog', '{.status.containerStatuses[0].state.terminated.reason}')) || undefined,
      90_000,
      'the container to end',
    );
    expect(reason).toBe('OOMKilled');
    expect(await jsonpath(ns, 'pod/hog', '{.status.containerStatuses[0].state.terminated.exitCode}')).toBe('137');
    expect((await k('get', 'pod', 'hog', '-n', ns, '--no-headers')).stdout).toMatch(/^hog\s+0\/1\s+OOMKilled\s+0\s/);
    await cleanUp(ns);
  }, 120_000);

  it('runs preStop before SIGTERM on deletion', async () => {
    const ns = await newNamespace('prestop');
    // Both the hook and the trap write to the container's stdout, so its log records their order.
    const app = {
      name: 'app',
      image: 'busybox',
      command: ['sh', '-c', "trap 'echo sigterm; exit 0' TERM; echo started; sleep 3600 & wait"],
      lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop > /proc/1/fd/1'] } } },
    };
    await apply(pod(ns, 'graceful', [app], { terminationGracePeriodSeconds: 30 }));
    await waitReady(ns, 'graceful');
    const follow = startKubectl(cluster, ['logs', '-f', 'graceful', '-n', ns]);
    try {
      await eventually(async () => follow.output().includes('started\n'), 30_000, 'the log to be followed');
      const deletion = k('delete', 'pod', 'graceful', '-n', ns, '--grace-period=10');
      await eventually(
        async () => follow.output().includes('sigterm\n'),
        60_000,
        `sigterm in the log: ${follow.output()}`,
      );
      expect(follow.output()).toBe('started\nprestop\nsigterm\n');
      expect((await deletion).stdout.trim()).toBe('pod "graceful" deleted');
    } finally {
      await follow.stop();
    }
    await cleanUp(ns);
  }, 120_000);

  it('brings a ConfigMap change to the mounted file', async () => {
    const ns = await newNamespace('cm');
    expect((await k('create', 'configmap', 'settings', '-n', ns, '--from-literal=color=blue')).code).toBe(0);
    const reader = {
      name: 'app',
      image: 'busybox',
      command: ['sh', '-c', SLEEPER],
      volumeMounts: [{ name: 'settings', mountPath: '/etc/settings' }],
    };
    await apply(pod(ns, 'reader', [reader], { volumes: [{ name: 'settings', configMap: { name: 'settings' } }] }));
    await waitReady(ns, 'reader');
    expect(await exec(ns, 'reader', 'cat', '/etc/settings/color')).toBe('blue');
    expect((await k('patch', 'configmap', 'settings', '-n', ns, '-p', '{"data":{"color":"green"}}')).code).toBe(0);
    const seen = await eventually(
      async () => {
        const v = await exec(ns, 'reader', 'cat', '/etc/settings/color');
        return v === 'green' ? v : undefined;
      },
      90_000,
      'the new value in the mounted file',
    );
    expect(seen).toBe('green');
    await cleanUp(ns);
  }, 150_000);

  it("runs a gvisor pod on gVisor's kernel that reaches a runc pod over the VSwitch", async () => {
    const ns = await newNamespace('gvisor');
    await apply(pod(ns, 'web', [{ name: 'httpd', image: 'busybox', command: ['sh', '-c', HTTPD] }]));
    await apply(
      pod(ns, 'sentry', [{ name: 'app', image: 'busybox', command: ['sh', '-c', SLEEPER] }], {
        runtimeClassName: 'gvisor',
      }),
    );
    await waitReady(ns, 'web');
    await waitReady(ns, 'sentry');
    expect(await exec(ns, 'sentry', 'dmesg')).toMatch(/gVisor/);
    // exec -it: gVisor's process gets a terminal of the client's size too.
    const term = kubectlOnTerminal(cluster, ['exec', '-it', 'sentry', '-n', ns, '--', 'sh'], { cols: 97, rows: 21 });
    try {
      await eventually(async () => term.screen().includes('/ # '), 30_000, 'the shell prompt');
      term.type('[ -t 0 ] && echo "on-a-$TERM-terminal"; stty size; exit 4\r');
      await eventually(
        async () => term.screen().includes('on-a-xterm-terminal') && term.screen().includes('21 97'),
        20_000,
        'the terminal test and size',
      );
      expect(await term.exited).toBe(4);
    } finally {
      await term.stop();
    }
    const hostKernel = (await exec(ns, 'web', 'uname', '-r')).trim();
    const gvisorKernel = (await exec(ns, 'sentry', 'uname', '-r')).trim();
    expect(gvisorKernel).not.toBe('');
    expect(gvisorKernel).not.toBe(hostKernel);
    const webIP = await jsonpath(ns, 'pod/web', '{.status.podIP}');
    expect(webIP).toMatch(/^10\.244\.\d+\.\d+$/);
    // Once in a full CI run gVisor's wget got no response for 30 s (connected, then EAGAIN on the read): a longer wait.
    // (Not busybox wget's -T: under gVisor it ends in a segfault.)
    const body = await eventually(
      async () => exec(ns, 'sentry', 'wget', '-qO-', `http://${webIP}:8080/index.html`),
      60_000,
      'the runc pod to answer',
    );
    expect(body).toBe('hello-from-runc\n');
    await cleanUp(ns);
  }, 150_000);

  it('sizes a pod without limits from k8s.aliyun.com/eci-use-specs', async () => {
    const ns = await newNamespace('eci');
    await apply(
      pod(
        ns,
        'sized',
        [{ name: 'app', image: 'busybox', command: ['sh', '-c', SLEEPER] }],
        {},
        { 'k8s.aliyun.com/eci-use-specs': '2-4Gi' },
      ),
    );
    await waitReady(ns, 'sized');
    expect(await jsonpath(ns, 'pod/sized', "{.metadata.annotations['k8s\\.aliyun\\.com/eci-instance-spec']}")).toBe(
      '2.0-4.0Gi',
    );
    // runc nests `skiff/<pod uid>/<container>` under the agent's own memory cgroup.
    const uid = await jsonpath(ns, 'pod/sized', '{.metadata.uid}');
    const agentPid = cluster.stack.services.get('sandbox-agent')!.child.pid!;
    expect(
      readFileSync(path.join(memoryCgroupOf(agentPid), 'skiff', uid, 'app', 'memory.limit_in_bytes'), 'utf8').trim(),
    ).toBe(String(4 * 1024 ** 3));
    await cleanUp(ns);
  }, 120_000);

  it('keeps k8s.aliyun.com annotations it does not know', async () => {
    const ns = await newNamespace('annot');
    await apply(
      pod(
        ns,
        'tagged',
        [{ name: 'app', image: 'busybox', command: ['sh', '-c', SLEEPER] }],
        {},
        { 'k8s.aliyun.com/some-future-flag': 'on', 'k8s.aliyun.com/eci-sls-enable': 'false' },
      ),
    );
    await waitReady(ns, 'tagged');
    const annotations = JSON.parse(await jsonpath(ns, 'pod/tagged', '{.metadata.annotations}')) as Record<
      string,
      string
    >;
    expect(annotations).toMatchObject({
      'k8s.aliyun.com/some-future-flag': 'on',
      'k8s.aliyun.com/eci-sls-enable': 'false',
    });
    await cleanUp(ns);
  }, 120_000);
});

/** `/sys/fs/cgroup/memory/<the process's own memory cgroup>` */
function memoryCgroupOf(pid: number): string {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, names, own] = line.split(':');
    if (names.split(',').includes('memory')) return path.join('/sys/fs/cgroup/memory', own);
  }
  throw new Error(`process ${pid} has no memory cgroup`);
}
