import { EventRecorder } from '@skiff/controller-runtime';
import { JoinNamespaces } from '../runtime/oci-spec.types';
import { AppContainer, PodSandboxConfig, RunningPodSandbox } from '../runtime/pod-sandbox';
import { RuntimeError } from '../runtime/runtime.error';
import { VolumeError } from '../volumes/volume.error';
import { ObservedContainer, terminatedFrom } from './container-status.builder';
import { ConfigObjectSource, ContainerConfigError, DownwardContext, expandCommand, resolveEnv } from './env-resolver';
import { ImagePuller } from './image-puller';
import { IpamClient } from './ipam.client';
import { Container, EphemeralContainer, Pod } from '@skiff/kube-types';
import { Clock, metaTime, errorMessage } from '@skiff/api-machinery';
import { PodImages, PodVolumes, SandboxRuntime } from './pod-host';
import { ClusterDnsSettings, podHostsFile, podResolvConf } from './pod-dns';
import { ContainerRecord, PodRecord, RuntimeKind, TerminatedRecord } from './pod-state.store';
import { stopContainer } from './pod-termination';
import { runHandler } from './probes/handler-runner';
import { ContainerProber } from './probes/prober';
import { crashBackoff, inBackoff } from './restart-backoff';
import { Semaphore } from './semaphore';

const ECI_USE_SPECS = 'k8s.aliyun.com/eci-use-specs';
// Written by the scheduler at binding, e.g. `2.0-4.0Gi`.
const ECI_INSTANCE_SPEC = 'k8s.aliyun.com/eci-instance-spec';

export interface PodLifecycleDeps {
  runtimes: Record<RuntimeKind, SandboxRuntime>;
  images: PodImages;
  puller: ImagePuller;
  volumes: PodVolumes;
  prober: ContainerProber;
  events: EventRecorder;
  source: ConfigObjectSource;
  bridge: string;
  /** Image whose `sleep` the pause container runs (busybox). */
  pauseImage: string;
  allocatable: DownwardContext['allocatable'];
  clock: Clock;
  /** Sandboxes and containers started at once. */
  startConcurrency: number;
  /** What pods' resolv.conf says. */
  dns: ClusterDnsSettings;
  /** Called with the pod's address before anything of it runs, so NetworkPolicy isolates it from the start. */
  guardAddress?: (pod: Pod, ip: string) => Promise<void>;
  /** network-svc's IPAM; the host the addresses are asked for. */
  ipam: Pick<IpamClient, 'allocate'>;
  hostId: string;
}

/** Runtime status of every skiff container of one runtime, from one `list` call. */
export type ListedContainers = Map<string, string>;

/**
 * kubelet's syncPod for one pod on this host: sandbox, init containers in order, app
 * containers, restarts per restartPolicy with CrashLoopBackOff, probes and hooks.
 * Mutates the pod's record; the caller persists it and reports status.
 */
export class PodLifecycle {
  private readonly starts: Semaphore;

  constructor(private readonly deps: PodLifecycleDeps) {
    this.starts = new Semaphore(deps.startConcurrency);
  }

  /**
   * Volumes, and beside them the netns with the pod's address and, for runc pods of several containers, the pause.
   * Both must be up before a container starts; neither needs the other.
   */
  async createSandbox(pod: Pod, record: PodRecord): Promise<void> {
    const volumes = this.deps.volumes.setUp(pod, this.deps.source, this.downward(record)).catch((err: unknown) => {
      this.deps.events.record(pod, 'Warning', 'FailedMount', errorMessage(err));
      throw err;
    });
    const [v, s] = await Promise.allSettled([volumes, this.runSandbox(pod, record)]);
    if (v.status === 'rejected') {
      // No container may start without its volumes: a sandbox made meanwhile goes, and the next attempt redoes both.
      if (s.status === 'fulfilled') await this.deps.runtimes[record.runtime].sandbox.remove(record.uid);
      throw v.reason;
    }
    if (s.status === 'rejected') throw s.reason;
    record.sandbox = s.value;
  }

