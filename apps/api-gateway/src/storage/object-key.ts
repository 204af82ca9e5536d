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

/**
 * Postgres text holds no NUL, so no stored key has one: a key with one (`%00` in a URL) names nothing, as an etcd key
 * nobody wrote. Sent as a query parameter it would fail the query (a 500) and the batch of writes around it.
 */
export function storableText(s: string | undefined): boolean {
  return s === undefined || !s.includes('\u0000');
}

export function storableKey(k: ObjectKey): boolean {
  return storableText(k.namespace) && storableText(k.name);
}
