// Contracts between the scheduler and the sandbox agents: the host registry (Redis) and the
// per-host BullMQ command queues.

// Redis keys and queues are named from the cluster's prefix (SKIFF_NATS_PREFIX), so clusters
// (a dev stack and the tests' clusters) can share one Redis.

/** Redis hash: field = hostId, value = JSON SandboxHostRecord. Agents refresh theirs on every heartbeat. */
export function sandboxHostsKey(clusterPrefix: string): string {
  return `${clusterPrefix}:sandbox-hosts`;
}

/** How often an agent refreshes its record, and when the scheduler stops trusting it. */
export const HOST_HEARTBEAT_MS = 5_000;
export const HOST_STALE_AFTER_MS = 40_000;

export interface HostCapacity {
  cpuMilli: number;
  memoryBytes: number;
  pods: number;
}

export interface SandboxHostRecord {
  hostId: string;
  zone: string;
  /** The agent's internal HTTPS endpoint (logs, exec, port-forward, stats), e.g. https://127.0.0.1:10250 */
  endpoint: string;
  /** The host's address inside the VSwitch network (the bridge gateway), reported as status.hostIP. */
  hostIP: string;
  capacity: HostCapacity;
  runtimeHandlers: string[];
  heartbeatAt: string;
}

/** BullMQ queue of one host. Queue names must not contain ':'. */
export function sandboxQueueName(clusterPrefix: string, hostId: string): string {
  return `${clusterPrefix}-sandbox-${hostId}`;
}

/**
 * The one command: converge the sandbox of this pod with the pod as the API has it now
 * (create, update, or tear down when the pod is deleted or gone). Level-triggered, so the
 * job id `sync-<podUid>` coalesces bursts.
 */
export interface SyncPodCommand {
  podUid: string;
  namespace: string;
  name: string;
}

export const SYNC_POD_JOB = 'sync-pod';

export function syncPodJobId(podUid: string): string {
  return `sync-${podUid}`;
}
