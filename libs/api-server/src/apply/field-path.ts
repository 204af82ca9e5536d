import { JsonValue } from '@skiff/api-machinery';

// One path element in FieldsV1 spelling: `f:<field>`, `k:<json of key fields>`, `v:<json value>`,
// `i:<index>`, and a path is the list of them from the object root.
export type FieldPath = readonly string[];

export function fieldElement(name: string): string {
  return `f:${name}`;
}

export function valueElement(value: JsonValue): string {
  return `v:${JSON.stringify(value)}`;
}

// Key fields sorted by name, as structured-merge-diff serialises them.
export function keyElement(keys: Record<string, JsonValue>): string {
  const sorted: Record<string, JsonValue> = {};
  for (const k of Object.keys(keys).sort()) sorted[k] = keys[k];
  return `k:${JSON.stringify(sorted)}`;
}

// The spelling kube-apiserver uses in conflict messages: `.spec.containers[name="c"].image`.
export function fieldPathString(path: FieldPath): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      if (pe.startsWith('f:')) return `.${body}`;
      if (pe.startsWith('k:')) {
        const keys = JSON.parse(body) as Record<string, JsonValue>;
        return `[${Object.entries(keys)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      if (pe.startsWith('v:')) return `[=${body}]`;
      return `[${body}]`;
    })
    .join('');
}

// Fields the server owns or that identify the object; never tracked in managedFields
// (upstream's stripMeta set, plus deletion fields which only the server writes).
const UNTRACKED: FieldPath[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ...[
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'managedFields',
    'selfLink',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ].map((f) => ['f:metadata', fieldElement(f)]),
];

export function isTracked(path: FieldPath): boolean {
  if (path.length === 0) return false;
  if (path.length === 1 && path[0] === 'f:metadata') return false;
  return !UNTRACKED.some((u) => u.every((pe, i) => path[i] === pe));
}

export function isPrefix(prefix: FieldPath, path: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((pe, i) => path[i] === pe);
}
