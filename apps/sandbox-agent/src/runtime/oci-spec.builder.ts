import { containerCgroupPath } from './cgroup-paths';
import { ContainerDescription, OciMount, OciNamespace, OciSpec, PodSandboxPaths } from './oci-spec.types';
import { RuntimeError } from './runtime.error';
import { defaultSeccompProfile } from './seccomp.profile';

/** Docker's and containerd's default capability set for a non-privileged container. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The CRI annotations runsc reads to start a container inside an existing sandbox instead of a new one. */
export const CRI_CONTAINER_TYPE = 'io.kubernetes.cri.container-type';
export const CRI_SANDBOX_ID = 'io.kubernetes.cri.sandbox-id';
const CPU_PERIOD = 100_000;

export interface OciSpecBuilderOptions {
  /** Attach the default seccomp profile (runc only: runsc is its own syscall filter). */
  seccomp?: boolean;
  pidsLimit?: number;
  /** runsc: no seccomp (the Sentry is the filter), own IPC/UTS per container. */
  runtime?: 'runc' | 'runsc';
}

/** Turns a Kubernetes container (resolved against its image) into an OCI runtime spec. */
export class OciSpecBuilder {
  constructor(private readonly options: OciSpecBuilderOptions = {}) {}

  build(c: ContainerDescription, rootfs: string, pod: PodSandboxPaths): OciSpec {
    // Without a pause to join (building the pause itself, a lone runc container, any runsc container) a container
    // owns its IPC/UTS and sets the hostname. runsc: one gVisor sandbox per container, all on the pod's netns
    // (--network=host). The CRI annotations that put app containers into one sandbox were tried: conmon then
    // records exit code -1 (the process is not its child) and localhost was not shared. Ephemeral containers
    // with a target do use them, under a launcher that gives conmon a child to wait for (runsc-subcontainer).
    const runsc = this.options.runtime === 'runsc';
    // An ephemeral container of a runc pod without a pause joins its lone container's IPC/UTS instead.
    const ipcUtsFrom = runsc ? undefined : (pod.pausePid ?? c.join?.ipcUtsPid);
    const ownNamespaces = ipcUtsFrom === undefined;
    const gvisorSandbox = runsc ? c.join?.gvisorSandboxId : undefined;
    const { uid, gid } = resolveUser(c);
    const namespaces: OciNamespace[] = [
      // runsc: a subcontainer with no PID namespace of its own runs in its sandbox's root one, where the
      // target (that sandbox's first container) lives. runc: the target's through /proc.
      ...(gvisorSandbox
        ? []
        : [
            c.join?.targetPid && !runsc
              ? { type: 'pid' as const, path: `/proc/${c.join.targetPid}/ns/pid` }
              : { type: 'pid' as const },
          ]),
      { type: 'mount' },
      { type: 'network', path: pod.netnsPath },
      // The pause process owns the pod's IPC and UTS namespaces; the others join them through /proc.
      ownNamespaces ? { type: 'ipc' } : { type: 'ipc', path: `/proc/${ipcUtsFrom}/ns/ipc` },
      ownNamespaces ? { type: 'uts' } : { type: 'uts', path: `/proc/${ipcUtsFrom}/ns/uts` },
    ];
    const caps = capabilities(c.securityContext?.capabilities);
    return {
      ociVersion: '1.0.2-dev',
      process: {
        terminal: c.stdio?.tty === true,
        user: { uid, gid, additionalGids: [gid] },
        args: resolveArgs(c),
        env: resolveEnv(c),
        cwd: c.workingDir || c.image.config.WorkingDir || '/',
        capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
        // No rlimits: RLIMIT_NOFILE 1048576 (containerd's value) is refused here (EPERM, hard limit lower); inherit.
        noNewPrivileges: c.securityContext?.allowPrivilegeEscalation !== true,
      },
      root: { path: rootfs, readonly: c.securityContext?.readOnlyRootFilesystem === true },
      // runc refuses a hostname without a private UTS namespace; joiners inherit the pause's.
      ...(ownNamespaces ? { hostname: c.hostname } : {}),
      mounts: mounts(c, pod),
      annotations: {
        'io.kubernetes.pod.name': c.podName,
        'io.kubernetes.container.name': c.name,
        'skiff.io/pod-id': c.podId,
        ...(gvisorSandbox ? { [CRI_CONTAINER_TYPE]: 'container', [CRI_SANDBOX_ID]: gvisorSandbox } : {}),
      },
      linux: {
        cgroupsPath: containerCgroupPath(c.podId, c.name),
        resources: resources(c, this.options.pidsLimit ?? 4096),
        namespaces,
        maskedPaths: MASKED_PATHS,
        readonlyPaths: READONLY_PATHS,
        ...(this.options.seccomp === false || this.options.runtime === 'runsc'
          ? {}
          : { seccomp: defaultSeccompProfile() }),
      },
    };
  }
}

/** Kubernetes rules: command replaces Entrypoint (and drops Cmd); args replace Cmd. */
export function resolveArgs(c: ContainerDescription): string[] {
  const entrypoint = c.command?.length ? c.command : (c.image.config.Entrypoint ?? []);
  const cmd = c.args?.length ? c.args : c.command?.length ? [] : (c.image.config.Cmd ?? []);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0)
    throw new RuntimeError(
      'CreateContainerConfigError',
      `container ${c.name}: no command specified and the image has none`,
    );
  return args;
}

