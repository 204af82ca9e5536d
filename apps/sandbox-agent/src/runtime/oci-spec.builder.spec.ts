import {
  DEFAULT_CAPABILITIES,
  OciSpecBuilder,
  parseBytes,
  parseCpuMillis,
  resolveArgs,
  resolveUser,
} from './oci-spec.builder';
import { ContainerDescription, PodSandboxPaths } from './oci-spec.types';

const image = {
  config: { Entrypoint: ['/entry'], Cmd: ['serve'], Env: ['PATH=/bin', 'MODE=image'], WorkingDir: '/app', User: 'app' },
  passwd: 'root:x:0:0::/:/bin/sh\napp:x:1000:1001::/:/bin/sh\n',
};
const base: ContainerDescription = { podId: 'p1', podName: 'web-0', hostname: 'web-0', name: 'web', image };
const pod: PodSandboxPaths = { netnsPath: '/var/run/netns/skiff-p1', shmPath: '/state/pods/p1/shm', pausePid: 42 };

describe(OciSpecBuilder.name, () => {
  it.each([
    [{}, ['/entry', 'serve']],
    [{ args: ['a'] }, ['/entry', 'a']],
    [{ command: ['/bin/sh'] }, ['/bin/sh']],
    [{ command: ['/bin/sh'], args: ['-c', 'x'] }, ['/bin/sh', '-c', 'x']],
  ])('applies Kubernetes command/args rules: %p', (override, args) => {
    expect(resolveArgs({ ...base, ...override })).toEqual(args);
  });

  it('merges env (container wins) and sets HOSTNAME', () => {
    const spec = new OciSpecBuilder().build({ ...base, env: [{ name: 'MODE', value: 'pod' }] }, '/rootfs', pod);
    expect(spec.process.env).toEqual(['PATH=/bin', 'MODE=pod', 'HOSTNAME=web-0']);
    expect(spec.process.cwd).toBe('/app');
  });

  it('resolves the image user by name and lets runAsUser/runAsGroup win', () => {
    expect(resolveUser(base)).toEqual({ uid: 1000, gid: 1001 });
    expect(resolveUser({ ...base, securityContext: { runAsUser: 0 } })).toEqual({ uid: 0, gid: 1001 });
    expect(resolveUser({ ...base, securityContext: { runAsUser: 5, runAsGroup: 6 } })).toEqual({ uid: 5, gid: 6 });
  });

  it('joins the pause IPC/UTS, keeps its own PID namespace and uses the pod netns', () => {
    const spec = new OciSpecBuilder().build(base, '/rootfs', pod);
    expect(spec.linux.namespaces).toEqual([
      { type: 'pid' },
      { type: 'mount' },
      { type: 'network', path: '/var/run/netns/skiff-p1' },
      { type: 'ipc', path: '/proc/42/ns/ipc' },
      { type: 'uts', path: '/proc/42/ns/uts' },
    ]);
    expect(spec.hostname).toBeUndefined();
    expect(new OciSpecBuilder().build(base, '/rootfs', { ...pod, pausePid: undefined }).hostname).toBe('web-0');
  });

  it("puts an ephemeral container into its target's PID namespace, and a lone container's IPC/UTS when there is no pause", () => {
    const lone = { ...pod, pausePid: undefined };
    const spec = new OciSpecBuilder().build({ ...base, join: { targetPid: 77, ipcUtsPid: 77 } }, '/rootfs', lone);
    expect(spec.linux.namespaces).toEqual([
      { type: 'pid', path: '/proc/77/ns/pid' },
      { type: 'mount' },
      { type: 'network', path: '/var/run/netns/skiff-p1' },
      { type: 'ipc', path: '/proc/77/ns/ipc' },
      { type: 'uts', path: '/proc/77/ns/uts' },
    ]);
    // runc refuses a hostname in a UTS namespace it joins.
    expect(spec.hostname).toBeUndefined();
    // With a pause, the pause holds IPC/UTS whatever else is given.
    expect(
      new OciSpecBuilder().build({ ...base, join: { ipcUtsPid: 77 } }, '/rootfs', pod).linux.namespaces.at(-1),
    ).toEqual({ type: 'uts', path: '/proc/42/ns/uts' });
  });

  it("starts a gVisor ephemeral container in its target's sandbox, in that sandbox's root PID namespace", () => {
    const spec = new OciSpecBuilder({ runtime: 'runsc' }).build(
      { ...base, join: { gvisorSandboxId: 'skiff-p1_web' } },
      '/rootfs',
      pod,
    );
    expect(spec.annotations).toMatchObject({
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.sandbox-id': 'skiff-p1_web',
    });
    expect(spec.linux.namespaces.map((n) => n.type)).toEqual(['mount', 'network', 'ipc', 'uts']);
    const own = new OciSpecBuilder({ runtime: 'runsc' }).build(base, '/rootfs', pod);
    expect(own.annotations).not.toHaveProperty('io.kubernetes.cri.sandbox-id');
    expect(own.linux.namespaces[0]).toEqual({ type: 'pid' });
  });

  it('gives a tty container a terminal', () => {
    expect(
      new OciSpecBuilder().build({ ...base, stdio: { stdin: true, stdinOnce: false, tty: true } }, '/rootfs', pod)
        .process.terminal,
    ).toBe(true);
    expect(
      new OciSpecBuilder().build({ ...base, stdio: { stdin: true, stdinOnce: false, tty: false } }, '/rootfs', pod)
        .process.terminal,
    ).toBe(false);
  });

  it('hardens: default caps with add/drop, no new privileges, seccomp, masked paths', () => {
    const spec = new OciSpecBuilder().build(
      {
        ...base,
        securityContext: { capabilities: { add: ['SYS_TIME'], drop: ['NET_RAW'] }, readOnlyRootFilesystem: true },
      },
      '/rootfs',
      pod,
    );
    expect(spec.process.capabilities.effective).toEqual([
      ...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW'),
      'CAP_SYS_TIME',
    ]);
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(spec.root.readonly).toBe(true);
    expect(spec.linux.seccomp?.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(spec.linux.maskedPaths).toContain('/proc/kcore');
    expect(new OciSpecBuilder({ runtime: 'runsc' }).build(base, '/r', pod).linux.seccomp).toBeUndefined();
  });

  it('maps resources to cgroup v1 values', () => {
    const spec = new OciSpecBuilder().build(
      { ...base, resources: { limits: { cpu: '500m', memory: '16Mi' }, requests: { cpu: '250m' } } },
      '/rootfs',
      pod,
    );
    expect(spec.linux.cgroupsPath).toBe('skiff/p1/web');
    expect(spec.linux.resources).toMatchObject({
      cpu: { shares: 256, quota: 50_000, period: 100_000 },
      memory: { limit: 16 * 2 ** 20 },
      pids: { limit: 4096 },
    });
  });

  it('parses quantities', () => {
    expect([parseCpuMillis('2'), parseCpuMillis('0.5'), parseCpuMillis('100m')]).toEqual([2000, 500, 100]);
    expect([parseBytes('1Gi'), parseBytes('1G'), parseBytes('129e6'), parseBytes('1024')]).toEqual([
      2 ** 30,
      1e9,
      129e6,
      1024,
    ]);
    expect(() => parseBytes('lots')).toThrow(/invalid memory quantity/);
  });
});
