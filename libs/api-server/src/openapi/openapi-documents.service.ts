import { BUILT_IN_RESOURCES, ResourceType } from '../resources/resource-types';
import { SchemaRegistry } from '../schema/schema-registry.service';
import { encodeOpenApiV2Protobuf } from './openapi-v2-protobuf.encoder';
import { buildOpenApiV2Document } from './openapi-v2.builder';
import { buildOpenApiV3Document, documentOf, groupVersionPath, OpenApiDocument } from './openapi-v3.builder';

interface Built {
  v3: Map<string, OpenApiDocument>;
  v2?: ServedOpenApiV2;
  indexes: Map<string, OpenApiDocument>;
}

/** GET /openapi/v2 in both encodings; the protobuf is made on first use. */
export interface ServedOpenApiV2 {
  readonly json: OpenApiDocument;
  /** When the document was built: its Last-Modified. */
  readonly lastModified: Date;
  /** The gnostic protobuf kubectl asks for (the same document; upstream gives it the JSON's ETag). */
  protobuf(): Uint8Array;
}

// Documents are pure functions of (resources, registry): build each once per pair of objects.
const cache = new WeakMap<SchemaRegistry, WeakMap<readonly ResourceType[], Built>>();

function built(resources: readonly ResourceType[], registry: SchemaRegistry): Built {
  let byResources = cache.get(registry);
  if (!byResources) cache.set(registry, (byResources = new WeakMap()));
  let entry = byResources.get(resources);
  if (!entry) {
    entry = { v3: new Map(), indexes: new Map() };
    const gvs = new Map<string, { group: string; version: string }>();
    for (const r of resources) gvs.set(groupVersionPath(r.group, r.version), { group: r.group, version: r.version });
    for (const [path, { group, version }] of gvs) {
      const doc = buildOpenApiV3Document(group, version, resources, registry);
      if (doc) entry.v3.set(path, doc);
    }
    byResources.set(resources, entry);
  }
  return entry;
}

/** Every group-version document, keyed "api/v1", "apis/apps/v1"... */
export function openApiV3Documents(
  resources: readonly ResourceType[],
  registry: SchemaRegistry,
): ReadonlyMap<string, OpenApiDocument> {
  return built(resources, registry).v3;
}

/** GET /openapi/v3: `{"paths":{"apis/apps/v1":{"serverRelativeURL":"/openapi/v3/apis/apps/v1?hash=..."}}}`. */
export function buildOpenApiV3Index(
  resources: readonly ResourceType[],
  registry: SchemaRegistry,
  basePath = '',
): OpenApiDocument {
  const entry = built(resources, registry);
  let index = entry.indexes.get(basePath);
  if (!index) {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [path, doc] of [...entry.v3].sort(([a], [b]) => a.localeCompare(b))) {
      paths[path] = { serverRelativeURL: `${basePath}/openapi/v3/${path}?hash=${doc.hash}` };
    }
    index = documentOf({ paths });
    entry.indexes.set(basePath, index);
  }
  return index;
}

/** GET /openapi/v3/<path> ("api/v1", "apis/apps/v1"), cached. */
export function openApiV3Document(
  path: string,
  resources: readonly ResourceType[],
  registry: SchemaRegistry,
): OpenApiDocument | undefined {
  return built(resources, registry).v3.get(path.replace(/^\/+|\/+$/g, ''));
}

/** GET /openapi/v2 as JSON, cached. Defaults to the built-ins. */
export function openApiV2Document(
  resources: readonly ResourceType[] = BUILT_IN_RESOURCES,
  registry: SchemaRegistry = SchemaRegistry.builtIn(),
): OpenApiDocument {
  return servedOpenApiV2(resources, registry).json;
}

/** GET /openapi/v2 (JSON and protobuf), cached until the served resources or schemas change. */
export function servedOpenApiV2(
  resources: readonly ResourceType[] = BUILT_IN_RESOURCES,
  registry: SchemaRegistry = SchemaRegistry.builtIn(),
): ServedOpenApiV2 {
  const entry = built(resources, registry);
  if (!entry.v2) {
    const json = buildOpenApiV2Document(resources, registry);
    let protobuf: Uint8Array | undefined;
    // Like kube-openapi, the time the document was made stands for its modification time.
    entry.v2 = {
      json,
      lastModified: new Date(),
      protobuf: () => (protobuf ??= encodeOpenApiV2Protobuf(json.document)),
    };
  }
  return entry.v2;
}