  private async runSandbox(pod: Pod, record: PodRecord): Promise<RunningPodSandbox> {
    const { sandbox } = this.deps.runtimes[record.runtime];
    try {
      // The pause only holds IPC/UTS for containers to share: a lone runc container owns them itself (gVisor
      // containers never share them, see docs/sandboxes.md).
      const shared = (pod.spec.initContainers?.length ?? 0) + pod.spec.containers.length > 1;
      const pause =
        record.runtime === 'runc' && shared
          ? await this.deps.images.ensure(this.deps.pauseImage, 'IfNotPresent')
          : undefined;
      const { hostname, fqdn } = podHostname(pod, this.deps.dns.domain);
      const resolv = podResolvConf(pod, this.deps.dns);
      for (const w of resolv.warnings) this.deps.events.record(pod, 'Warning', 'DNSConfigForming', w);
      // The address is asked for (once per pod: a retry keeps it) while the sandbox's netns is made.
      const configure = async (): Promise<PodSandboxConfig> => {
        record.ip ??= await this.deps.ipam.allocate({
          podUid: record.uid,
          namespace: record.namespace,
          name: record.name,
          hostId: this.deps.hostId,
        });
        const ip = record.ip;
        await this.deps.guardAddress?.(pod, ip.ip);
        return {
          podName: pod.metadata.name!,
          hostname,
          hostsFile: podHostsFile(pod, ip.ip, hostname, fqdn),
          resolvConf: resolv.text,
          ip: ip.ip,
          prefixLength: ip.prefixLength,
          gateway: ip.gateway,
          bridge: this.deps.bridge,
          pauseImage: pause,
        };
      };
      return await this.starts.run(() => sandbox.run(record.uid, configure));
    } catch (err) {
      this.deps.events.record(
        pod,
        'Warning',
        'FailedCreatePodSandBox',
        `Failed to create pod sandbox: ${errorMessage(err)}`,
      );
      throw err;
    }
  }

  /** One pass: observe every instance, handle exits, probe, start what should run. Resolves what is running. */
  async converge(pod: Pod, record: PodRecord, listed: ListedContainers): Promise<Map<string, ObservedContainer>> {
    const observed = await this.observe(pod, record, listed);
    await this.probe(pod, record, observed);
    const spec = pod.spec;
    const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (terminal || !record.sandbox) return observed;
    // A container whose start returned runs: it is reported so at once (an exit right after shows in the next pass).
    const start = async (c: Container, rec: ContainerRecord, join?: () => Promise<JoinNamespaces>): Promise<void> => {
      await this.start(pod, record, c, rec, join);
      if (rec.runtimeId && rec.startedAtMs !== undefined)
        observed.set(rec.name, { status: 'running', oomKilled: false, startedAt: new Date(rec.startedAtMs) });
    };
    // As kubelet: ephemeral containers start before init containers, so a pod stuck initialising can be debugged.
    for (const c of spec.ephemeralContainers ?? []) {
      const rec = this.recordOf(record, c, false, true);
      if (!rec.runtimeId && !rec.terminated) await start(c, rec, () => this.joinOf(record, c));
    }
    for (const c of spec.initContainers ?? []) {
      const rec = this.recordOf(record, c, true);
      if (rec.terminated?.exitCode === 0) continue;
      // Running, failed for good (restartPolicy Never), or just started: app containers wait.
      if (!rec.runtimeId && !rec.terminated) await start(c, rec);
      return observed;
    }
    for (const c of spec.containers) {
      const rec = this.recordOf(record, c, false);
      if (rec.runtimeId || rec.terminated) continue;
      await start(c, rec);
    }
    return observed;
  }

  private recordOf(record: PodRecord, c: Container, init: boolean, ephemeral = false): ContainerRecord {
    const rec = (record.containers[c.name] ??= {
      name: c.name,
      init,
      restartCount: 0,
      image: c.image ?? '',
      ...(ephemeral ? { ephemeral } : {}),
    });
    rec.image = c.image ?? '';
    return rec;
  }

  /**
   * What an ephemeral container joins besides the pod's netns: with a target, its PID namespace (runc) or its
   * gVisor sandbox, whose root PID namespace it then shares (runsc); and in a runc pod without a pause, the
   * IPC/UTS namespaces its lone container owns. A target that is not running yet is waited for (kubelet's
   * CreateContainerConfigError).
   */
  private async joinOf(record: PodRecord, c: EphemeralContainer): Promise<JoinNamespaces> {
    const { runtime } = this.deps.runtimes[record.runtime];
    const pidOf = async (name: string | undefined): Promise<number | undefined> => {
      const id = name ? record.containers[name]?.runtimeId : undefined;
      if (!id) return undefined;
      const st = await runtime.state(id);
      return st.status === 'running' ? st.pid : undefined;
    };
    const target = c.targetContainerName;
    const targetId = target ? record.containers[target]?.runtimeId : undefined;
    if (target && !targetId) throw new ContainerConfigError(`unable to find target container ${target}`);
    if (record.runtime === 'runsc') return targetId ? { gvisorSandboxId: targetId } : {};
    const targetPid = await pidOf(target);
    if (target && !targetPid) throw new ContainerConfigError(`unable to find target container ${target}`);
    const ipcUtsPid =
      record.sandbox?.pausePid === undefined ? await pidOf(record.pod.spec.containers[0]?.name) : undefined;
    return { ...(targetPid ? { targetPid } : {}), ...(ipcUtsPid ? { ipcUtsPid } : {}) };
  }

