import { Clock } from '@skiff/api-machinery';
import { RunResult } from '@skiff/host-tools';
import { PulledImage } from '../images/image-store';
import { ContainerState, ContainerStatus } from '../runtime/container-runtime';
import { AppContainer, PodSandbox, PodSandboxConfig, RunningPodSandbox } from '../runtime/pod-sandbox';
import { PodContainerRuntime, PodHost, PodImages, PodSandboxRuntime, PodVolumes, SandboxRuntime } from './pod-host';
import { RuntimeKind } from './pod-state.store';

interface FakeContainer {
  status: ContainerStatus;
  pid: number;
  startedAt: Date;
  exitCode?: number;
  finishedAt?: Date;
}

/** An OCI runtime in memory: containers run until a spec (or a kill) makes them exit. */
export class FakeContainerRuntime implements PodContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  private nextPid = 100;

  constructor(private readonly clock: Clock) {}

  /** What `PodSandbox` does through the runtime: a container, running. */
  run(id: string): void {
    this.containers.set(id, { status: 'running', pid: this.nextPid++, startedAt: this.clock.now() });
  }

  /** The container's process ends on its own (conmon records the code). */
  exit(id: string, exitCode: number): void {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    Object.assign(c, { status: 'exited', exitCode, finishedAt: this.clock.now() });
  }

  running(): string[] {
    return [...this.containers].filter(([, c]) => c.status === 'running').map(([id]) => id);
  }

  async list(): Promise<{ id: string; pid: number; status: string }[]> {
    return [...this.containers].map(([id, c]) => ({
      id,
      pid: c.pid,
      status: c.status === 'exited' ? 'stopped' : c.status,
    }));
  }

  async exited(): Promise<Set<string>> {
    return new Set([...this.containers].filter(([, c]) => c.status === 'exited').map(([id]) => id));
  }

  async state(id: string): Promise<ContainerState> {
    const c = this.containers.get(id);
    if (!c) return { id, status: 'unknown', oomKilled: false };
    return {
      id,
      status: c.status,
      pid: c.pid,
      exitCode: c.exitCode,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      oomKilled: false,
    };
  }

  async delete(id: string): Promise<void> {
    this.containers.delete(id);
  }

  async kill(id: string, signal: NodeJS.Signals | number = 'SIGTERM'): Promise<void> {
    const c = this.containers.get(id);
    if (c?.status === 'running') this.exit(id, signal === 'SIGKILL' ? 137 : 143);
  }

  async waitForExit(id: string): Promise<number | undefined> {
    return this.containers.get(id)?.exitCode;
  }

  async execCollect(): Promise<RunResult> {
    return { code: 0, stdout: '', stderr: '' };
  }
}

/** Pod sandboxes in memory: a netns per pod and, when asked for, a pause container; app containers in the runtime. */
export class FakePodSandbox implements PodSandboxRuntime {
  readonly runs: (PodSandboxConfig & { podId: string })[] = [];
  readonly removals: string[] = [];
  readonly started: { podId: string; name: string; restartCount: number }[] = [];
  /** While set, a sandbox being made waits for it (a slow sandbox). */
  hold?: Promise<void>;

  constructor(
    private readonly runtime: FakeContainerRuntime,
    private readonly netns: Set<string>,
  ) {}

  async run(podId: string, configure: () => Promise<PodSandboxConfig>): Promise<RunningPodSandbox> {
    const cfg = await configure();
    this.runs.push({ ...cfg, podId });
    await this.hold;
    const netnsPath = `/run/netns/skiff-${podId}`;
    this.netns.add(netnsPath);
    const pauseId = cfg.pauseImage ? PodSandbox.containerId(podId, 'POD') : undefined;
    if (pauseId) this.runtime.run(pauseId);
    return {
      podId,
      podName: cfg.podName,
      hostname: cfg.hostname,
      netnsPath,
      shmPath: `/fake/${podId}/shm`,
      pauseId,
      pausePid: pauseId ? this.runtime.containers.get(pauseId)!.pid : undefined,
    };
  }

  async startContainer(
    pod: RunningPodSandbox,
    container: AppContainer,
    _image: unknown,
    restartCount = 0,
  ): Promise<string> {
    const id = PodSandbox.containerId(pod.podId, container.name);
    this.runtime.run(id);
    this.started.push({ podId: pod.podId, name: container.name, restartCount });
    return id;
  }

  async remove(podId: string): Promise<void> {
    this.removals.push(podId);
    for (const id of [...this.runtime.containers.keys()])
      if (id.startsWith(PodSandbox.containerId(podId, ''))) this.runtime.containers.delete(id);
    this.netns.delete(`/run/netns/skiff-${podId}`);
  }
}

const BUSYBOX: PulledImage = {
  imageRef: 'docker.io/library/busybox:latest',
  repoDigest: `docker.io/library/busybox@sha256:${'a'.repeat(64)}`,
  imageID: `sha256:${'b'.repeat(64)}`,
  manifestDigest: `sha256:${'c'.repeat(64)}`,
  rootfs: '/fake/images/busybox',
  config: {},
};

/** Every image is already on the machine. */
class FakeImages implements PodImages {
  async local(): Promise<PulledImage> {
    return BUSYBOX;
  }

  async ensure(): Promise<PulledImage> {
    return BUSYBOX;
  }
}

class FakeVolumes implements PodVolumes {
  readonly setUps: string[] = [];
  readonly tearDowns: string[] = [];

  async setUp(pod: { metadata: { uid?: string } }): Promise<void> {
    this.setUps.push(pod.metadata.uid!);
  }

  async refresh(): Promise<string[]> {
    return [];
  }

  async mountsFor(): Promise<[]> {
    return [];
  }

  async tearDown(uid: string): Promise<void> {
    this.tearDowns.push(uid);
  }
}

/** A sandbox host in memory: what the pod code drives, and handles for a spec to break things (exits, lost sandboxes). */
export class FakePodHost extends PodHost {
  readonly bridge = 'skiffFake';
  readonly netns = new Set<string>();
  readonly runc: { runtime: FakeContainerRuntime; sandbox: FakePodSandbox };
  readonly runsc: { runtime: FakeContainerRuntime; sandbox: FakePodSandbox };
  readonly runtimes: Record<RuntimeKind, SandboxRuntime>;
  readonly images = new FakeImages();
  readonly volumes = new FakeVolumes();
  networkEnsured = 0;

  constructor(clock: Clock) {
    super();
    const make = () => {
      const runtime = new FakeContainerRuntime(clock);
      return { runtime, sandbox: new FakePodSandbox(runtime, this.netns) };
    };
    this.runc = make();
    this.runsc = make();
    this.runtimes = { runc: this.runc, runsc: this.runsc };
  }

  async ensureNetwork(): Promise<void> {
    this.networkEnsured++;
  }

  async netnsExists(netnsPath: string): Promise<boolean> {
    return this.netns.has(netnsPath);
  }
}
