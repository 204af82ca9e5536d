import { loadKubernetesDefinitions } from './kubernetes-spec.loader';
import { isRecord, RawDefinitions } from './raw-schema';
import { applyOverlay } from './schema-overlay';
import { SchemaNode } from './schema-node';
import { SchemaNodeConverter } from './schema-node.converter';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const gvkKey = (group: string, version: string, kind: string): string => `${group}/${version}/${kind}`;

/**
 * The schema source of the API server: every definition as a SchemaNode tree, and the
 * group/version/kind index that the x-kubernetes-group-version-kind extension gives.
 */
export class SchemaRegistry {
  private static shared: SchemaRegistry | undefined;
  private readonly nodes: ReadonlyMap<string, SchemaNode>;
  private readonly byGvk = new Map<string, string>();
  private readonly gvks = new Map<string, GroupVersionKind[]>();

  /** `base`: a registry whose definitions these extend (and may refer to), e.g. CRD schemas over the built-ins. */
  constructor(raw: RawDefinitions, base?: SchemaRegistry) {
    const own = new SchemaNodeConverter(raw, base?.nodes).convertAll();
    this.nodes = base ? new Map([...base.nodes, ...own]) : own;
    if (base) {
      for (const [k, v] of base.byGvk) this.byGvk.set(k, v);
      for (const [k, v] of base.gvks) this.gvks.set(k, v);
    }
    for (const [name, def] of Object.entries(raw)) {
      const list = def['x-kubernetes-group-version-kind'];
      if (!Array.isArray(list)) continue;
      const parsed: GroupVersionKind[] = [];
      for (const entry of list) {
        if (!isRecord(entry)) continue;
        const { group, version, kind } = entry;
        if (typeof group !== 'string' || typeof version !== 'string' || typeof kind !== 'string') continue;
        parsed.push({ group, version, kind });
        // Meta types (DeleteOptions, WatchEvent...) carry one gvk per group; the first name wins.
        if (!this.byGvk.has(gvkKey(group, version, kind)) || base) this.byGvk.set(gvkKey(group, version, kind), name);
      }
      this.gvks.set(name, parsed);
    }
  }

  /** The packaged Kubernetes definitions plus our overlay; loaded once per process. */
  static builtIn(): SchemaRegistry {
    SchemaRegistry.shared ??= new SchemaRegistry(applyOverlay(loadKubernetesDefinitions()));
    return SchemaRegistry.shared;
  }

  /** A new registry: these definitions over this one's (which stays as it is). */
  withDefinitions(raw: RawDefinitions): SchemaRegistry {
    return new SchemaRegistry(raw, this);
  }

  schemaFor(group: string, version: string, kind: string): SchemaNode | undefined {
    const name = this.byGvk.get(gvkKey(group, version, kind));
    return name === undefined ? undefined : this.nodes.get(name);
  }

  definitionNameFor(group: string, version: string, kind: string): string | undefined {
    return this.byGvk.get(gvkKey(group, version, kind));
  }

  definition(name: string): SchemaNode | undefined {
    return this.nodes.get(name);
  }

  definitions(): ReadonlyMap<string, SchemaNode> {
    return this.nodes;
  }

  /** The x-kubernetes-group-version-kind entries of a definition (empty for non-kinds). */
  groupVersionKinds(name: string): readonly GroupVersionKind[] {
    return this.gvks.get(name) ?? [];
  }
}