  private async observe(
    pod: Pod,
    record: PodRecord,
    listed: ListedContainers,
  ): Promise<Map<string, ObservedContainer>> {
    const { runtime } = this.deps.runtimes[record.runtime];
    const observed = new Map<string, ObservedContainer>();
    for (const rec of Object.values(record.containers)) {
      if (!rec.runtimeId) continue;
      const status = listed.get(rec.runtimeId);
      if (status === 'running' || status === 'created') {
        observed.set(rec.name, {
          status: status === 'running' ? 'running' : 'created',
          oomKilled: false,
          startedAt: rec.startedAtMs ? new Date(rec.startedAtMs) : undefined,
        });
        continue;
      }
      const st = await runtime.state(rec.runtimeId);
      if (st.status === 'running') {
        observed.set(rec.name, st);
        continue;
      }
      const term: TerminatedRecord =
        st.status === 'exited'
          ? terminatedFrom(st, rec.runtimeId, rec.startedAtMs)
          : {
              exitCode: 137,
              reason: 'ContainerStatusUnknown',
              message: 'The container could not be located when the pod was terminated',
              finishedAt: metaTime(this.deps.clock.nowMs()),
            };
      await this.exited(pod, record, rec, term);
    }
    return observed;
  }

  /** The instance ended: drop it (its log file stays) and apply the restart policy. */
  private async exited(pod: Pod, record: PodRecord, rec: ContainerRecord, term: TerminatedRecord): Promise<void> {
    if (rec.runtimeId) {
      this.deps.prober.forget(rec.runtimeId);
      await this.deps.runtimes[record.runtime].runtime.delete(rec.runtimeId);
    }
    rec.runtimeId = undefined;
    rec.ready = false;
    const policy = pod.spec.restartPolicy ?? 'Always';
    const failed = term.exitCode !== 0;
    const restart = rec.ephemeral
      ? false
      : rec.init
        ? failed && policy !== 'Never'
        : policy === 'Always' || (policy === 'OnFailure' && failed);
    if (!restart) {
      rec.terminated = term;
      return;
    }
    const finished = term.finishedAt ? Date.parse(term.finishedAt) : this.deps.clock.nowMs();
    rec.lastTerminated = term;
    rec.terminated = undefined;
    rec.waiting = undefined;
    rec.crashBackoff = crashBackoff(rec.crashBackoff, finished, rec.startedAtMs ? finished - rec.startedAtMs : 0);
  }

