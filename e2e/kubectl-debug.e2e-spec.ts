import { eventually, kubectlOnTerminal, startTestCluster, TestCluster, TerminalKubectl } from '@skiff/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// Stops at once on SIGTERM, so deletions do not wait out a grace period; `sleep 3600` is what ps shows.
const SLEEPER = "trap 'exit 0' TERM; sleep 3600 & wait";
const TARGET_IN_PS = /\d+ root +sleep 3600/;

function pod(ns: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { terminationGracePeriodSeconds: 5, ...spec },
  };
}

describe('kubectl debug (ephemeral containers) and kubectl attach, on runc and gVisor', () => {
  let cluster: TestCluster;
  let work: string;
  const ns = `debug-${randomBytes(3).toString('hex')}`;
  // The namespace goes first: after `--` it would be the command's.
  const k = (...args: string[]) => cluster.kubectl(['-n', ns, ...args], { timeoutMs: 120_000 });
  const jsonpath = async (what: string, expr: string): Promise<string> =>
    (await k('get', what, '-o', `jsonpath=${expr}`)).stdout;
  const onTerminal = (...args: string[]): TerminalKubectl =>
    kubectlOnTerminal(cluster, ['-n', ns, ...args], { cols: 120, rows: 40 });
  const debuggerName = (output: string): string =>
    /Defaulting debug container name to (debugger-[a-z0-9]+)\./.exec(output)?.[1] ?? '';
  // kubectl's own `ephemeralContainerStatuses[?(@.name=="x")]` filter, as a user would write it.
  const ephemeralState = (podName: string, container: string) =>
    jsonpath(`pod/${podName}`, `{.status.ephemeralContainerStatuses[?(@.name=="${container}")].state}`);

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'skiff-debug-'));
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
    const items = [
      pod(ns, 'app', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', SLEEPER] }] }),
      pod(ns, 'sentry', {
        runtimeClassName: 'gvisor',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', SLEEPER] }],
      }),
      pod(ns, 'console', {
        restartPolicy: 'Never',
        containers: [{ name: 'sh', image: 'busybox', command: ['sh'], stdin: true, tty: true }],
      }),
    ];
    const applied = await cluster.kubectl(['apply', '-f', '-'], {
      stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
    });
    expect(applied.stderr).toBe('');
    for (const name of ['app', 'sentry', 'console']) {
      const r = await k('wait', '--for=condition=Ready', `pod/${name}`, '--timeout=90s');
      expect(r.stderr).toBe('');
    }
  }, 240_000);

  afterAll(async () => {
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=true'], { timeoutMs: 120_000 });
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  }, 180_000);

  it.each([
    ['runc', 'app'],
    ['gVisor', 'sentry'],
  ])(
    "%s: debug -it --target shows the target's processes, exits cleanly and leaves the container terminated",
    async (_runtime, target) => {
      const term = onTerminal('debug', '-it', `pod/${target}`, '--image=busybox', '--target=c', '--', 'sh');
      let name = '';
      try {
        await eventually(
          async () => term.screen().includes("If you don't see a command prompt, try pressing enter."),
          90_000,
          'kubectl to attach',
        );
        name = debuggerName(term.screen());
        term.type('ps\r');
        await eventually(
          async () => TARGET_IN_PS.test(term.screen()),
          30_000,
          `the target's sleep in ps: ${term.screen()}`,
        );
        term.type('exit\r');
        expect(await term.exited).toBe(0);
      } finally {
        await term.stop();
      }
      expect(term.screen()).toContain(`Session ended, the ephemeral container will not be restarted`);
      expect(name).not.toBe('');
      const state = await eventually(
        async () => {
          const s = await ephemeralState(target, name);
          return s.includes('terminated')
            ? (JSON.parse(s) as { terminated: { exitCode: number; reason: string } })
            : undefined;
        },
        30_000,
        'the ephemeral container to be terminated',
      );
      expect(state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      // kubectl describe lists it with the other containers.
      expect((await k('describe', 'pod', target)).stdout).toMatch(new RegExp(`Ephemeral Containers:\\n  ${name}:`));
    },
    180_000,
  );

  it('debug without -it runs the command, whose output kubectl logs shows', async () => {
    const r = await k('debug', 'pod/app', '--image=busybox', '--target=c', '--', 'ps');
    expect(r.code).toBe(0);
    const name = debuggerName(r.stdout);
    expect(name).not.toBe('');
    await eventually(async () => (await ephemeralState('app', name)).includes('terminated'), 60_000, 'ps to finish');
    const logs = await k('logs', 'app', '-c', name);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toMatch(/^PID +USER +COMMAND$/m);
    expect(logs.stdout).toMatch(TARGET_IN_PS);
  }, 120_000);

  it('attach -it reaches a container started with stdin and a tty, and ends with it', async () => {
    const term = onTerminal('attach', '-it', 'console');
    try {
      await eventually(
        async () => term.screen().includes("If you don't see a command prompt, try pressing enter."),
        60_000,
        'kubectl to attach',
      );
      term.type('echo "six times seven is $((6*7))"; stty size\r');
      await eventually(async () => term.screen().includes('six times seven is 42'), 30_000, 'the shell to answer');
      await eventually(async () => term.screen().includes('40 120'), 30_000, `the size kubectl sent: ${term.screen()}`);
      term.type('exit 0\r');
      expect(await term.exited).toBe(0);
    } finally {
      await term.stop();
    }
    await eventually(
      async () =>
        (await jsonpath('pod/console', '{.status.containerStatuses[0].state.terminated.reason}')) === 'Completed',
      30_000,
      'the shell to have ended',
    );
  }, 120_000);

  it('run -i --rm feeds stdin to the container and cleans up', async () => {
    const r = await cluster.kubectl(
      [
        'run',
        'reader',
        '-n',
        ns,
        '-i',
        '--rm',
        '--restart=Never',
        '--image=busybox',
        '--',
        'sh',
        '-c',
        'cat; echo end-of-input',
      ],
      { stdin: 'line one\nline two\n', timeoutMs: 120_000 },
    );
    expect(r.stdout).toContain('line one\nline two\nend-of-input\n');
    expect(r.code).toBe(0);
    expect((await k('get', 'pod', 'reader')).stderr).toContain('not found');
  }, 120_000);

  it("refuses invalid ephemeral container updates with upstream's 422", async () => {
    // A name that is already a container of the pod.
    const dup = await k('debug', 'pod/app', '--image=busybox', '-c', 'c', '--', 'true');
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(
      /The Pod "app" is invalid: spec\.ephemeralContainers\[\d+\]\.name: Duplicate value: "c"/,
    );
    // Removing the ones kubectl debug added (kubectl replace --raw is a PUT of the subresource).
    const url = `/api/v1/namespaces/${ns}/pods/app/ephemeralcontainers`;
    const current = JSON.parse((await cluster.kubectl(['get', '--raw', url])).stdout) as {
      spec: { ephemeralContainers: { name: string }[] };
    };
    const first = current.spec.ephemeralContainers[0].name;
    const file = path.join(work, 'without-ephemeral.json');
    writeFileSync(file, JSON.stringify({ ...current, spec: { ...current.spec, ephemeralContainers: [] } }));
    const removed = await cluster.kubectl(['replace', '--raw', url, '-f', file]);
    expect(removed.code).not.toBe(0);
    expect(removed.stderr).toContain(
      `spec.ephemeralContainers: Forbidden: existing ephemeral containers "${first}" may not be removed`,
    );
    // And the pod endpoint is no way in.
    const patched = await k(
      'patch',
      'pod',
      'app',
      '--type=strategic',
      '-p',
      JSON.stringify({ spec: { ephemeralContainers: [{ name: 'sneaky', image: 'busybox' }] } }),
    );
    expect(patched.stderr).toMatch(
      /The Pod "app" is invalid: spec: Forbidden: pod updates may not change fields other than/,
    );
  }, 120_000);
});
