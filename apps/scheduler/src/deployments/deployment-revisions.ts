import { isJsonObject, KubeObject } from '@skiff/api-machinery';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { DEPLOYMENTS, newControllerRef, REPLICA_SETS } from '@skiff/controller-runtime';
import type { Deployment, PodTemplateSpec, ReplicaSet } from '@skiff/kube-types';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
// Annotations that belong to the controller or kubectl, never copied from the Deployment to its ReplicaSets.
const NOT_COPIED = new Set([
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'kubectl.kubernetes.io/last-applied-configuration',
]);

// Upstream's rand.SafeEncodeString alphabet: no vowels, no look-alikes, so hashes never spell words.
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function templateOf(obj: Deployment | ReplicaSet): PodTemplateSpec {
  return obj.spec.template ?? {};
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isJsonObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The pod-template-hash of a template (and the Deployment's collisionCount), in upstream's alphabet. */
export function podTemplateHash(template: PodTemplateSpec, collisionCount = 0): string {
  const digest = createHash('sha256')
    .update(canonical(normalized(template) ?? {}))
    .update(collisionCount > 0 ? String(collisionCount) : '')
    .digest();
  const decimal = String(digest.readUInt32BE(0));
  return [...decimal].map((c) => SAFE_ALPHANUMS[c.charCodeAt(0) % SAFE_ALPHANUMS.length]).join('');
}

/**
 * Drops nulls and empty objects and lists, which Go's typed templates cannot tell from absent (semantic equality).
 * Walks the template as the JSON it is.
 */
function normalized(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(normalized).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (isJsonObject(value)) {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, normalized(v)] as const)
      .filter((e) => e[1] !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

function withoutHash(template: PodTemplateSpec): unknown {
  const t = structuredClone(template);
  if (t.metadata?.labels) delete t.metadata.labels[POD_TEMPLATE_HASH];
  return normalized(t);
}

/** Same pod template, ignoring the hash label the controller adds and null/empty fields (EqualIgnoreHash). */
export function sameTemplate(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return isDeepStrictEqual(withoutHash(a), withoutHash(b));
}

export function revisionOf(obj: KubeObject): number {
  const n = Number(obj.metadata.annotations?.[REVISION] ?? 0);
  return Number.isInteger(n) ? n : 0;
}

export function maxRevision(replicaSets: readonly KubeObject[]): number {
  return replicaSets.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** The Deployment's own annotations that its ReplicaSets carry (e.g. kubernetes.io/change-cause). */
export function copiedAnnotations(deployment: KubeObject): Record<string, string> {
  return Object.fromEntries(Object.entries(deployment.metadata.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k)));
}

/** A new ReplicaSet for the Deployment's current template at `revision`, with `replicas` to start with. */
export function newReplicaSet(
  deployment: Deployment,
  hash: string,
  revision: number,
  replicas: number,
  maxSurge: number,
): ReplicaSet {
  const template = structuredClone(templateOf(deployment));
  const meta = (template.metadata ??= {});
  const labels = { ...meta.labels, [POD_TEMPLATE_HASH]: hash };
  meta.labels = labels;
  const spec = deployment.spec;
  const selector = structuredClone(spec.selector ?? {});
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
  const desired = spec.replicas ?? 1;
  return {
    apiVersion: REPLICA_SETS.apiVersion,
    kind: REPLICA_SETS.kind,
    metadata: {
      name: `${deployment.metadata.name}-${hash}`,
      namespace: deployment.metadata.namespace,
      labels,
      annotations: {
        ...copiedAnnotations(deployment),
        [REVISION]: String(revision),
        [DESIRED_REPLICAS]: String(desired),
        [MAX_REPLICAS]: String(desired + maxSurge),
      },
      ownerReferences: [newControllerRef(deployment, DEPLOYMENTS)],
    },
    spec: {
      replicas,
      minReadySeconds: spec.minReadySeconds ?? 0,
      selector,
      template,
    },
  };
}
