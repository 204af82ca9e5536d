import { KubeClient } from '@skiff/kube-client';

export type Json = Record<string, unknown>;
export const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A schema node of the served OpenAPI v2 document, as far as patching needs it. */
interface SchemaNode {
  $ref?: string;
  allOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

/**
 * The patch strategies of the cluster's built-in kinds (`x-kubernetes-patch-strategy` and `-merge-key` of its
 * OpenAPI v2 document), which is what client-go's scheme gives Helm.
 */
export class PatchSchemas {
  constructor(private readonly definitions: Record<string, SchemaNode>) {}

  static async read(client: KubeClient): Promise<PatchSchemas> {
    const doc = await client.request<{ definitions?: Record<string, SchemaNode> }>('GET', '/openapi/v2');
    return new PatchSchemas(doc.definitions ?? {});
  }

  /**
   * The schema of a built-in kind (a definition named `io.k8s.…`), or undefined for a custom resource, which Helm
   * patches with a JSON merge patch.
   */
  forKind(apiVersion: string, kind: string): SchemaNode | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    for (const [name, def] of Object.entries(this.definitions))
      if (
        name.startsWith('io.k8s.') &&
        def['x-kubernetes-group-version-kind']?.some(
          (g) => g.group === group && g.version === version && g.kind === kind,
        )
      )
        return def;
    return undefined;
  }

  /** A node with its `$ref` (or single `allOf`) followed, keeping its own patch extensions. */
  resolve(node: SchemaNode | undefined): SchemaNode | undefined {
    let n = node;
    for (let hops = 0; n && hops < 20; hops++) {
      const ref = n.$ref ?? (n.allOf?.length === 1 ? n.allOf[0].$ref : undefined);
      if (!ref) return n;
      n = this.definitions[ref.replace('#/definitions/', '')];
    }
    return n;
  }

  /** The schema of a map's field: a property, or what every value of a map of additionalProperties is. */
  field(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    return n.properties?.[key] ?? (isMap(n.additionalProperties) ? n.additionalProperties : undefined);
  }
}

/**
 * strategicpatch.CreateThreeWayMergePatch, as Helm's upgrade calls it for built-in kinds: the changes from `current`
 * (the live object) to `modified` (the new manifest) without deletions, plus the deletions from `original` (the
 * last manifest) to `modified`. Lists with a merge strategy are patched item by item by their merge key
 * (`$patch: delete` for dropped items, `$setElementOrder/<list>` for the order, `$deleteFromPrimitiveList/<list>`
 * for dropped scalars), so what someone else put in the live object, such as a container's extra env var, is kept.
 */
export function threeWayStrategicPatch(
  schemas: PatchSchemas,
  schema: SchemaNode,
  original: Json,
  modified: Json,
  current: Json,
): Json {
  const delta = diffMaps(schemas, schema, current, modified, { ignoreDeletions: true });
  const deletions = diffMaps(schemas, schema, original, modified, { ignoreChangesAndAdditions: true });
  return mergeDiffs(schemas, schema, deletions, delta);
}

interface DiffOptions {
  ignoreDeletions?: boolean;
  ignoreChangesAndAdditions?: boolean;
}

function diffMaps(schemas: PatchSchemas, schema: SchemaNode | undefined, from: Json, to: Json, opts: DiffOptions) {
  const patch: Json = {};
  for (const [key, value] of Object.entries(to)) {
    if (!(key in from)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = value;
      continue;
    }
    const old = from[key];
    const field = schemas.field(schema, key);
    if (isMap(old) && isMap(value)) {
      if (field?.['x-kubernetes-patch-strategy']?.split(',').includes('replace')) {
        if (!opts.ignoreChangesAndAdditions && !same(old, value)) patch[key] = value;
      } else {
        const sub = diffMaps(schemas, field, old, value, opts);
        if (Object.keys(sub).length > 0) patch[key] = sub;
      }
    } else if (Array.isArray(old) && Array.isArray(value)) {
      const strategy = field?.['x-kubernetes-patch-strategy']?.split(',') ?? [];
      if (strategy.includes('merge')) diffList(schemas, field, key, old, value, patch, opts);
      else if (!opts.ignoreChangesAndAdditions && !same(old, value)) patch[key] = value;
    } else if (!opts.ignoreChangesAndAdditions && !same(old, value)) patch[key] = value;
  }
  if (!opts.ignoreDeletions) for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  return patch;
}

