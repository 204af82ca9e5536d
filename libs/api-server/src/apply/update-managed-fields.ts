import { JsonValue, KubeObject, jsonEqual } from '@skiff/api-machinery';
import { SchemaNode } from '../schema/schema-node';
import { compareValues } from './compare';
import { isTracked } from './field-path';
import { FieldSet } from './field-set';
import { objectJson, withManagedFields } from './kube-json';
import { decodeManagedFields, encodeManagedFields, managerId, ManagerEntry } from './managed-fields';

export interface UpdateManagedFieldsInput {
  /** The stored object before the write; undefined on create. */
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  schema: SchemaNode | undefined;
  apiVersion: string;
  now: string;
  subresource?: string;
}

// Ownership bookkeeping for create, update and patch (structured-merge-diff Updater.Update):
// the fields this write added or changed move to `manager` (operation Update), removed fields
// leave every manager. Updates never conflict.
export function updateManagedFields(input: UpdateManagedFieldsInput): KubeObject {
  const { old, updated, manager, schema, apiVersion, now, subresource } = input;
  // A client that sends managedFields different from the stored ones replaces them (as upstream).
  const sent = updated.metadata.managedFields;
  const source =
    sent !== undefined && !jsonEqual(toJson(sent), toJson(old?.metadata.managedFields))
      ? sent
      : old?.metadata.managedFields;
  const entries = decodeManagedFields(source);

  const oldJson = old ? objectJson(old) : undefined;
  const newJson = objectJson(updated);
  const comparison = compareValues(oldJson, newJson, schema);
  const changed = comparison.added.union(comparison.modified).filter(isTracked);
  const removed = comparison.removed;

  const id = managerId({ manager, operation: 'Update', apiVersion, subresource });
  const mine = entries.get(id);
  const next: ManagerEntry[] = [...entries]
    .filter(([key]) => key !== id)
    .map(([, e]) => ({ ...e, set: e.set.difference(changed).difference(removed) }));
  const mySet = (mine?.set ?? FieldSet.empty()).difference(removed).union(changed);
  next.push({
    manager,
    operation: 'Update',
    apiVersion,
    subresource,
    // The time moves only when this write took fields, as upstream.
    time: changed.isEmpty() ? (mine?.time ?? now) : now,
    set: mySet,
  });
  return withManagedFields(newJson, encodeManagedFields(next));
}

function toJson(value: unknown): JsonValue | undefined {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as JsonValue);
}
