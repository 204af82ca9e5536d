import { KubeObject } from '@skiff/api-machinery';
import type { EnvVar, Job, Pod } from '@skiff/kube-types';
import { podPhase } from '../controllers/pod-conditions';
import { podFromTemplate } from '../controllers/pod-template';
import { JOBS } from '@skiff/controller-runtime';
import {
  COMPLETION_INDEX_KEY,
  CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  JOB_TRACKING_FINALIZER,
  JobSpecView,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
} from './job-spec';

// Upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
export const POD_FAILURE_BACKOFF_BASE_MS = 10_000;
export const POD_FAILURE_BACKOFF_MAX_MS = 6 * 60_000;

export function hasTrackingFinalizer(pod: KubeObject): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) === true;
}

export function isPodSucceeded(pod: Pod): boolean {
  return podPhase(pod) === 'Succeeded';
}

/**
 * A failure as the Job counts it: phase Failed, or (unless the Job replaces only Failed pods)
 * deleted before it succeeded — such a pod may never reach a phase, and must not vanish uncounted.
 */
export function isPodFailed(pod: Pod, spec: JobSpecView): boolean {
  if (podPhase(pod) === 'Failed') return true;
  if (spec.onlyReplaceFailed) return false;
  return pod.metadata.deletionTimestamp !== undefined && podPhase(pod) !== 'Succeeded';
}

export function isPodFinished(pod: Pod): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Being deleted but not finished yet (status.terminating). */
export function isPodTerminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined && !isPodFinished(pod);
}

/** When a pod finished: its containers' last finishedAt, else when it was deleted, else its creation time. */
export function podFinishedAt(pod: Pod): number {
  let latest = 0;
  for (const list of [pod.status?.containerStatuses, pod.status?.initContainerStatuses]) {
    for (const cs of list ?? []) {
      const finishedAt = cs.state?.terminated?.finishedAt;
      const at = finishedAt !== undefined ? Date.parse(finishedAt) : NaN;
      if (!Number.isNaN(at)) latest = Math.max(latest, at);
    }
  }
  if (latest > 0) return latest;
  // A graceful deletion stamps the end of the grace period: the deletion itself came that much earlier.
  if (pod.metadata.deletionTimestamp)
    return Date.parse(pod.metadata.deletionTimestamp) - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : 0;
}

/**
 * When the next pod may be created after failures (upstream's backoffRecord): failures since
 * the last success, counted from the finished pods; 10 s doubling per failure, at most 6 min.
 */
export function backoffUntil(finished: readonly Pod[], spec: JobSpecView): number | undefined {
  const sorted = [...finished].sort((a, b) => podFinishedAt(a) - podFinishedAt(b));
  let failures = 0;
  let lastFailure = 0;
  for (const pod of sorted) {
    if (isPodSucceeded(pod)) {
      failures = 0;
    } else if (isPodFailed(pod, spec)) {
      failures++;
      lastFailure = podFinishedAt(pod);
    }
  }
  if (failures === 0) return undefined;
  return lastFailure + backoffDelayMs(failures);
}

export function backoffDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  // 2^(n-1) grows past the cap long before it overflows a double.
  return Math.min(POD_FAILURE_BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 30), POD_FAILURE_BACKOFF_MAX_MS);
}

/**
 * A pod for the Job (upstream's podTemplate + addCompletionIndex*): tracked by the Job's
 * finalizer, labelled like the template the API server generated, and for Indexed Jobs named
 * `<job>-<index>-`, annotated and labelled with its index, JOB_COMPLETION_INDEX in every container,
 * and hostname `<job>-<index>` unless the template sets one.
 */
export function podForJob(job: Job, spec: JobSpecView, index?: number): Pod {
  const jobName = job.metadata.name!;
  const labels: Record<string, string> = spec.manualSelector
    ? {}
    : {
        [CONTROLLER_UID_LABEL]: job.metadata.uid!,
        [JOB_NAME_LABEL]: jobName,
        [LEGACY_CONTROLLER_UID_LABEL]: job.metadata.uid!,
        [LEGACY_JOB_NAME_LABEL]: jobName,
      };
  const annotations: Record<string, string> = {};
  if (index !== undefined) {
    labels[COMPLETION_INDEX_KEY] = String(index);
    annotations[COMPLETION_INDEX_KEY] = String(index);
  }
  const pod = podFromTemplate(spec.template, job, JOBS, { labels, annotations });
  const podSpec = pod.spec;
  if (index !== undefined) {
    // Keep room for the API server's 5 random characters, as upstream's podGenerateNameWithIndex.
    const suffix = `-${index}-`;
    pod.metadata.generateName = `${jobName.slice(0, 58 - suffix.length)}${suffix}`;
    for (const containers of [podSpec.containers, podSpec.initContainers])
      for (const c of containers ?? [])
        c.env = [...(c.env ?? []).filter((e) => e.name !== 'JOB_COMPLETION_INDEX'), indexEnv()];
    if (!podSpec.hostname) podSpec.hostname = `${jobName}-${index}`;
  }
  pod.metadata.finalizers = [
    ...(pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER),
    JOB_TRACKING_FINALIZER,
  ];
  return pod;
}

function indexEnv(): EnvVar {
  return {
    name: 'JOB_COMPLETION_INDEX',
    valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX_KEY}']` } },
  };
}