  private async start(
    pod: Pod,
    record: PodRecord,
    c: Container,
    rec: ContainerRecord,
    join?: () => Promise<JoinNamespaces>,
  ): Promise<void> {
    const now = this.deps.clock.nowMs();
    const events = this.deps.events;
    if (rec.lastTerminated && inBackoff(rec.crashBackoff, now)) {
      const delay = Math.round(rec.crashBackoff!.delayMs / 1000);
      const message = `back-off ${delay}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${record.uid})`;
      if (rec.waiting?.reason !== 'CrashLoopBackOff')
        events.record(
          pod,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${record.uid})`,
        );
      rec.waiting = { reason: 'CrashLoopBackOff', message };
      return;
    }
    const image = await this.deps.puller.pull(pod, c, rec);
    if (!image) return;
    rec.imageID = image.repoDigest;
    const { runtime, sandbox } = this.deps.runtimes[record.runtime];
    const restartCount = rec.startedAtMs !== undefined ? rec.restartCount + 1 : 0;
    try {
      const env = await resolveEnv(pod, c, this.deps.source, this.downward(record));
      const desc: AppContainer = {
        name: c.name,
        ...expandCommand(c, env),
        env,
        workingDir: c.workingDir,
        securityContext: c.securityContext,
        resources: quantities(c, pod),
        volumeMounts: await this.deps.volumes.mountsFor(pod, c),
        stdio: { stdin: c.stdin === true, stdinOnce: c.stdinOnce === true, tty: c.tty === true },
        ...(join ? { join: await join() } : {}),
      };
      // A pod whose sandbox is up is finished before new sandboxes are begun: pods turn Running one by one.
      const id = await this.starts.run(() => sandbox.startContainer(record.sandbox!, desc, image, restartCount), true);
      rec.runtimeId = id;
      rec.startedAtMs = this.deps.clock.nowMs();
      rec.restartCount = restartCount;
      rec.waiting = undefined;
      rec.started = !c.startupProbe;
      rec.ready = !c.readinessProbe;
      events.record(pod, 'Normal', 'Created', `Created container ${c.name}`);
      events.record(pod, 'Normal', 'Started', `Started container ${c.name}`);
      const postStart = c.lifecycle?.postStart;
      if (postStart) {
        const r = await runHandler(postStart, { runtime, runtimeId: id, container: c, podIP: record.ip!.ip }, 30_000);
        if (!r.ok) {
          events.record(pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${r.message}`);
          await stopContainer(runtime, id, c, record.ip?.ip, 2_000, this.deps.clock);
        }
      }
    } catch (err) {
      const message = errorMessage(err);
      if (
        err instanceof ContainerConfigError ||
        (err instanceof RuntimeError && err.code === 'CreateContainerConfigError')
      ) {
        if (rec.waiting?.message !== message) events.record(pod, 'Warning', 'Failed', `Error: ${message}`);
        rec.waiting = { reason: 'CreateContainerConfigError', message };
      } else if (err instanceof VolumeError) {
        if (rec.waiting?.message !== message) events.record(pod, 'Warning', 'FailedMount', message);
        rec.waiting = { reason: 'ContainerCreating', message };
      } else if (err instanceof RuntimeError) {
        // containerd's StartError: the instance counts as run and failed, so restartPolicy and back-off apply.
        events.record(pod, 'Warning', 'Failed', `Error: ${message}`);
        rec.startedAtMs = this.deps.clock.nowMs();
        rec.restartCount = restartCount;
        await this.exited(pod, record, rec, {
          exitCode: 128,
          reason: 'StartError',
          message,
          startedAt: metaTime(0),
          finishedAt: metaTime(this.deps.clock.nowMs()),
        });
      } else {
        throw err;
      }
    }
  }

  private async probe(pod: Pod, record: PodRecord, observed: Map<string, ObservedContainer>): Promise<void> {
    if (!record.ip) return;
    const { runtime } = this.deps.runtimes[record.runtime];
    const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    for (const [name, o] of observed) {
      const rec = record.containers[name];
      const c = all.find((x) => x.name === name);
      if (o.status !== 'running' || !rec?.runtimeId || !c || rec.init) continue;
      if (!c.startupProbe && !c.livenessProbe && !c.readinessProbe) continue;
      const outcome = await this.deps.prober.probe(
        c,
        rec,
        { runtime, runtimeId: rec.runtimeId, container: c, podIP: record.ip.ip },
        this.deps.clock.nowMs(),
      );
      for (const m of outcome.unhealthy) this.deps.events.record(pod, 'Warning', 'Unhealthy', m);
      if (outcome.kill) {
        this.deps.events.record(pod, 'Normal', 'Killing', outcome.kill);
        const grace = c.livenessProbe?.terminationGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
        await stopContainer(runtime, rec.runtimeId, c, record.ip.ip, grace * 1000, this.deps.clock);
      }
    }
  }

  /** Rewrites the pod's configMap, secret, downwardAPI and projected volumes from their sources (every ~10 s). */
  async refreshVolumes(record: PodRecord): Promise<void> {
    try {
      await this.deps.volumes.refresh(record.pod, this.deps.source, this.downward(record));
    } catch (err) {
      this.deps.events.record(record.pod, 'Warning', 'FailedMount', errorMessage(err));
    }
  }

  downward(record: PodRecord): DownwardContext {
    return { podIP: record.ip?.ip, hostIP: record.ip?.gateway, allocatable: this.deps.allocatable };
  }
}

function quantities(c: Container, pod: Pod): AppContainer['resources'] {
  const pick = (m?: Record<string, string | number>) =>
    m ? { cpu: m.cpu?.toString(), memory: m.memory?.toString() } : undefined;
  // ECI sizing: a container without limits gets the instance the scheduler sized from eci-use-specs, as on ECI.
  const a = pod.metadata.annotations ?? {};
  const size = a[ECI_USE_SPECS] ? /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)Gi$/.exec(a[ECI_INSTANCE_SPEC] ?? '') : null;
  const own = pick(c.resources?.limits);
  const limits = size ? { cpu: own?.cpu ?? size[1], memory: own?.memory ?? `${size[2]}Gi` } : own;
  return { limits, requests: pick(c.resources?.requests) };
}

// kubelet's GeneratePodHostNameAndDomain: spec.hostname (else the pod name, cut to 63 characters), and with
// spec.subdomain the FQDN in the pod's namespace under the cluster domain.
function podHostname(pod: Pod, domain: string): { hostname: string; fqdn?: string } {
  const hostname = (pod.spec.hostname || pod.metadata.name!).slice(0, 63).replace(/[-.]+$/, '');
  const fqdn = pod.spec.subdomain
    ? `${hostname}.${pod.spec.subdomain}.${pod.metadata.namespace}.svc.${domain}`
    : undefined;
  return fqdn ? { hostname, fqdn } : { hostname };
}
