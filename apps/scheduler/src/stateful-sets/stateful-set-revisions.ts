import { isJsonObject, JsonObject, JsonValue, KubeObject } from '@skiff/api-machinery';
import { isAlreadyExists } from '@skiff/kube-client';
import { CONTROLLER_REVISIONS, newControllerRef, STATEFUL_SETS } from '@skiff/controller-runtime';
import { statefulSetSpec, statusOf, withTemplate } from './stateful-set-spec';

export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
// ControllerRevisionName keeps room for '-' and the hash in a 253-character name.
const MAX_PREFIX = 223;
// rand.SafeEncodeString's alphabet: no vowels (no words), no look-alike characters.
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** What the controller writes revisions with (a fake in unit specs). */
export interface RevisionWriter {
  create(revision: KubeObject): Promise<KubeObject>;
  get(namespace: string, name: string): Promise<KubeObject>;
  setRevisionNumber(revision: KubeObject, revisionNumber: number): Promise<KubeObject>;
  delete(revision: KubeObject): Promise<void>;
}

export interface SetRevisions {
  current: KubeObject;
  update: KubeObject;
  collisionCount: number;
}

/**
 * What a StatefulSet revision stores (upstream's getPatch): a strategic merge patch that puts the
 * template back, `{spec: {template: {..., $patch: replace}}}` — `kubectl rollout undo` applies it as is.
 * Keys are sorted so equal templates give equal data.
 */
export function revisionData(set: KubeObject): JsonObject {
  const template = structuredClone(statefulSetSpec(set).template);
  return sortKeys({ spec: { template: { ...template, $patch: 'replace' } } }) as JsonObject;
}

/** The template a revision holds (ApplyRevision for the only state StatefulSet revisions record). */
export function revisionTemplate(revision: KubeObject): JsonObject {
  const data = isJsonObject(revision.data) ? revision.data : {};
  const spec = isJsonObject(data.spec) ? data.spec : {};
  const template = isJsonObject(spec.template) ? { ...spec.template } : {};
  delete template.$patch;
  return template;
}

export function applyRevision(set: KubeObject, revision: KubeObject): KubeObject {
  return withTemplate(set, revisionTemplate(revision));
}

export function revisionNumber(revision: KubeObject): number {
  return typeof revision.revision === 'number' ? revision.revision : 0;
}

/** A ControllerRevision of `set` named `<set>-<hash>`, where the hash covers the data and the collision count. */
export function newRevision(set: KubeObject, revision: number, collisionCount: number): KubeObject {
  const data = revisionData(set);
  const hash = safeEncode(String(fnv32a(JSON.stringify(data) + String(collisionCount))));
  const meta = statefulSetSpec(set).template.metadata;
  const labels = isJsonObject(meta) && isJsonObject(meta.labels) ? (meta.labels as Record<string, string>) : {};
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

export function equalRevision(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(sortKeys(a.data as JsonValue)) === JSON.stringify(sortKeys(b.data as JsonValue));
}

/** By revision number, then age, then name (history.SortControllerRevisions). */
export function sortRevisions(revisions: readonly KubeObject[]): KubeObject[] {
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
  set: KubeObject,
  revisions: readonly KubeObject[],
  writer: RevisionWriter,
): Promise<SetRevisions> {
  const status = statusOf(set);
  let collisionCount = typeof status.collisionCount === 'number' ? status.collisionCount : 0;
  const next = revisions.length === 0 ? 1 : revisionNumber(revisions[revisions.length - 1]) + 1;
  const candidate = newRevision(set, next, collisionCount);
  const equal = revisions.filter((r) => equalRevision(r, candidate));
  let update: KubeObject;
  if (equal.length > 0 && equal[equal.length - 1] === revisions[revisions.length - 1]) {
    update = revisions[revisions.length - 1];
  } else if (equal.length > 0) {
    update = await writer.setRevisionNumber(equal[equal.length - 1], next);
  } else {
    ({ revision: update, collisionCount } = await createRevision(set, next, collisionCount, writer));
  }
  const current = revisions.find((r) => r.metadata.name === status.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/** Creates the revision, stepping the collision count while its name is taken by different data. */
async function createRevision(
  set: KubeObject,
  next: number,
  collisionCount: number,
  writer: RevisionWriter,
): Promise<{ revision: KubeObject; collisionCount: number }> {
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
  revisions: readonly KubeObject[],
  live: ReadonlySet<string>,
  limit: number,
): KubeObject[] {
  const history = sortRevisions(revisions).filter((r) => !live.has(r.metadata.name!));
  if (limit < 0 || history.length <= limit) return [];
  return history.slice(0, history.length - limit);
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
  return out;
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
