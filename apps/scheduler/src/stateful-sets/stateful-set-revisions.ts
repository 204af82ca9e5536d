import { isJsonObject, JsonObject } from '@skiff/api-machinery';
import { isAlreadyExists } from '@skiff/kube-client';
import { CONTROLLER_REVISIONS, newControllerRef, STATEFUL_SETS } from '@skiff/controller-runtime';
import type { ControllerRevision, PodTemplateSpec, StatefulSet } from '@skiff/kube-types';
import { statefulSetSpec, withTemplate } from './stateful-set-spec';

export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
// ControllerRevisionName keeps room for '-' and the hash in a 253-character name.
const MAX_PREFIX = 223;
// rand.SafeEncodeString's alphabet: no vowels (no words), no look-alike characters.
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** What the controller writes revisions with (a fake in unit specs). */
export interface RevisionWriter {
  create(revision: ControllerRevision): Promise<ControllerRevision>;
  get(namespace: string, name: string): Promise<ControllerRevision>;
  setRevisionNumber(revision: ControllerRevision, revisionNumber: number): Promise<ControllerRevision>;
  delete(revision: ControllerRevision): Promise<void>;
}

export interface SetRevisions {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
}

/**
 * What a StatefulSet revision stores (upstream's getPatch): a strategic merge patch that puts the
 * template back, `{spec: {template: {..., $patch: replace}}}` — `kubectl rollout undo` applies it as is.
 * Keys are sorted so equal templates give equal data.
 */
export function revisionData(set: StatefulSet): { spec: { template: PodTemplateSpec & { $patch: 'replace' } } } {
  const template = structuredClone(statefulSetSpec(set).template);
  return sortKeys({ spec: { template: { ...template, $patch: 'replace' as const } } });
}

/**
 * The template a revision holds (ApplyRevision for the only state StatefulSet revisions record).
 * A revision's data is raw JSON to any reader; this controller's revisions hold what revisionData wrote.
 */
export function revisionTemplate(revision: ControllerRevision): PodTemplateSpec {
  const data: unknown = revision.data;
  const spec = isJsonObject(data) && isJsonObject(data.spec) ? data.spec : {};
  const template: JsonObject = isJsonObject(spec.template) ? { ...spec.template } : {};
  delete template.$patch;
  return template as PodTemplateSpec;
}

export function applyRevision(set: StatefulSet, revision: ControllerRevision): StatefulSet {
  return withTemplate(set, revisionTemplate(revision));
}

export function revisionNumber(revision: ControllerRevision): number {
  return revision.revision ?? 0;
}

/** A ControllerRevision of `set` named `<set>-<hash>`, where the hash covers the data and the collision count. */
export function newRevision(set: StatefulSet, revision: number, collisionCount: number): ControllerRevision {
  const data = revisionData(set);
  const hash = safeEncode(String(fnv32a(JSON.stringify(data) + String(collisionCount))));
  const labels = statefulSetSpec(set).template.metadata?.labels ?? {};
  return {
    apiVersion: CONTROLLER_REVISIONS.apiVersion,
    kind: CONTROLLER_REVISIONS.kind,
    metadata: {
      name: `${set.metadata.name!.slice(0, MAX_PREFIX)}-${hash}`,
      namespace: set.metadata.namespace,
      labels: { ...labels, [REVISION_HASH_LABEL]: hash },
      // As upstream: the set's annotations (kubernetes.io/change-cause among them) go along, for `rollout history`.
      ...(set.metadata.annotations ? { annotations: { ...set.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(set, STATEFUL_SETS)],
    },
    data,
    revision,
  };
}

export function equalRevision(a: ControllerRevision, b: ControllerRevision): boolean {
  return JSON.stringify(sortKeys(a.data)) === JSON.stringify(sortKeys(b.data));
}

/** By revision number, then age, then name (history.SortControllerRevisions). */
export function sortRevisions(revisions: readonly ControllerRevision[]): ControllerRevision[] {
  return [...revisions].sort(
    (a, b) =>
      revisionNumber(a) - revisionNumber(b) ||
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

/**
 * The current and update revisions (getStatefulSetRevisions): the update revision is the latest
 * when the template did not change, an older equal one brought forward with the next number (a
 * rollback), or a new one; the current one is status.currentRevision, or the update revision
 * when there is none yet. `revisions` must be sorted.
 */
export async function syncRevisions(
  set: StatefulSet,
  revisions: readonly ControllerRevision[],
  writer: RevisionWriter,
): Promise<SetRevisions> {
  let collisionCount = set.status?.collisionCount ?? 0;
  const next = revisions.length === 0 ? 1 : revisionNumber(revisions[revisions.length - 1]) + 1;
  const candidate = newRevision(set, next, collisionCount);
  const equal = revisions.filter((r) => equalRevision(r, candidate));
  let update: ControllerRevision;
  if (equal.length > 0 && equal[equal.length - 1] === revisions[revisions.length - 1]) {
    update = revisions[revisions.length - 1];
  } else if (equal.length > 0) {
    update = await writer.setRevisionNumber(equal[equal.length - 1], next);
  } else {
    ({ revision: update, collisionCount } = await createRevision(set, next, collisionCount, writer));
  }
  const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/** Creates the revision, stepping the collision count while its name is taken by different data. */
async function createRevision(
  set: StatefulSet,
  next: number,
  collisionCount: number,
  writer: RevisionWriter,
): Promise<{ revision: ControllerRevision; collisionCount: number }> {
  for (;;) {
    const revision = newRevision(set, next, collisionCount);
    try {
      return { revision: await writer.create(revision), collisionCount };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const existing = await writer.get(set.metadata.namespace!, revision.metadata.name!);
    if (equalRevision(existing, revision)) return { revision: existing, collisionCount };
    collisionCount++;
  }
}

/**
 * Revisions beyond revisionHistoryLimit to delete, oldest first (truncateHistory): the current and
 * update revisions and any revision a pod still runs are live and never counted.
 */
export function revisionsToPrune(
  revisions: readonly ControllerRevision[],
  live: ReadonlySet<string>,
  limit: number,
): ControllerRevision[] {
  const history = sortRevisions(revisions).filter((r) => !live.has(r.metadata.name!));
  if (limit < 0 || history.length <= limit) return [];
  return history.slice(0, history.length - limit);
}

// The same JSON value with its objects' keys in order (a template, a revision's raw data).
function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (!isJsonObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
  return out as T;
}

function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function safeEncode(s: string): string {
  return [...s].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}
