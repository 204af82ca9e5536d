import {
  isJsonObject,
  JsonObject,
  KubeObject,
  ManagedFieldsEntry,
  cloneJson,
  withoutNulls,
} from '@skiff/api-machinery';

// KubeObject as plain JSON without managedFields: what field sets are computed from.
export function objectJson(obj: KubeObject): JsonObject {
  const json = cloneJson(obj as unknown as JsonObject);
  const metadata = isJsonObject(json.metadata) ? { ...json.metadata } : {};
  delete metadata.managedFields;
  return { ...json, metadata };
}

// Server-written metadata an applied configuration cannot set; the live values stand.
const SERVER_METADATA = [
  'managedFields',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

export function appliedConfigJson(applied: KubeObject): JsonObject {
  const json = withoutNulls(cloneJson(applied as unknown as JsonObject)) as JsonObject;
  const metadata = isJsonObject(json.metadata) ? { ...json.metadata } : {};
  for (const f of SERVER_METADATA) delete metadata[f];
  return { ...json, metadata };
}

export function withManagedFields(obj: JsonObject, managedFields: ManagedFieldsEntry[]): KubeObject {
  const metadata = isJsonObject(obj.metadata) ? { ...obj.metadata } : {};
  const result = { ...obj, metadata } as unknown as KubeObject;
  if (managedFields.length > 0) result.metadata.managedFields = managedFields;
  else delete result.metadata.managedFields;
  return result;
}
