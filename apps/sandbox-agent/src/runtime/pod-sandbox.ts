import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PodNetwork } from '../network/pod-network';
import { CgroupV1 } from '@skiff/host-tools';
import { CGROUP_PARENT, podCgroupPath } from './cgroup-paths';
import { ContainerRuntime } from './container-runtime';
import { OciSpecBuilder } from './oci-spec.builder';
import { ContainerDescription, PodSandboxPaths } from './oci-spec.types';
import { RootfsMounter } from './rootfs.mounter';

/** What a container needs of its image (an ImageStore PulledImage fits). */
export interface SandboxImage {
  rootfs: string;
  config: ContainerDescription['image']['config'];
}

/** What a pod's sandbox is made with, beyond its id (see `PodSandbox.run`). */
export interface PodSandboxConfig {
  podName: string;
  /** The pod's hostname (its UTS name). */
  hostname: string;
  /** The pod's /etc/hosts and /etc/resolv.conf, as kubelet writes them. */
  hostsFile: string;
  resolvConf: string;
  ip: string;
  prefixLength: number;
  gateway: string;
  bridge: string;
  /**
   * runc pods whose containers share IPC/UTS get a pause running `sleep` from this image (busybox
   * built from busybox-static). Without it the pod has none: a lone container owns its namespaces.
   */
  pauseImage?: SandboxImage;
}

export interface RunningPodSandbox extends PodSandboxPaths {
  podId: string;
  podName: string;
  /** Absent in records of sandboxes made before hostnames were honoured: the pod name then. */
  hostname?: string;
  /**
   * runc pods: the pause container that holds the pod's IPC and UTS namespaces. gVisor pods have
   * none: each of their containers is a sandbox of its own on the pod's netns (see docs/sandboxes.md).
   */
  pauseId?: string;
  pausePid?: number;
}

export type AppContainer = Omit<ContainerDescription, 'podId' | 'podName' | 'hostname' | 'image'>;

export interface PodSandboxDeps {
  stateDir: string;
  runtime: ContainerRuntime;
  network: PodNetwork;
  mounter: RootfsMounter;
  builder: OciSpecBuilder;
  cgroups?: CgroupV1;
}

/** One pod: netns + CNI, a per-pod /dev/shm, (runc, several containers) a pause owning IPC/UTS, and app containers joining them. */
export class PodSandbox {
  private readonly cgroups: CgroupV1;

  constructor(private readonly deps: PodSandboxDeps) {
    this.cgroups = deps.cgroups ?? new CgroupV1();
  }

  static containerId(podId: string, name: string): string {
    // `POD` (upper case) can never clash with a Kubernetes container name.
    return `skiff-${podId}_${name}`;
  }

  podDir(podId: string): string {
    return path.join(this.deps.stateDir, 'pods', podId);
  }

  logPath(podId: string, container: string, restartCount: number): string {
    return path.join(this.deps.stateDir, 'logs', podId, container, `${restartCount}.log`);
  }

  /**
   * Makes the pod's sandbox. Its netns and shm need nothing of the config, so they are made while `configure`
   * settles it (the pod's address comes from network-svc); the wiring and (runc) the pause follow side by side.
   */
  async run(podId: string, configure: () => Promise<PodSandboxConfig>): Promise<RunningPodSandbox> {
    const dir = this.podDir(podId);
    try {
      const [{ netnsPath }, shmPath, cfg] = await settled([
        this.deps.network.create(podId),
        this.deps.mounter.mountShm(path.join(dir, 'shm')),
        configure(),
      ]);
      const etcHosts = path.join(dir, 'hosts');
      const etcHostname = path.join(dir, 'hostname');
      const resolvConf = path.join(dir, 'resolv.conf');
      await fs.writeFile(etcHosts, cfg.hostsFile);
      await fs.writeFile(etcHostname, `${cfg.hostname}\n`);
      await fs.writeFile(resolvConf, cfg.resolvConf);
      const paths: PodSandboxPaths = { netnsPath, shmPath, etcHosts, etcHostname, resolvConf };
      const pauseImage = this.deps.runtime.kind === 'runc' ? cfg.pauseImage : undefined;
      const pauseId = pauseImage ? PodSandbox.containerId(podId, 'POD') : undefined;
      const pause =
        pauseId && pauseImage ? this.runPause(pauseId, podId, cfg, pauseImage, paths) : Promise.resolve(undefined);
      const [pausePid] = await settled([pause, this.deps.network.wire({ ...cfg, podId })]);
      return { ...paths, podId, podName: cfg.podName, hostname: cfg.hostname, pauseId, pausePid };
    } catch (err) {
      await this.remove(podId).catch(() => undefined);
      throw err;
    }
  }

