import { parseQuantity } from '@skiff/api-machinery';
import { Container, ContainerStatus, PodCondition, PodPhase, PodSpec, PodStatus } from '@skiff/kube-types';

/** kubelet's getPhase: the pod's phase from its containers' states and the restart policy. */
export function podPhase(
  spec: PodSpec,
  init: ContainerStatus[],
  app: ContainerStatus[],
  previous?: PodPhase,
): PodPhase {
  // A pod that reached a terminal phase never leaves it.
  if (previous === 'Succeeded' || previous === 'Failed') return previous;
  const policy = spec.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of spec.initContainers ?? []) {
    const s = init.find((x) => x.name === c.name);
    if (!s || s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state?.terminated?.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting && s.lastState?.terminated) {
      if (s.lastState?.terminated?.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || failedInit > 0) return 'Pending';
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.containers) {
    const s = app.find((x) => x.name === c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state?.terminated?.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** PodScheduled, Initialized, ContainersReady and Ready; a condition keeps its lastTransitionTime while its status holds. */
export function podConditions(
  spec: PodSpec,
  status: Pick<PodStatus, 'phase' | 'initContainerStatuses' | 'containerStatuses'>,
  previous: PodCondition[],
  now: string,
): PodCondition[] {
  const incompleteInit = (spec.initContainers ?? [])
    .filter((c) => {
      const s = status.initContainerStatuses?.find((x) => x.name === c.name);
      return s?.state?.terminated?.exitCode !== 0;
    })
    .map((c) => c.name);
  const unready = spec.containers
    .filter((c) => !status.containerStatuses?.find((x) => x.name === c.name)?.ready)
    .map((c) => c.name);
  const completed = status.phase === 'Succeeded';
  const initialized: Partial<PodCondition> =
    incompleteInit.length === 0 || completed
      ? { status: 'True', ...(completed && incompleteInit.length ? { reason: 'PodCompleted' } : {}) }
      : {
          status: 'False',
          reason: 'ContainersNotInitialized',
          message: `containers with incomplete status: [${incompleteInit.join(' ')}]`,
        };
  const ready: Partial<PodCondition> = completed
    ? { status: 'False', reason: 'PodCompleted' }
    : unready.length === 0
      ? { status: 'True' }
      : {
          status: 'False',
          reason: 'ContainersNotReady',
          message: `containers with unready status: [${unready.join(' ')}]`,
        };
  const next: [string, Partial<PodCondition>][] = [
    ['Initialized', initialized],
    ['Ready', ready],
    ['ContainersReady', ready],
    ['PodScheduled', { status: 'True' }],
  ];
  return next.map(([type, c]) => {
    const old = previous.find((p) => p.type === type);
    const lastTransitionTime = old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now;
    return {
      type,
      status: c.status!,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      lastProbeTime: null,
      lastTransitionTime,
    };
  });
}

/** GetPodQOS: Guaranteed when every container's cpu and memory requests equal their limits; BestEffort with none at all. */
export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all: Container[] = [...(spec.initContainers ?? []), ...spec.containers];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const limits = c.resources?.limits ?? {};
    const requests = { ...limits, ...(c.resources?.requests ?? {}) };
    for (const r of ['cpu', 'memory']) {
      const req = requests[r];
      const lim = limits[r];
      if (req !== undefined && parseQuantity(req) !== 0) any = true;
      if (lim !== undefined) any = true;
      if (lim === undefined || req === undefined || parseQuantity(req) !== parseQuantity(lim)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
