import { isJsonObject, JsonObject, KubeObject, ApiError, StatusCause } from '@skiff/api-machinery';
import { SchemaNode } from '../schema/schema-node';
import { mergeApplied, pruneUnowned } from './apply-merge';
import { compareValues } from './compare';
import { FieldPath, fieldPathString, isTracked } from './field-path';
import { FieldSet } from './field-set';
import { appliedConfigJson, objectJson, withManagedFields } from './kube-json';
import { decodeManagedFields, describeManager, encodeManagedFields, managerId, ManagerEntry } from './managed-fields';
import { fieldSetOf } from './typed-value';

export interface ServerSideApplyInput {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  schema: SchemaNode | undefined;
  apiVersion: string;
  /** RFC 3339 time stamped on the applier's managedFields entry when the object changes. */
  now: string;
  subresource?: string;
}

// Server-side apply (structured-merge-diff Updater.Apply): merge the applied configuration
// into the live object, prune what this applier dropped since its last apply, detect
// conflicts with other managers, and record ownership in managedFields.
export function serverSideApply(input: ServerSideApplyInput): KubeObject {
  const { live, manager, force, schema, apiVersion, now, subresource } = input;
  const liveJson = live ? objectJson(live) : undefined;
  const config = appliedConfigJson(input.applied);
  const entries = decodeManagedFields(live?.metadata.managedFields);
  const id = managerId({ manager, operation: 'Apply', apiVersion, subresource });
  const previous = entries.get(id);
  const others = [...entries].filter(([key]) => key !== id).map(([, e]) => e);

  const configSet = fieldSetOf(config, schema);

  let merged = mergeApplied(liveJson, config, schema) as JsonObject;
  if (previous) {
    const ownedNow = others.reduce((acc, e) => acc.union(e.set), configSet);
    merged = pruneUnowned(merged, previous.set, ownedNow, schema);
  }

  const comparison = compareValues(liveJson, merged, schema);
  const changed = comparison.added.union(comparison.modified).filter(isTracked);
  let conflicts = others.flatMap((entry) =>
    entry.set
      .intersection(changed)
      .sortedPaths()
      .map((path) => ({ entry, path })),
  );
  if (conflicts.length > 0 && !force && manager === 'kubectl' && liveJson) {
    // Upgrading from client-side apply: fields the last-applied annotation still describes are kubectl's own.
    const allowed = fieldsFromLastApplied(liveJson, apiVersion, schema);
    conflicts = conflicts.filter((c) => !allowed.has(c.path));
  }
  if (conflicts.length > 0 && !force) throw applyConflict(conflicts);

  const objectChanged = !changed.isEmpty() || !comparison.removed.isEmpty();
  const next: ManagerEntry[] = others.map((e) => ({
    ...e,
    set: e.set.difference(changed).difference(comparison.removed),
  }));
  next.push({
    manager,
    operation: 'Apply',
    apiVersion,
    subresource,
    // Upstream leaves the time alone when an apply changes nothing.
    time: objectChanged || !previous?.time ? now : previous.time,
    set: configSet,
  });
  return withManagedFields(merged, encodeManagedFields(next));
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * apiserver's lastAppliedManager: the fields of the client-side apply annotation whose values
 * the live object still has. kubectl's server-side apply may take them over without a conflict.
 */
function fieldsFromLastApplied(live: JsonObject, apiVersion: string, schema: SchemaNode | undefined): FieldSet {
  const annotations =
    isJsonObject(live.metadata) && isJsonObject(live.metadata.annotations) ? live.metadata.annotations : {};
  const raw = annotations[LAST_APPLIED];
  if (typeof raw !== 'string' || raw === '') return FieldSet.empty();
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(raw);
  } catch {
    return FieldSet.empty();
  }
  if (!isJsonObject(lastApplied) || lastApplied.apiVersion !== apiVersion) return FieldSet.empty();
  const comparison = compareValues(lastApplied, live, schema);
  return fieldSetOf(lastApplied, schema)
    .difference(comparison.modified)
    .difference(comparison.added)
    .difference(comparison.removed);
}

// 409 as kube-apiserver's NewApplyConflict: the message lists each conflict, the causes
// carry one FieldManagerConflict per field (kubectl prints them and suggests --force-conflicts).
function applyConflict(conflicts: Array<{ entry: ManagerEntry; path: FieldPath }>): ApiError {
  const described = conflicts
    .map((c) => ({ manager: describeManager(c.entry), field: fieldPathString(c.path) }))
    .sort((a, b) => (a.manager === b.manager ? 0 : a.manager < b.manager ? -1 : 1));
  const causes: StatusCause[] = described.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${c.manager}`,
    field: c.field,
  }));
  let message: string;
  if (described.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${described[0].manager}: ${described[0].field}`;
  } else {
    const lines: string[] = [];
    let current: string | undefined;
    for (const c of described) {
      if (c.manager !== current) lines.push(`conflicts with ${c.manager}:`);
      current = c.manager;
      lines.push(`- ${c.field}`);
    }
    message = `Apply failed with ${described.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}
