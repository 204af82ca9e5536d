import type { Pod } from '@skiff/kube-types';
import { PodFailurePolicyRule } from './job-spec';

export interface PodFailurePolicyMatch {
  action: PodFailurePolicyRule['action'];
  /** Upstream's message for the Job condition when the action is FailJob. */
  message: string;
}

interface TerminatedContainer {
  name: string;
  exitCode: number;
}

function terminatedContainers(pod: Pod): TerminatedContainer[] {
  const out: TerminatedContainer[] = [];
  for (const list of [pod.status?.initContainerStatuses, pod.status?.containerStatuses]) {
    for (const cs of list ?? []) {
      const code = cs.state?.terminated?.exitCode;
      if (code !== undefined) out.push({ name: cs.name, exitCode: code });
    }
  }
  return out;
}

/**
 * The first rule of `spec.podFailurePolicy` a failed pod matches (upstream's matchPodFailurePolicy):
 * onExitCodes looks at terminated containers with a non-zero exit code (optionally one container);
 * onPodConditions at the pod's conditions (status True unless the rule says otherwise).
 */
export function matchPodFailurePolicy(
  rules: readonly PodFailurePolicyRule[],
  pod: Pod,
): PodFailurePolicyMatch | undefined {
  const where = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
  for (const [i, rule] of rules.entries()) {
    const req = rule.onExitCodes;
    if (req) {
      const hit = terminatedContainers(pod).find(
        (c) =>
          c.exitCode !== 0 &&
          (!req.containerName || req.containerName === c.name) &&
          (req.operator === 'In' ? req.values.includes(c.exitCode) : !req.values.includes(c.exitCode)),
      );
      if (hit)
        return {
          action: rule.action,
          message: `Container ${hit.name} for pod ${where} failed with exit code ${hit.exitCode} matching ${rule.action} rule at index ${i}`,
        };
    }
    for (const pattern of rule.onPodConditions ?? []) {
      const want = pattern.status ?? 'True';
      if ((pod.status?.conditions ?? []).some((c) => c.type === pattern.type && c.status === want)) {
        return {
          action: rule.action,
          message: `Pod ${where} has condition ${pattern.type} matching ${rule.action} rule at index ${i}`,
        };
      }
    }
  }
  return undefined;
}