export function resolveEnv(c: ContainerDescription): string[] {
  const env = new Map<string, string>();
  for (const kv of c.image.config.Env ?? [DEFAULT_PATH]) {
    const i = kv.indexOf('=');
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH.slice(5));
  env.set('HOSTNAME', c.hostname);
  for (const e of c.env ?? []) env.set(e.name, e.value);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/** runAsUser/runAsGroup win; else the image's User (`uid`, `uid:gid`, `name`, `name:group`) against its /etc/passwd. */
export function resolveUser(c: ContainerDescription): { uid: number; gid: number } {
  const [userPart, groupPart] = (c.image.config.User ?? '').split(':');
  const passwd = parseColonFile(c.image.passwd);
  let uid = 0;
  let gid: number | undefined;
  if (userPart) {
    const entry = /^\d+$/.test(userPart)
      ? passwd.find((p) => p[2] === userPart)
      : passwd.find((p) => p[0] === userPart);
    if (!entry && !/^\d+$/.test(userPart))
      throw new RuntimeError(
        'CreateContainerConfigError',
        `image user "${userPart}" is not in the image's /etc/passwd`,
      );
    uid = Number(entry?.[2] ?? userPart);
    gid = entry ? Number(entry[3]) : undefined;
  }
  if (groupPart) {
    const g = /^\d+$/.test(groupPart) ? groupPart : parseColonFile(c.image.group).find((e) => e[0] === groupPart)?.[2];
    if (g === undefined)
      throw new RuntimeError(
        'CreateContainerConfigError',
        `image group "${groupPart}" is not in the image's /etc/group`,
      );
    gid = Number(g);
  }
  const sc = c.securityContext;
  if (sc?.runAsUser !== undefined) {
    uid = sc.runAsUser;
    gid = gid ?? Number(passwd.find((p) => p[2] === String(uid))?.[3] ?? 0);
  }
  if (sc?.runAsGroup !== undefined) gid = sc.runAsGroup;
  return { uid, gid: gid ?? 0 };
}

function capabilities(spec?: { add?: string[]; drop?: string[] }): string[] {
  const norm = (c: string) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);
  const drop = new Set((spec?.drop ?? []).map(norm));
  let caps = drop.has('CAP_ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.has(c));
  for (const add of (spec?.add ?? []).map(norm)) if (add !== 'CAP_ALL' && !caps.includes(add)) caps = [...caps, add];
  return caps;
}

function mounts(c: ContainerDescription, pod: PodSandboxPaths): OciMount[] {
  const list: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'bind', source: pod.shmPath, options: ['rbind', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ];
  const files: [string | undefined, string][] = [
    [pod.etcHosts, '/etc/hosts'],
    [pod.etcHostname, '/etc/hostname'],
    [pod.resolvConf, '/etc/resolv.conf'],
  ];
  for (const [source, destination] of files)
    if (source) list.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate', 'ro'] });
  for (const v of c.volumeMounts ?? []) {
    list.push({
      destination: v.destination,
      type: 'bind',
      source: v.source,
      options: ['rbind', 'rprivate', v.readOnly ? 'ro' : 'rw'],
    });
  }
  return list;
}

function resources(c: ContainerDescription, defaultPids: number) {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const cpuLimit = limits.cpu ? parseCpuMillis(limits.cpu) : undefined;
  // kubelet: a request defaults to the limit; no request at all is BestEffort, 2 shares.
  const cpuRequest = requests.cpu ? parseCpuMillis(requests.cpu) : cpuLimit;
  const memory = limits.memory ? parseBytes(limits.memory) : undefined;
  return {
    devices: [{ allow: false, access: 'rwm' }],
    cpu: {
      shares: cpuRequest ? Math.max(2, Math.floor((cpuRequest * 1024) / 1000)) : 2,
      ...(cpuLimit ? { quota: Math.max(1000, Math.floor((cpuLimit * CPU_PERIOD) / 1000)), period: CPU_PERIOD } : {}),
    },
    // swap = limit (memory.memsw exists here), as containerd does: the limit is what OOM-kills, swap or not.
    ...(memory ? { memory: { limit: memory, swap: memory } } : {}),
    pids: { limit: c.pidsLimit ?? defaultPids },
  };
}

/** `500m` → 500, `2` → 2000, `0.5` → 500 */
export function parseCpuMillis(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
  if (!m) throw new RuntimeError('CreateContainerConfigError', `invalid cpu quantity "${q}"`);
  return m[2] ? Math.ceil(Number(m[1])) : Math.ceil(Number(m[1]) * 1000);
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** `16Mi` → 16777216, `1G` → 1e9, `128974848`, `129e6` */
export function parseBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:e(\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) throw new RuntimeError('CreateContainerConfigError', `invalid memory quantity "${q}"`);
  if (m[2]) return Math.ceil(Number(m[1]) * 10 ** Number(m[2]));
  const unit = m[3] ?? '';
  return Math.ceil(Number(m[1]) * (BINARY[unit] ?? DECIMAL[unit]));
}

function parseColonFile(text?: string): string[][] {
  return (text ?? '')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}
