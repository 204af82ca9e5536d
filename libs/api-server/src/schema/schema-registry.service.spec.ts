import { SchemaRegistry } from './schema-registry.service';
import { SchemaNode } from './schema-node';
import { BUILT_IN_RESOURCES } from '../resources/resource-types';

function at(node: SchemaNode | undefined, ...path: string[]): SchemaNode {
  let cur = node;
  for (const key of path) cur = key === '[]' ? cur?.items : cur?.properties?.[key];
  if (!cur) throw new Error(`no schema at ${path.join('.')}`);
  return cur;
}

describe(SchemaRegistry.name, () => {
  const registry = SchemaRegistry.builtIn();

  it('has a schema for every built-in resource kind and its list', () => {
    for (const r of BUILT_IN_RESOURCES) {
      expect([r.kind, registry.schemaFor(r.group, r.version, r.kind)?.ref]).toEqual([r.kind, expect.any(String)]);
      if (r.verbs.includes('list')) expect(registry.schemaFor(r.group, r.version, `${r.kind}List`)).toBeDefined();
    }
  });

  it('knows meta/v1 and autoscaling/v1 Scale', () => {
    expect(registry.schemaFor('autoscaling', 'v1', 'Scale')?.ref).toBe('io.k8s.api.autoscaling.v1.Scale');
    expect(registry.schemaFor('meta.k8s.io', 'v1', 'Table')?.properties?.['columnDefinitions']).toBeDefined();
    expect(registry.schemaFor('', 'v1', 'Status')?.ref).toBe('io.k8s.apimachinery.pkg.apis.meta.v1.Status');
    expect(registry.schemaFor('', 'v1', 'DeleteOptions')?.ref).toBe(
      'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
    );
    expect(
      registry.definition('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta')?.properties?.['continue'],
    ).toBeDefined();
  });

  it('carries the strategic merge keys of the pod spec', () => {
    const pod = registry.schemaFor('apps', 'v1', 'Deployment');
    const podSpec = at(pod, 'spec', 'template', 'spec');
    expect(podSpec.ref).toBe('io.k8s.api.core.v1.PodSpec');
    expect(at(podSpec, 'containers')).toMatchObject({ type: 'array', patchStrategy: 'merge', patchMergeKey: 'name' });
    expect(at(podSpec, 'volumes')).toMatchObject({ patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' });
    const container = at(podSpec, 'containers', '[]');
    expect(at(container, 'env')).toMatchObject({ patchStrategy: 'merge', patchMergeKey: 'name' });
    expect(at(container, 'ports')).toMatchObject({
      patchMergeKey: 'containerPort',
      listType: 'map',
      listMapKeys: ['containerPort', 'protocol'],
    });
    expect(at(container, 'restartPolicy').type).toBe('string');
  });

  it('keeps descriptions, int-or-string and map types', () => {
    const deployment = registry.schemaFor('apps', 'v1', 'Deployment');
    expect(deployment?.description).toContain('Deployment enables declarative updates');
    expect(at(deployment, 'spec', 'replicas')).toMatchObject({ type: 'integer', format: 'int32' });
    expect(at(deployment, 'spec', 'strategy', 'rollingUpdate', 'maxSurge')).toMatchObject({ intOrString: true });
    expect(at(deployment, 'metadata', 'labels').additionalProperties).toMatchObject({ type: 'string' });
    expect(at(deployment, 'spec', 'selector').mapType).toBe('atomic');
  });
});
