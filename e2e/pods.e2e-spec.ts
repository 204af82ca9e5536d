import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { execFileSync } from 'node:child_process';

const TWO_CONTAINERS = `apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  initContainers:
    - {name: prepare, image: busybox, command: [sh, -c, 'echo ready > /work/flag'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
    - {name: server, image: busybox, command: [sh, -c, 'echo pong > /tmp/index.html; httpd -f -p 8080 -h /tmp'], volumeMounts: [{name: work, mountPath: /work}]}
    - {name: client, image: busybox, command: [sh, -c, 'cat /work/flag; while true; do wget -qO- 127.0.0.1:8080/index.html; sleep 1; done'], volumeMounts: [{name: work, mountPath: /work}]}
  volumes:
    - {name: work, emptyDir: {}}
`;

describe('pods run in sandboxes (runc)', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => cluster.kubectl(args);
  const jsonpath = async (what: string, expr: string) => (await k('get', what, '-o', `jsonpath=${expr}`)).stdout;
  const waitReady = (pod: string) => k('wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=90s');

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs a pod, shows it Running with an IP on the VSwitch, and serves its logs', async () => {
    expect(
      (
        await k(
          'run',
          'hello',
          '--image=busybox',
          '--restart=Never',
          '--',
          'sh',
          '-c',
          "trap 'exit 0' TERM; echo hello from $(hostname); sleep 3600 & wait",
        )
      ).stdout.trim(),
    ).toBe('pod/hello created');
    expect((await waitReady('hello')).stdout.trim()).toBe('pod/hello condition met');
    const wide = await k('get', 'pod', 'hello', '-o', 'wide');
    expect(wide.stdout).toMatch(/^hello\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+virtual-kubelet-zone-a\s+/m);
    expect((await k('logs', 'hello')).stdout).toBe('hello from hello\n');
    const describe = (await k('describe', 'pod', 'hello')).stdout;
    for (const reason of ['Scheduled', 'Pulled', 'Created', 'Started'])
      expect(describe).toMatch(new RegExp(`Normal\\s+${reason}\\s+`));
  });

  it('execs in a container and reports the exit code', async () => {
    const out = await k('exec', 'hello', '--', 'sh', '-c', 'echo in-$(hostname); echo oops >&2; exit 3');
    expect(out.stdout).toBe('in-hello\n');
    expect(out.stderr).toContain('oops');
    expect(out.code).toBe(3);
  });

  it('runs init containers first and lets containers of a pod talk over localhost', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { stdin: TWO_CONTAINERS });
    await waitReady('duo');
    const logs = await eventually(
      async () => {
        const l = (await k('logs', 'duo', '-c', 'client')).stdout;
        return l.includes('pong') ? l : undefined;
      },
      30_000,
      'the client to reach the server on localhost',
    );
    expect(logs.split('\n')[0]).toBe('ready');
    expect(await jsonpath('pod/duo', '{.status.initContainerStatuses[0].state.terminated.reason}')).toBe('Completed');
  });

  it('fails a restartPolicy=Never pod with its exit code', async () => {
    await k('run', 'three', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'exit 3');
    const phase = await eventually(
      async () => {
        const p = await jsonpath('pod/three', '{.status.phase}');
        return p === 'Failed' ? p : undefined;
      },
      60_000,
      'phase Failed',
    );
    expect(phase).toBe('Failed');
    expect(await jsonpath('pod/three', '{.status.containerStatuses[0].state.terminated.exitCode}')).toBe('3');
  });

  it('reports a missing image as ImagePullBackOff', async () => {
    await k('run', 'ghost', '--image=busybox:does-not-exist', '--restart=Never');
    const reason = await eventually(
      async () => {
        const r = await jsonpath('pod/ghost', '{.status.containerStatuses[0].state.waiting.reason}');
        return r === 'ImagePullBackOff' || r === 'ErrImagePull' ? r : undefined;
      },
      60_000,
      'an image pull error',
    );
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(reason);
  });

  it('deletes a pod and everything it made', async () => {
    const uid = await jsonpath('pod/hello', '{.metadata.uid}');
    const res = await k('delete', 'pod', 'hello', '--timeout=90s');
    expect(res.stdout.trim()).toBe('pod "hello" deleted');
    const netns = execFileSync('ip', ['netns', 'list']).toString();
    expect(netns).not.toContain(uid.slice(0, 8));
  });
});
