// `kubectl get pods`: the READY / STATUS / RESTARTS logic of upstream's printPod, including
// init containers (`Init:1/2`), sidecars (restartable init containers), container waiting
// and terminated reasons, `Terminating`, and `N (5m ago)` restarts.
import { KubeObject } from '@skiff/api-machinery';
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { parseTimestamp, timestampSince } from './human-duration';
import { PrintContext, ResourcePrinter, TableCell, TableRowCondition } from './table.types';
import { at, Json, list, num, optBool, record, str } from './unstructured';

const NODE_UNREACHABLE_REASON = 'NodeLost';

const POD_COLUMNS = [
  NAME_COLUMN,
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 'The aggregate status of the containers in this pod.'),
  column(
    'Restarts',
    'string',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  AGE_COLUMN,
  column(
    'IP',
    'string',
    'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
    1,
  ),
  column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
  column(
    'Nominated Node',
    'string',
    'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
    1,
  ),
  column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
];

function isRestartable(initContainer: Json | undefined): boolean {
  return str(initContainer, 'restartPolicy') === 'Always';
}

function hasCondition(pod: KubeObject, type: string): boolean {
  const c = list(pod, 'status', 'conditions').find((x) => str(x, 'type') === type);
  return c !== undefined && str(c, 'status') === 'True';
}

// isPodInitializedConditionTrue looks only at the first Initialized condition.
function initializedConditionTrue(pod: KubeObject): boolean {
  return hasCondition(pod, 'Initialized');
}

function lastTerminationFinishedAt(status: Json): Date | undefined {
  return parseTimestamp(at(status, 'lastState', 'terminated', 'finishedAt'));
}

function later(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.getTime() > a.getTime() ? b : a;
}

function terminatedReason(terminated: Json, prefix: string): string {
  const reason = str(terminated, 'reason');
  if (reason) return prefix + reason;
  const signal = num(terminated, 'signal');
  return signal !== 0 ? `${prefix}Signal:${signal}` : `${prefix}ExitCode:${num(terminated, 'exitCode')}`;
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS as kubectl shows them. */
export function podSummary(pod: KubeObject, now: Date): PodSummary {
  const initSpecs = list(pod, 'spec', 'initContainers');
  const initByName = new Map(initSpecs.map((c) => [str(c, 'name'), c]));
  const totalContainers = list(pod, 'spec', 'containers').length + initSpecs.filter(isRestartable).length;
  let readyContainers = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: Date | undefined;
  let lastSidecarRestart: Date | undefined;

  const phase = str(pod, 'status', 'phase');
  let reason = str(pod, 'status', 'reason') || phase;
  for (const c of list(pod, 'status', 'conditions')) {
    if (str(c, 'type') === 'PodScheduled' && str(c, 'reason') === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = list(pod, 'status', 'initContainerStatuses');
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const restartable = isRestartable(initByName.get(str(cs, 'name')));
    restarts += num(cs, 'restartCount');
    lastRestart = later(lastRestart, lastTerminationFinishedAt(cs));
    if (restartable) {
      sidecarRestarts += num(cs, 'restartCount');
      lastSidecarRestart = later(lastSidecarRestart, lastTerminationFinishedAt(cs));
    }
    const terminated = record(cs, 'state', 'terminated');
    const waitingReason = str(cs, 'state', 'waiting', 'reason');
    if (terminated !== undefined && num(terminated, 'exitCode') === 0) continue;
    if (restartable && optBool(cs, 'started') === true) {
      if (optBool(cs, 'ready') === true) readyContainers++;
      continue;
    }
    if (terminated !== undefined) reason = terminatedReason(terminated, 'Init:');
    else if (waitingReason !== '' && waitingReason !== 'PodInitializing') reason = `Init:${waitingReason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }

  if (!initializing || initializedConditionTrue(pod)) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = list(pod, 'status', 'containerStatuses');
    // Walk backwards so the first container's state wins, as upstream.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += num(cs, 'restartCount');
      lastRestart = later(lastRestart, lastTerminationFinishedAt(cs));
      const waitingReason = str(cs, 'state', 'waiting', 'reason');
      const terminated = record(cs, 'state', 'terminated');
      if (waitingReason !== '') reason = waitingReason;
      else if (terminated !== undefined) reason = terminatedReason(terminated, '');
      else if (optBool(cs, 'ready') === true && record(cs, 'state', 'running') !== undefined) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose main container completed while another still runs is not "Completed".
    if (reason === 'Completed' && hasRunning) reason = hasCondition(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = typeof pod.metadata?.deletionTimestamp === 'string';
  if (deleting && str(pod, 'status', 'reason') === NODE_UNREACHABLE_REASON) reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart)
    restartsText = `${restarts} (${timestampSince(lastRestart.toISOString(), now)} ago)`;
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

function podIP(pod: KubeObject): string {
  const ips = list(pod, 'status', 'podIPs');
  const ip = ips.length > 0 ? str(ips[0], 'ip') : str(pod, 'status', 'podIP');
  return ip || '<none>';
}

function readinessGates(pod: KubeObject): string {
  const gates = list(pod, 'spec', 'readinessGates');
  if (gates.length === 0) return '<none>';
  const conditions = list(pod, 'status', 'conditions');
  const trueCount = gates.filter((g) => {
    const c = conditions.find((x) => str(x, 'type') === str(g, 'conditionType'));
    return c !== undefined && str(c, 'status') === 'True';
  }).length;
  return `${trueCount}/${gates.length}`;
}

export const podPrinter: ResourcePrinter = {
  columns: POD_COLUMNS,
  cells(pod: KubeObject, { now }: PrintContext): TableCell[] {
    const s = podSummary(pod, now);
    return [
      nameOf(pod),
      s.ready,
      s.status,
      s.restarts,
      ageOf(pod, now),
      podIP(pod),
      str(pod, 'spec', 'nodeName') || '<none>',
      str(pod, 'status', 'nominatedNodeName') || '<none>',
      readinessGates(pod),
    ];
  },
  conditions(pod: KubeObject): TableRowCondition[] | undefined {
    const phase = str(pod, 'status', 'phase');
    if (phase === 'Succeeded')
      return [
        { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
      ];
    if (phase === 'Failed')
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};
