import { Clock } from '@skiff/api-machinery';
import { EventRecorder } from '@skiff/controller-runtime';
import { Container, Pod } from '@skiff/kube-types';
import { PodContainerRuntime, PodVolumes, SandboxRuntime } from './pod-host';
import { PodLogs } from './pod-logs';
import { PodRecord, RuntimeKind } from './pod-state.store';
import { runHandler } from './probes/handler-runner';

// kubelet never gives a container less than this, even for a force deletion.
const MIN_GRACE_SECONDS = 2;

/** The grace a deletion allows: the pod's deletionGracePeriodSeconds, else its terminationGracePeriodSeconds. */
export function gracePeriodSeconds(pod: Pod | undefined): number {
  const g = pod?.metadata.deletionGracePeriodSeconds ?? pod?.spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(MIN_GRACE_SECONDS, g);
}

/**
 * Stops one container like kubelet's killContainer: preStop hook, SIGTERM, wait out the
 * grace period, SIGKILL. Resolves the preStop failure message, if any.
 */
export async function stopContainer(
  runtime: PodContainerRuntime,
  runtimeId: string,
  container: Container | undefined,
  podIP: string | undefined,
  graceMs: number,
  clock: Clock,
): Promise<string | undefined> {
  const deadline = clock.nowMs() + graceMs;
  let hookError: string | undefined;
  const preStop = container?.lifecycle?.preStop;
  if (preStop && container && podIP) {
    const r = await runHandler(preStop, { runtime, runtimeId, container, podIP }, graceMs);
    if (!r.ok) hookError = r.message;
  }
  await runtime.kill(runtimeId, 'SIGTERM').catch(() => undefined);
  const code = await runtime.waitForExit(runtimeId, Math.max(0, deadline - clock.nowMs()));
  if (code === undefined) {
    await runtime.kill(runtimeId, 'SIGKILL').catch(() => undefined);
    await runtime.waitForExit(runtimeId, 10_000);
  }
  return hookError;
}

/**
 * Graceful teardown of a pod's sandbox: every container stopped at once, their logs collected to the end, then the
 * sandbox and volumes removed.
 */
export class PodTermination {
  constructor(
    private readonly runtimes: Record<RuntimeKind, SandboxRuntime>,
    private readonly volumes: PodVolumes,
    private readonly logs: PodLogs,
    private readonly events: EventRecorder,
    private readonly clock: Clock,
  ) {}

  async terminate(record: PodRecord, pod: Pod | undefined, graceSeconds: number): Promise<void> {
    await this.stopRunning(record, pod, graceSeconds);
    await this.logs.drain(record);
    await this.runtimes[record.runtime].sandbox.remove(record.uid);
    await this.volumes.tearDown(record.uid);
    await this.logs.forget(record.uid);
  }

  /** Stops every running container of the pod at once (preStop, SIGTERM, grace, SIGKILL). */
  async stopRunning(record: PodRecord, pod: Pod | undefined, graceSeconds: number): Promise<void> {
    const { runtime } = this.runtimes[record.runtime];
    const spec = (pod ?? record.pod).spec;
    const all = [...(spec.initContainers ?? []), ...spec.containers];
    await Promise.all(
      Object.values(record.containers)
        .filter((c) => c.runtimeId)
        .map(async (c) => {
          if (pod) this.events.record(pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
          const hookError = await stopContainer(
            runtime,
            c.runtimeId!,
            all.find((x) => x.name === c.name),
            record.ip?.ip,
            graceSeconds * 1000,
            this.clock,
          );
          if (hookError && pod)
            this.events.record(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${hookError}`);
        }),
    );
  }

  /** A pod that finished keeps its logs and status but gives back its sandbox and volumes (kubelet kills the pod sandbox). */
  async releaseFinished(record: PodRecord): Promise<void> {
    await this.logs.drain(record);
    await this.runtimes[record.runtime].sandbox.remove(record.uid, { keepLogs: true });
    await this.volumes.tearDown(record.uid);
  }
}
