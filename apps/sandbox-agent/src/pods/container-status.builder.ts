import { ContainerState } from '../runtime/container-runtime';
import { ContainerStatus, Pod, PodCondition, PodStatus } from '@skiff/kube-types';
import { metaTime } from '@skiff/api-machinery';
import { podConditions, podPhase, qosClass } from './pod-phase';
import { ContainerRecord, PodRecord, TerminatedRecord } from './pod-state.store';

/** Runtime state of a container instance as the status builder needs it. */
export type ObservedContainer = Pick<ContainerState, 'status' | 'exitCode' | 'startedAt' | 'finishedAt' | 'oomKilled'>;

export const CONTAINER_ID_SCHEME = 'skiff://';

/** kubelet's reasons: OOMKilled wins, then Completed for 0, Error otherwise. */
export function terminatedFrom(observed: ObservedContainer, runtimeId: string, startedAtMs?: number): TerminatedRecord {
  const exitCode = observed.exitCode ?? 137;
  const startedAt = observed.startedAt ?? (startedAtMs !== undefined ? new Date(startedAtMs) : undefined);
  return {
    exitCode,
    reason: observed.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
    ...(startedAt ? { startedAt: metaTime(startedAt) } : {}),
    finishedAt: metaTime(observed.finishedAt ?? new Date()),
    containerID: `${CONTAINER_ID_SCHEME}${runtimeId}`,
  };
}

export function containerStatusOf(
  record: ContainerRecord,
  observed: ObservedContainer | undefined,
  waitingDefault: string,
): ContainerStatus {
  const base = {
    name: record.name,
    image: record.image,
    imageID: record.imageID ?? '',
    restartCount: record.restartCount,
    lastState: record.lastTerminated ? { terminated: record.lastTerminated } : {},
  };
  if (record.runtimeId && observed) {
    const containerID = `${CONTAINER_ID_SCHEME}${record.runtimeId}`;
    if (observed.status === 'running') {
      const started = record.started !== false;
      return {
        ...base,
        containerID,
        state: { running: { startedAt: metaTime(observed.startedAt ?? record.startedAtMs ?? Date.now()) } },
        ready: started && record.ready !== false,
        started,
      };
    }
    if (observed.status === 'exited') {
      return {
        ...base,
        containerID,
        state: { terminated: terminatedFrom(observed, record.runtimeId, record.startedAtMs) },
        ready: false,
        started: false,
      };
    }
    return { ...base, containerID, state: { waiting: { reason: 'ContainerCreating' } }, ready: false, started: false };
  }
  if (record.waiting) {
    return {
      ...base,
      state: {
        waiting: {
          reason: record.waiting.reason,
          ...(record.waiting.message ? { message: record.waiting.message } : {}),
        },
      },
      ready: false,
      started: false,
    };
  }
  if (record.terminated) {
    return {
      ...base,
      containerID: record.terminated.containerID,
      state: { terminated: record.terminated },
      ready: false,
      started: false,
    };
  }
  return { ...base, state: { waiting: { reason: waitingDefault } }, ready: false, started: false };
}

export interface PodStatusInput {
  pod: Pod;
  record: PodRecord;
  /** Runtime state per container name (current instance only). */
  observed: Map<string, ObservedContainer>;
  now: Date;
}

/** The whole status the agent owns, built from its records and what the runtime reports. */
export function buildPodStatus({ pod, record, observed, now }: PodStatusInput): PodStatus {
  const spec = pod.spec;
  const initDone = (spec.initContainers ?? []).every((c) => record.containers[c.name]?.terminated?.exitCode === 0);
  const statusOf = (name: string, init: boolean): ContainerStatus => {
    const rec: ContainerRecord = record.containers[name] ?? { name, init, restartCount: 0, image: '' };
    return containerStatusOf(
      rec,
      observed.get(name),
      init || initDone ? (init ? 'PodInitializing' : 'ContainerCreating') : 'PodInitializing',
    );
  };
  const initContainerStatuses = (spec.initContainers ?? []).map((c) => ({
    ...statusOf(c.name, true),
    image: c.image ?? '',
  }));
  const containerStatuses = spec.containers.map((c) => ({ ...statusOf(c.name, false), image: c.image ?? '' }));
  // kubelet reports ephemeral containers apart; no probe ever makes them ready or started.
  const ephemeralContainerStatuses = (spec.ephemeralContainers ?? []).map((c): ContainerStatus => {
    const rec: ContainerRecord = record.containers[c.name] ?? {
      name: c.name,
      init: false,
      ephemeral: true,
      restartCount: 0,
      image: '',
    };
    // They start whether or not the pod is initialised: ContainerCreating, never PodInitializing.
    const { started: _started, ...s } = containerStatusOf(rec, observed.get(c.name), 'ContainerCreating');
    return { ...s, image: c.image ?? '', ready: false };
  });
  const previous = pod.status ?? {};
  const phase = podPhase(spec, initContainerStatuses, containerStatuses, previous.phase);
  const conditions: PodCondition[] = podConditions(
    spec,
    { phase, initContainerStatuses, containerStatuses },
    previous.conditions ?? [],
    metaTime(now),
  );
  const ip = record.ip;
  return {
    phase,
    conditions,
    ...(ip ? { hostIP: ip.gateway, hostIPs: [{ ip: ip.gateway }], podIP: ip.ip, podIPs: [{ ip: ip.ip }] } : {}),
    ...(record.startTime ? { startTime: record.startTime } : {}),
    ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
    containerStatuses,
    ...(ephemeralContainerStatuses.length ? { ephemeralContainerStatuses } : {}),
    qosClass: qosClass(spec),
  };
}
