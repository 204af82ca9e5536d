// The subset of the OCI runtime spec (1.0.2, what runc 1.1 and runsc here speak) that Skiff writes.

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciNamespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';
  path?: string;
}

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_MASKED_EQ' | 'SCMP_CMP_EQ' | 'SCMP_CMP_NE';
}

export interface OciSeccompSyscall {
  names: string[];
  action: 'SCMP_ACT_ERRNO' | 'SCMP_ACT_ALLOW';
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  architectures: string[];
  syscalls: OciSeccompSyscall[];
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

export interface OciResources {
  devices?: { allow: boolean; access?: string; type?: string; major?: number; minor?: number }[];
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: OciCapabilities;
    rlimits?: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    cgroupsPath: string;
    resources: OciResources;
    namespaces: OciNamespace[];
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: OciSeccomp;
  };
}

/** Kubernetes-shaped description of one container of a pod, already resolved against its image. */
export interface ContainerDescription {
  podId: string;
  podName: string;
  /** The hostname every container of the pod shares: spec.hostname, else the pod name. */
  hostname: string;
  /** Container name; `POD` is the infra (pause) container. */
  name: string;
  image: {
    config: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; User?: string };
    /** Content of the image's /etc/passwd and /etc/group, to resolve a named image User. */
    passwd?: string;
    group?: string;
  };
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  workingDir?: string;
  securityContext?: {
    runAsUser?: number;
    runAsGroup?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
  resources?: {
    limits?: { cpu?: string; memory?: string };
    requests?: { cpu?: string; memory?: string };
  };
  volumeMounts?: { source: string; destination: string; readOnly?: boolean }[];
  pidsLimit?: number;
  /** What conmon holds for the process: stdin for attach, and with `tty` a terminal. */
  stdio?: ContainerStdio;
  /** Ephemeral containers: the running pod's namespaces (or gVisor sandbox) to join. */
  join?: JoinNamespaces;
}

export interface ContainerStdio {
  stdin: boolean;
  /** stdin closes when the first attach session ends (kubectl run -i). */
  stdinOnce: boolean;
  tty: boolean;
}

/** Where an ephemeral container joins a pod that is already running. */
export interface JoinNamespaces {
  /** runc: a process holding the pod's IPC and UTS namespaces when it has no pause (its lone container). */
  ipcUtsPid?: number;
  /** runc: the target container's init, whose PID namespace is shared (`ps` shows the target's processes). */
  targetPid?: number;
  /** runsc: the target container's gVisor sandbox, started into as a subcontainer in its root PID namespace. */
  gvisorSandboxId?: string;
}

/** Where the pod's shared pieces live on the host. */
export interface PodSandboxPaths {
  /** `/var/run/netns/skiff-<podId>` */
  netnsPath: string;
  /** Host tmpfs mounted at /dev/shm in every container of the pod. */
  shmPath: string;
  /** /proc/<pid>/ns of the pause process, for app containers (undefined when building the pause itself). */
  pausePid?: number;
  /** Pod-level /etc/hosts, /etc/hostname, /etc/resolv.conf files to bind in. */
  etcHosts?: string;
  etcHostname?: string;
  resolvConf?: string;
}
