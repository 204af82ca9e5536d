import { isJsonObject, KubeObject } from '@skiff/api-machinery';
import { virtualNodeLabels } from '../virtual-nodes/virtual-node';

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

/**
 * The zones whose virtual node satisfies the pod's nodeSelector and required node affinity
 * (only zone-level terms can narrow the choice: every virtual node carries the same other labels).
 */
export function eligibleZones(pod: KubeObject, zones: string[]): string[] {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const selector = isJsonObject(spec.nodeSelector) ? (spec.nodeSelector as Record<string, string>) : {};
  const terms = requiredTerms(spec);
  return zones.filter((zone) => {
    const labels = virtualNodeLabels(zone);
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
    // Terms are ORed; requirements within a term are ANDed.
    return terms.length === 0 || terms.some((reqs) => reqs.every((r) => matches(r, labels)));
  });
}

function requiredTerms(spec: Record<string, unknown>): Requirement[][] {
  const affinity = isJsonObject(spec.affinity) ? spec.affinity : {};
  const nodeAffinity = isJsonObject(affinity.nodeAffinity) ? affinity.nodeAffinity : {};
  const required = isJsonObject(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution)
    ? nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
    : {};
  const terms = Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : [];
  return terms
    .filter(isJsonObject)
    .map((t) => (Array.isArray(t.matchExpressions) ? (t.matchExpressions as unknown as Requirement[]) : []));
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    default:
      return false; // Gt/Lt on zone labels never match
  }
}

export function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

export function isTerminal(pod: KubeObject): boolean {
  const phase = isJsonObject(pod.status) ? pod.status.phase : undefined;
  return phase === 'Succeeded' || phase === 'Failed';
}
