import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ContainerRuntime } from './container-runtime';
import { cleanupSkiffHost } from './host.cleanup';
import { PodSandbox, RunningPodSandbox } from './pod-sandbox';
import { PodSandboxTestBed } from './pod-sandbox.fixture';

const asRoot = process.getuid?.() === 0;
if (!asRoot)
  console.warn('ContainerRuntime (runc) integration tests skipped: runc, conmon, mounts and netns need root');

jest.setTimeout(60_000);

(asRoot ? describe : describe.skip)(`${ContainerRuntime.name} (runc via conmon)`, () => {
  const bed = new PodSandboxTestBed('10.244.251', 'runc');
  let pod: RunningPodSandbox;
  let web: string;
  let client: string;

  beforeAll(async () => {
    await bed.start();
    pod = await bed.runPod('web', 'web-0', 2);
    web = await bed.sandbox.startContainer(
      pod,
      {
        name: 'web',
        command: [
          'sh',
          '-c',
          'mkdir -p /tmp/www && echo pong > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
        ],
      },
      bed.busybox,
    );
    client = await bed.sandbox.startContainer(pod, { name: 'client', command: ['sleep', '3600'] }, bed.busybox);
  });

  afterAll(async () => {
    await bed.dispose();
  });

  const exec = async (id: string, cmd: string[]) => (await bed.runtime.execCollect(id, cmd)).stdout.trim();

  it('runs a pause plus two containers that share the pod network on localhost', async () => {
    expect(await bed.runtime.state(web)).toMatchObject({ status: 'running', oomKilled: false });
    let body = '';
    for (let i = 0; i < 40 && body !== 'pong'; i++) {
      body = await exec(client, ['wget', '-qO-', 'http://127.0.0.1:8080/']);
      if (body !== 'pong') await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('pong');
    expect(await exec(client, ['sh', '-c', 'ip -4 -o addr show eth0 2>/dev/null || ifconfig eth0'])).toContain(
      '10.244.251.2',
    );
  });

  it('shares hostname (= pod name), IPC and /dev/shm, but not the PID namespace', async () => {
    expect(await exec(client, ['hostname'])).toBe('web-0');
    expect(await exec(web, ['hostname'])).toBe('web-0');
    const ipc = await fs.readlink(`/proc/${pod.pausePid}/ns/ipc`);
    const clientPid = (await bed.runtime.state(client)).pid as number;
    expect(await fs.readlink(`/proc/${clientPid}/ns/ipc`)).toBe(ipc);
    expect(await fs.readlink(`/proc/${clientPid}/ns/pid`)).not.toBe(await fs.readlink(`/proc/${pod.pausePid}/ns/pid`));
    await exec(web, ['sh', '-c', 'echo shared > /dev/shm/x']);
    expect(await exec(client, ['cat', '/dev/shm/x'])).toBe('shared');
    // Own PID namespace: sleep is PID 1 and httpd is not visible.
    const ps = await exec(client, ['ps', '-o', 'pid,comm']);
    expect(ps).toMatch(/^\s*1\s+sleep$/m);
    expect(ps).not.toContain('httpd');
  });

  it('is hardened: default capabilities only, no new privileges, seccomp, masked /proc paths', async () => {
    // 0xa80425fb is Docker's default set (CHOWN … SETFCAP); +NET_RAW is in it, SYS_ADMIN is not.
    expect(await exec(client, ['grep', 'CapEff', '/proc/self/status'])).toMatch(/CapEff:\s+00000000a80425fb/);
    expect(await exec(client, ['grep', 'NoNewPrivs', '/proc/self/status'])).toMatch(/NoNewPrivs:\s+1/);
    expect(await exec(client, ['grep', '^Seccomp:', '/proc/self/status'])).toMatch(/Seccomp:\s+2/);
    expect((await bed.runtime.execCollect(client, ['unshare', '-n', 'true'])).code).not.toBe(0);
    // Masked paths read empty (this kernel has no /proc/kcore; runc skips paths that do not exist).
    const masked = await exec(client, [
      'sh',
      '-c',
      'for f in /proc/keys /proc/timer_list /proc/sched_debug /proc/kcore; do [ -e $f ] && wc -c < $f; done',
    ]);
    expect(masked.split('\n').length).toBeGreaterThan(0);
    expect(masked.split('\n').every((n) => n === '0')).toBe(true);
    expect((await bed.runtime.execCollect(client, ['sh', '-c', 'echo 1 > /proc/sys/kernel/panic'])).code).not.toBe(0);
  });

  it('writes CRI-format logs and records the exit code', async () => {
    const id = await bed.sandbox.startContainer(
      pod,
      { name: 'exit3', command: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'] },
      bed.busybox,
    );
    expect(await bed.runtime.waitForExit(id)).toBe(3);
    const state = await bed.runtime.state(id);
    expect(state).toMatchObject({ status: 'exited', exitCode: 3, oomKilled: false });
    expect(state.finishedAt?.getTime()).toBeGreaterThan(0);
    const log = await fs.readFile(bed.sandbox.logPath(pod.podId, 'exit3', 0), 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) stdout F hello$/m);
    expect(log).toMatch(/ stderr F oops$/m);
  });

  it('honours runAsUser, env and the image PATH', async () => {
    const id = await bed.sandbox.startContainer(
      pod,
      {
        name: 'whoami',
        command: ['sh', '-c', 'echo "$(id -u):$(id -g) $GREETING $HOSTNAME $PATH"'],
        env: [{ name: 'GREETING', value: 'hi' }],
        securityContext: { runAsUser: 65534 },
      },
      bed.busybox,
    );
    expect(await bed.runtime.waitForExit(id)).toBe(0);
    const log = await fs.readFile(bed.sandbox.logPath(pod.podId, 'whoami', 0), 'utf8');
    expect(log).toContain('stdout F 65534:65534 hi web-0 /usr/local/sbin:');
  });

  it('detects OOMKilled under a 16Mi memory limit', async () => {
    const id = await bed.sandbox.startContainer(
      pod,
      { name: 'hog', command: ['tail', '/dev/zero'], resources: { limits: { memory: '16Mi' } } },
      bed.busybox,
    );
    expect(await bed.runtime.waitForExit(id, 30_000)).toBe(137);
    expect(await bed.runtime.state(id)).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: true });
  });

  it('lists skiff containers for re-adoption and kills by signal', async () => {
    const ids = (await bed.runtime.list()).map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining([pod.pauseId, web, client]));
    await bed.runtime.kill(client, 'SIGKILL');
    expect(await bed.runtime.waitForExit(client)).toBe(137);
  });

  it('surfaces the runtime’s error when create fails', async () => {
    const bad = bed.sandbox.startContainer(pod, { name: 'bad', command: ['/does/not/exist'] }, bed.busybox);
    await expect(bad).rejects.toThrow(/does\/not\/exist|no such file/i);
  });

  it('cleanup removes a pod the agent never tore down (crash)', async () => {
    const crashed = await bed.runPod('crash', 'crash-0', 9);
    await bed.sandbox.startContainer(crashed, { name: 'app', command: ['sleep', '3600'] }, bed.busybox);
    const removed = await cleanupSkiffHost({
      stateDir: bed.stateDir,
      runtimes: [{ stateDir: path.join(bed.stateDir, 'runtime') }],
      podIdPrefix: crashed.podId,
    });
    expect(removed).toEqual(expect.arrayContaining([`container ${crashed.pauseId}`, `netns skiff-${crashed.podId}`]));
    expect((await bed.runtime.list()).map((c) => c.id)).not.toContain(crashed.pauseId);
    expect((await bed.runner.run('ip', ['netns', 'list'])).stdout).not.toContain(crashed.podId);
  });

  it('tears the pod down completely', async () => {
    await bed.removePods();
    await bed.removePods(); // idempotent
    expect(PodSandbox.containerId(pod.podId, 'POD')).toBe(pod.pauseId);
    await bed.host.remove({ bridge: bed.bridge, nftTable: bed.bridge });
    expect(await bed.leftovers()).toEqual([]);
  });
});
