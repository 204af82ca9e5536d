import { HostCapacity, SandboxHostRecord } from '@skiff/messaging';
import { Resources } from './pod-resources';

export interface HostLoad {
  host: SandboxHostRecord;
  used: Resources;
  pods: number;
}

export type PlacementResult = { host: SandboxHostRecord } | { reason: string };

/**
 * Picks a host in `zones` with room for `need` (cpu, memory, pod count) and the runtime
 * handler, preferring the least loaded (the spread kube-scheduler's LeastAllocated scoring gives).
 */
export function chooseHost(
  loads: HostLoad[],
  need: Resources,
  zones: string[] | undefined,
  handler: string,
): PlacementResult {
  const candidates = loads.filter((l) => zones === undefined || zones.includes(l.host.zone));
  if (candidates.length === 0)
    return {
      reason: zones
        ? `0/${loads.length} sandbox hosts are in zone(s) ${zones.join(', ')}`
        : 'no sandbox hosts are registered',
    };
  const reasons = new Map<string, number>();
  const fits: HostLoad[] = [];
  for (const l of candidates) {
    const why = misfit(l, need, handler);
    if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    else fits.push(l);
  }
  if (fits.length === 0) {
    // Upstream's FailedScheduling wording: "0/3 nodes are available: 2 Insufficient cpu, 1 Too many pods."
    const detail = [...reasons].map(([why, n]) => `${n} ${why}`).join(', ');
    return { reason: `0/${candidates.length} sandbox hosts are available: ${detail}.` };
  }
  fits.sort((a, b) => score(b, need) - score(a, need) || a.host.hostId.localeCompare(b.host.hostId));
  return { host: fits[0].host };
}

function misfit(l: HostLoad, need: Resources, handler: string): string | undefined {
  const cap: HostCapacity = l.host.capacity;
  if (!l.host.runtimeHandlers.includes(handler)) return `no runtime handler ${handler}`;
  if (l.pods + 1 > cap.pods) return 'Too many pods';
  if (l.used.cpuMilli + need.cpuMilli > cap.cpuMilli) return 'Insufficient cpu';
  if (l.used.memoryBytes + need.memoryBytes > cap.memoryBytes) return 'Insufficient memory';
  return undefined;
}

// Free share after placing the pod, averaged over cpu and memory: higher is emptier.
function score(l: HostLoad, need: Resources): number {
  const cap = l.host.capacity;
  const cpu = cap.cpuMilli > 0 ? 1 - (l.used.cpuMilli + need.cpuMilli) / cap.cpuMilli : 0;
  const mem = cap.memoryBytes > 0 ? 1 - (l.used.memoryBytes + need.memoryBytes) / cap.memoryBytes : 0;
  return (cpu + mem) / 2;
}
