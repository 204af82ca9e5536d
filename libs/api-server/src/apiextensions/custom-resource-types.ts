// What the stored CRDs make the API server serve: one ResourceType per served version of every
// CRD whose names are accepted, and the OpenAPI definitions of those kinds (over the built-ins).
import type { KubeObject } from '@skiff/api-machinery';
import { ALL_VERBS, ResourceType, SCALE, SubresourceType } from '../resources/resource-types';
import { isRecord, RawDefinitions, RawSchema } from '../schema/raw-schema';
import { SchemaRegistry } from '../schema/schema-registry.service';
import { decideNames } from './crd-names';
import { CrdNames, crdSpecOf, CrdSpec, CrdVersion, storageVersionOf } from './crd.types';
import { compareVersionPriority } from './version-priority';

export interface CustomResources {
  types: ResourceType[];
  /** `base` extended with the definitions of every served custom kind and its list. */
  schemas: SchemaRegistry;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string, description: string): RawSchema => ({ $ref: `#/components/schemas/${name}`, description });
const API_VERSION = {
  type: 'string',
  description:
    'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
};
const KIND = {
  type: 'string',
  description:
    'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
};

/** Upstream's definition name of a custom kind: the group reversed, e.g. "com.example.stable.v1.CronTab". */
export function customDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

export function customResourcesFrom(crds: readonly KubeObject[], base: SchemaRegistry): CustomResources {
  const verdicts = decideNames(crds);
  const raw: RawDefinitions = {};
  const served: { type: ResourceType; definition: string }[] = [];
  for (const crd of crds) {
    const verdict = verdicts.get(crd.metadata.name ?? '');
    const spec = crdSpecOf(crd);
    const storageVersion = storageVersionOf(spec);
    if (!verdict?.accepted || !storageVersion) continue;
    for (const v of spec.versions.filter((x) => x.served)) {
      const definition = customDefinitionName(spec.group, v.name, verdict.names.kind);
      raw[definition] = objectDefinition(v, spec.group, verdict.names.kind);
      raw[`${definition}List`] = listDefinition(definition, spec.group, v.name, verdict.names.kind);
      served.push({ type: resourceTypeOf(crd, spec, v, verdict.names, storageVersion), definition });
    }
  }
  // Discovery lists a group's versions in this order, the preferred (highest priority) first.
  served.sort(
    (a, b) => a.type.group.localeCompare(b.type.group) || compareVersionPriority(a.type.version, b.type.version),
  );
  const schemas = served.length > 0 ? base.withDefinitions(raw) : base;
  const types = served.map(({ type, definition }) => ({
    ...type,
    custom: { ...type.custom!, schema: schemas.definition(definition) },
  }));
  return { types, schemas };
}

function resourceTypeOf(
  crd: KubeObject,
  spec: CrdSpec,
  v: CrdVersion,
  names: Required<CrdNames>,
  storageVersion: string,
): ResourceType {
  const subresources: SubresourceType[] = [];
  if (v.subresources?.status)
    subresources.push({ name: 'status', kind: names.kind, verbs: ['get', 'patch', 'update'] });
  if (v.subresources?.scale) subresources.push(SCALE);
  return {
    group: spec.group,
    version: v.name,
    resource: names.plural,
    singular: names.singular,
    kind: names.kind,
    namespaced: spec.scope === 'Namespaced',
    shortNames: names.shortNames,
    categories: names.categories,
    verbs: ALL_VERBS,
    subresources,
    custom: {
      crd: crd.metadata.name ?? '',
      storageVersion,
      printerColumns: v.additionalPrinterColumns ?? [],
      scale: v.subresources?.scale,
      terminating: crd.metadata.deletionTimestamp !== undefined && crd.metadata.deletionTimestamp !== null,
      ...(v.deprecated
        ? { deprecationWarning: v.deprecationWarning ?? defaultDeprecationWarning(spec, v.name, names.kind) }
        : {}),
    },
  };
}

// apiextensions-apiserver's defaultDeprecationWarning: names the best served version that is not deprecated.
function defaultDeprecationWarning(spec: CrdSpec, deprecated: string, kind: string): string {
  const message = `${spec.group}/${deprecated} ${kind} is deprecated`;
  const better = spec.versions
    .filter((v) => v.served && !v.deprecated && compareVersionPriority(v.name, deprecated) < 0)
    .map((v) => v.name)
    .sort(compareVersionPriority);
  return better.length === 0 ? message : `${message}; use ${spec.group}/${better[0]} ${kind}`;
}

// The version's schema with apiVersion, kind and ObjectMeta filled in, as upstream publishes it.
function objectDefinition(v: CrdVersion, group: string, kind: string): RawSchema {
  const schema = v.schema?.openAPIV3Schema;
  const root: RawSchema = isRecord(schema) ? schema : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const properties = isRecord(root['properties']) ? { ...root['properties'] } : {};
  delete properties['metadata'];
  return {
    ...root,
    type: 'object',
    properties: {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: ref(
        `${META}.ObjectMeta`,
        "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
      ),
      ...properties,
    },
    'x-kubernetes-group-version-kind': [{ group, version: v.name, kind }],
  };
}

function listDefinition(item: string, group: string, version: string, kind: string): RawSchema {
  return {
    type: 'object',
    description: `${kind}List is a list of ${kind}`,
    required: ['items'],
    properties: {
      apiVersion: API_VERSION,
      items: {
        type: 'array',
        description: `List of ${kind.toLowerCase()}s.`,
        items: { $ref: `#/components/schemas/${item}` },
      },
      kind: KIND,
      metadata: ref(
        `${META}.ListMeta`,
        'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      ),
    },
    'x-kubernetes-group-version-kind': [{ group, version, kind: `${kind}List` }],
  };
}
