// Contracts between the sandbox agents, the scheduler and the API server: the host registry
// (Redis) and the per-host BullMQ command queues.
import type IORedis from 'ioredis';

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

/** A registered host as a reader sees it: its record, and whether its heartbeat is too old. */
export interface RegisteredHost extends SandboxHostRecord {
  /** No heartbeat for HOST_STALE_AFTER_MS. */
  stale: boolean;
  staleForMs: number;
}

/**
 * The sandbox-host registry, one Redis hash per cluster (sandboxHostsKey): each agent writes its
 * own record on every heartbeat; the scheduler lists the hosts to place pods and watch their
 * health; the API server looks up a pod's host to proxy logs, exec, attach and port-forward.
 * Malformed records are skipped, never trusted.
 */
export class SandboxHostRegistry {
  constructor(
    private readonly redis: IORedis,
    private readonly clusterPrefix: string,
  ) {}

  /** The agent's heartbeat: its record, replaced whole. */
  async register(record: SandboxHostRecord): Promise<void> {
    await this.redis.hset(sandboxHostsKey(this.clusterPrefix), record.hostId, JSON.stringify(record));
  }

  async get(hostId: string, now = Date.now()): Promise<RegisteredHost | undefined> {
    const raw = await this.redis.hget(sandboxHostsKey(this.clusterPrefix), hostId);
    return raw === null ? undefined : parseRecord(raw, now);
  }

  /** Every host, sorted by id. */
  async list(now = Date.now()): Promise<RegisteredHost[]> {
    const raw = await this.redis.hgetall(sandboxHostsKey(this.clusterPrefix));
    return Object.values(raw)
      .flatMap((json) => parseRecord(json, now) ?? [])
      .sort((a, b) => a.hostId.localeCompare(b.hostId));
  }
}

function parseRecord(json: string, now: number): RegisteredHost | undefined {
  let rec: Partial<SandboxHostRecord>;
  try {
    rec = JSON.parse(json) as Partial<SandboxHostRecord>;
  } catch {
    return undefined;
  }
  if (
    typeof rec.hostId !== 'string' ||
    typeof rec.endpoint !== 'string' ||
    typeof rec.heartbeatAt !== 'string' ||
    !rec.capacity
  )
    return undefined;
  const age = now - Date.parse(rec.heartbeatAt);
  return {
    ...(rec as SandboxHostRecord),
    stale: !(age < HOST_STALE_AFTER_MS),
    staleForMs: Math.max(0, age - HOST_STALE_AFTER_MS),
  };
}

/** BullMQ queue of one host. Queue names must not contain ':'. */
export function sandboxQueueName(clusterPrefix: string, hostId: string): string {
  return `${clusterPrefix}-sandbox-${hostId}`;
}

/**
 * The one command: converge the sandbox of this pod with the pod as the API has it now
 * (create, update, or tear down when the pod is deleted or gone). Level-triggered; the job id
 * (syncPodJobId) names the pod's version, so a version already queued is not queued twice.
 */
export interface SyncPodCommand {
  podUid: string;
  namespace: string;
  name: string;
  /** The version that prompted the job, when one did: an agent that has seen it (or a newer one) has nothing to do. */
  resourceVersion?: string;
}

export const SYNC_POD_JOB = 'sync-pod';

/** One job per pod version (its resourceVersion, or a marker such as `bound` or `<uid>-gone`). */
export function syncPodJobId(podUid: string, version: string): string {
  return `sync-${podUid}-${version}`;
}