/** A merge-strategy list: items by merge key (maps) or by value (scalars), with the order directive. */
function diffList(
  schemas: PatchSchemas,
  field: SchemaNode | undefined,
  key: string,
  from: unknown[],
  to: unknown[],
  patch: Json,
  opts: DiffOptions,
): void {
  if (from.length === 0) {
    if (to.length > 0 && !opts.ignoreChangesAndAdditions) patch[key] = to;
    return;
  }
  const mergeKey = field?.['x-kubernetes-patch-merge-key'];
  const itemSchema = schemas.resolve(field)?.items;
  if ([...from, ...to].some(isMap) && mergeKey) {
    const keyOf = (v: unknown) => String((v as Json)[mergeKey]);
    const old = new Map(from.map((v) => [keyOf(v), v as Json]));
    const now = new Set(to.map(keyOf));
    const changes: unknown[] = [];
    for (const item of to as Json[]) {
      const before = old.get(keyOf(item));
      if (!before) {
        if (!opts.ignoreChangesAndAdditions) changes.push(item);
        continue;
      }
      const sub = diffMaps(schemas, itemSchema, before, item, opts);
      if (Object.keys(sub).length > 0) changes.push({ ...sub, [mergeKey]: item[mergeKey] });
    }
    if (!opts.ignoreDeletions)
      for (const item of from as Json[])
        if (!now.has(keyOf(item))) changes.push({ [mergeKey]: item[mergeKey], $patch: 'delete' });
    const orderSame = same(
      from.map(keyOf).filter((k) => now.has(k)),
      to.map(keyOf).filter((k) => old.has(k)),
    );
    if (changes.length > 0) patch[key] = changes;
    if (changes.length > 0 || (!opts.ignoreChangesAndAdditions && !orderSame))
      patch[`$setElementOrder/${key}`] = (to as Json[]).map((item) => ({ [mergeKey]: item[mergeKey] }));
    return;
  }
  const added = to.filter((v) => !from.some((f) => same(f, v)));
  const removed = from.filter((v) => !to.some((t) => same(t, v)));
  if (!opts.ignoreChangesAndAdditions && added.length > 0) patch[key] = added;
  if (!opts.ignoreDeletions && removed.length > 0) patch[`$deleteFromPrimitiveList/${key}`] = removed;
  if ((!opts.ignoreDeletions && removed.length > 0) || (!opts.ignoreChangesAndAdditions && !same(from, to)))
    patch[`$setElementOrder/${key}`] = to;
}

/** The deletions patch with the delta patch laid over it (they touch different items of merged lists). */
function mergeDiffs(schemas: PatchSchemas, schema: SchemaNode | undefined, deletions: Json, delta: Json): Json {
  const out: Json = { ...deletions };
  for (const [key, value] of Object.entries(delta)) {
    const old = out[key];
    const field = schemas.field(schema, key);
    const mergeKey = field?.['x-kubernetes-patch-merge-key'];
    if (isMap(old) && isMap(value)) out[key] = mergeDiffs(schemas, field, old, value);
    else if (Array.isArray(old) && Array.isArray(value) && !key.startsWith('$') && mergeKey) {
      // The same item in both (a change and a deletion inside it) is one item of the patch.
      const itemSchema = schemas.resolve(field)?.items;
      const rest = new Map((old as Json[]).map((item) => [String(item[mergeKey]), item]));
      const merged = (value as Json[]).map((item) => {
        const other = rest.get(String(item[mergeKey]));
        rest.delete(String(item[mergeKey]));
        return other ? mergeDiffs(schemas, itemSchema, other, item) : item;
      });
      out[key] = [...merged, ...rest.values()];
    } else if (Array.isArray(old) && Array.isArray(value) && !key.startsWith('$')) out[key] = [...value, ...old];
    else out[key] = value;
  }
  return out;
}
