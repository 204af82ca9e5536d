import { KubeObject, parseQuantity } from '@skiff/api-machinery';
import { Container, ECI_USE_SPECS_ANNOTATION, Pod } from '@skiff/kube-types';

export interface Resources {
  cpuMilli: number;
  memoryBytes: number;
}

// Requests default to limits when only limits are given, as upstream.
function containerRequests(c: Container): Resources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpu = req.cpu ?? lim.cpu;
  const mem = req.memory ?? lim.memory;
  return {
    cpuMilli: cpu === undefined ? 0 : Math.ceil(parseQuantity(cpu) * 1000),
    memoryBytes: mem === undefined ? 0 : Math.ceil(parseQuantity(mem)),
  };
}

/**
 * What a pod needs from a host, as kube-scheduler computes it: the sum of its containers'
 * requests, or the largest init container's if that is more (init containers run one at a time).
 */
export function podRequests(pod: Pod): Resources {
  const sum = (pod.spec.containers ?? []).map(containerRequests).reduce(add, { cpuMilli: 0, memoryBytes: 0 });
  const init = (pod.spec.initContainers ?? []).map(containerRequests);
  const maxInit = init.reduce(
    (m, r) => ({ cpuMilli: Math.max(m.cpuMilli, r.cpuMilli), memoryBytes: Math.max(m.memoryBytes, r.memoryBytes) }),
    { cpuMilli: 0, memoryBytes: 0 },
  );
  const fromRequests = {
    cpuMilli: Math.max(sum.cpuMilli, maxInit.cpuMilli),
    memoryBytes: Math.max(sum.memoryBytes, maxInit.memoryBytes),
  };
  // ECI sizing: an eci-use-specs size stands in for requests when the pod gives none.
  const spec0 = eciSpecOf(pod);
  if (spec0 && fromRequests.cpuMilli === 0 && fromRequests.memoryBytes === 0) return spec0;
  return fromRequests;
}

/** The first `{cpu}-{mem}Gi` size in `k8s.aliyun.com/eci-use-specs` (instance type names are ignored). */
export function eciSpecOf(pod: KubeObject): Resources | undefined {
  const raw = pod.metadata.annotations?.[ECI_USE_SPECS_ANNOTATION];
  if (!raw) return undefined;
  for (const candidate of raw.split(',').map((s) => s.trim())) {
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)Gi$/.exec(candidate);
    if (m) return { cpuMilli: Math.round(Number(m[1]) * 1000), memoryBytes: Math.round(Number(m[2]) * 1024 ** 3) };
  }
  return undefined;
}

/** `eci-instance-spec` as ASK writes it, e.g. `2.0-4.0Gi`. */
export function formatInstanceSpec(r: Resources): string {
  return `${(r.cpuMilli / 1000).toFixed(1)}-${(r.memoryBytes / 1024 ** 3).toFixed(1)}Gi`;
}

export function add(a: Resources, b: Resources): Resources {
  return { cpuMilli: a.cpuMilli + b.cpuMilli, memoryBytes: a.memoryBytes + b.memoryBytes };
}
