import { KubeObject } from '@skiff/api-machinery';
import { SchemaRegistry } from '../schema/schema-registry.service';
import { validateObject } from '../validation/validate-object';
import { applyDefaults } from '../validation/defaults';
import { customResourcesFrom } from './custom-resource-types';
import { compareVersionPriority } from './version-priority';

const CRD = { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' };

function crd(name: string, spec: Record<string, unknown>, created = '2024-01-01T00:00:00Z'): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name, creationTimestamp: created },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'crontabs', kind: 'CronTab', shortNames: ['ct'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
            },
          },
        },
      ],
      ...spec,
    },
  };
}

const causesOf = (o: KubeObject): string[] =>
  validateObject(CRD, applyDefaults(CRD, o)).map((c) => `${c.field}: ${c.message}`);

describe('CustomResourceDefinition validation', () => {
  it('accepts a valid CRD and defaults its names and conversion', () => {
    const defaulted = applyDefaults(CRD, crd('crontabs.stable.example.com', {}));
    expect(validateObject(CRD, defaulted)).toEqual([]);
    expect(defaulted.spec).toMatchObject({
      conversion: { strategy: 'None' },
      names: { singular: 'crontab', listKind: 'CronTabList' },
    });
  });

  it('names the broken fields', () => {
    const bad = crd('wrong.stable.example.com', {
      group: 'example',
      scope: 'Global',
      versions: [
        {
          name: 'v1',
          served: false,
          storage: false,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { properties: { a: { type: 'string', uniqueItems: true } } } },
            },
          },
        },
        { name: 'v1', served: false, storage: false },
      ],
    });
    expect(causesOf(bad)).toEqual([
      'metadata.name: Invalid value: "wrong.stable.example.com": must be spec.names.plural+"."+spec.group',
      'spec.group: Invalid value: "example": should be a domain with at least one dot',
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
      'spec.versions: Invalid value: ["v1","v1"]: must have exactly one version marked as storage version',
      'spec.versions: Invalid value: ["v1","v1"]: must have at least one version marked as served',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified fields',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      'spec.versions[1].name: Duplicate value: "v1"',
      'spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required',
    ]);
  });

  it('checks defaults against the schema and scale paths', () => {
    const bad = crd('crontabs.stable.example.com', {
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { scale: { specReplicasPath: '.replicas', statusReplicasPath: '.status.replicas' } },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { replicas: { type: 'integer', default: 'one' } } } },
            },
          },
        },
      ],
    });
    expect(causesOf(bad)).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: "string": spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default in body must be of type integer: "string"',
      'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".replicas": should be a json path under .spec',
    ]);
  });
});

describe(customResourcesFrom.name, () => {
  const base = SchemaRegistry.builtIn();

  it('serves every served version, preferred first, with a schema over ObjectMeta', () => {
    const multi = crd('crontabs.stable.example.com', {
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
        { name: 'v0', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    });
    const { types, schemas } = customResourcesFrom([multi], base);
    expect(types.map((t) => `${t.group}/${t.version}/${t.resource} ${t.custom?.storageVersion}`)).toEqual([
      'stable.example.com/v1/crontabs v1',
      'stable.example.com/v1beta1/crontabs v1',
    ]);
    expect(schemas.definitionNameFor('stable.example.com', 'v1', 'CronTab')).toBe('com.example.stable.v1.CronTab');
    expect(types[0].custom?.schema?.properties?.['metadata']?.ref).toBe(
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    );
    expect(base.definitionNameFor('stable.example.com', 'v1', 'CronTab')).toBeUndefined();
  });

  it('does not serve a CRD whose names an older one holds', () => {
    const first = crd('crontabs.stable.example.com', {});
    const second = crd(
      'crontabz.stable.example.com',
      { names: { plural: 'crontabz', kind: 'CronTab' } },
      '2024-02-01T00:00:00Z',
    );
    expect(customResourcesFrom([second, first], base).types.map((t) => t.custom?.crd)).toEqual([
      'crontabs.stable.example.com',
    ]);
  });

  it('orders versions as Kubernetes does', () => {
    expect(['v1alpha1', 'v1beta2', 'foo', 'v2', 'v1', 'v1beta10'].sort(compareVersionPriority)).toEqual([
      'v2',
      'v1',
      'v1beta10',
      'v1beta2',
      'v1alpha1',
      'foo',
    ]);
  });
});