  // The pause only holds namespaces: it runs without conmon (no log, no exit code to keep).
  private async runPause(
    id: string,
    podId: string,
    cfg: PodSandboxConfig,
    image: SandboxImage,
    paths: PodSandboxPaths,
  ): Promise<number> {
    const pause: ContainerDescription = {
      podId,
      podName: cfg.podName,
      hostname: cfg.hostname,
      name: 'POD',
      image: { config: image.config },
      command: ['/bin/sleep', '2147483647'],
      securityContext: { capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
      resources: { requests: { cpu: '2m' } },
      pidsLimit: 16,
    };
    try {
      const rootfs = await this.deps.mounter.mountOverlay(image.rootfs, this.deps.runtime.bundleDir(id));
      return await this.deps.runtime.runUnsupervised({ id, spec: this.deps.builder.build(pause, rootfs, paths) });
    } catch (err) {
      await this.deps.runtime.delete(id).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Creates and starts an app (or ephemeral) container in the pod; returns its runtime id. An ephemeral
   * container names in `container.join` the running processes or gVisor sandbox it joins.
   */
  async startContainer(
    pod: RunningPodSandbox,
    container: AppContainer,
    image: SandboxImage,
    restartCount = 0,
  ): Promise<string> {
    const id = PodSandbox.containerId(pod.podId, container.name);
    const desc: ContainerDescription = {
      ...container,
      podId: pod.podId,
      podName: pod.podName,
      hostname: pod.hostname ?? pod.podName,
      image: {
        config: image.config,
        passwd: await readOptional(path.join(image.rootfs, 'etc/passwd')),
        group: await readOptional(path.join(image.rootfs, 'etc/group')),
      },
    };
    await this.runContainer(id, desc, image, pod, this.logPath(pod.podId, container.name, restartCount));
    return id;
  }

  /**
   * Removes every container of the pod (pause last), its shm, netns, cgroups and files. Idempotent.
   * `keepLogs`: a finished pod's sandbox goes but its logs stay readable until the pod is deleted.
   */
  async remove(podId: string, options: { keepLogs?: boolean } = {}): Promise<void> {
    const prefix = PodSandbox.containerId(podId, '');
    const pauseId = PodSandbox.containerId(podId, 'POD');
    // Every container has its bundle written before it is created, and the bundle goes last: the bundles name them all.
    const onDisk = await fs.readdir(path.dirname(this.deps.runtime.bundleDir(pauseId))).catch(() => [] as string[]);
    const ids = onDisk.filter((id) => id.startsWith(prefix));
    for (const id of ids.filter((i) => i !== pauseId)) await this.deps.runtime.delete(id);
    if (ids.includes(pauseId)) await this.deps.runtime.delete(pauseId);
    for (const m of await this.deps.mounter.mountsUnder(this.podDir(podId))) await this.deps.mounter.unmount(m);
    await this.deps.network.teardown(podId);
    await this.cgroups.remove(podCgroupPath(podId));
    await this.cgroups.removeIfEmpty(CGROUP_PARENT);
    await fs.rm(this.podDir(podId), { recursive: true, force: true });
    if (!options.keepLogs) await fs.rm(path.join(this.deps.stateDir, 'logs', podId), { recursive: true, force: true });
  }

  private async runContainer(
    id: string,
    desc: ContainerDescription,
    image: SandboxImage,
    pod: PodSandboxPaths,
    logPath: string,
  ): Promise<number> {
    try {
      const rootfs = await this.deps.mounter.mountOverlay(image.rootfs, this.deps.runtime.bundleDir(id));
      const spec = this.deps.builder.build(desc, rootfs, pod);
      return await this.deps.runtime.run({ id, spec, logPath, stdio: desc.stdio });
    } catch (err) {
      // A container that failed to come up leaves no mount, cgroup or runtime state behind.
      await this.deps.runtime.delete(id).catch(() => undefined);
      throw err;
    }
  }
}

function readOptional(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

/** Promise.all that waits for every step before failing, so nothing is still being made while the caller cleans up. */
async function settled<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
