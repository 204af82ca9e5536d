/** Where an object lives in the store. `namespace` is '' for cluster-scoped resources. */
export interface ObjectKey {
  group: string;
  resource: string;
  namespace: string;
  name: string;
}

export function describeKey(k: ObjectKey): string {
  return `${k.group || 'core'}/${k.resource}/${k.namespace || '-'}/${k.name}`;
}
