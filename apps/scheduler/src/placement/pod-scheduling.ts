import { KubeObject } from '@skiff/api-machinery';
import type { NodeSelectorRequirement, Pod, PodSpec } from '@skiff/kube-types';
import { virtualNodeLabels } from '../virtual-nodes/virtual-node';

/**
 * The zones whose virtual node satisfies the pod's nodeSelector and required node affinity
 * (only zone-level terms can narrow the choice: every virtual node carries the same other labels).
 */
export function eligibleZones(pod: Pod, zones: string[]): string[] {
  const selector = pod.spec.nodeSelector ?? {};
  const terms = requiredTerms(pod.spec);
  return zones.filter((zone) => {
    const labels = virtualNodeLabels(zone);
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
    // Terms are ORed; requirements within a term are ANDed.
    return terms.length === 0 || terms.some((reqs) => reqs.every((r) => matches(r, labels)));
  });
}

function requiredTerms(spec: PodSpec): NodeSelectorRequirement[][] {
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return (required?.nodeSelectorTerms ?? []).map((t) => t.matchExpressions ?? []);
}

function matches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
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

export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
