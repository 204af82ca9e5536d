import { findUnknownFields } from './unknown-fields.validator';
import { SchemaRegistry } from './schema-registry.service';

describe(findUnknownFields.name, () => {
  const registry = SchemaRegistry.builtIn();
  const deployment = registry.schemaFor('apps', 'v1', 'Deployment');
  if (!deployment) throw new Error('no Deployment schema');

  const valid = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', 'example.com/tier': 'front' }, annotations: { note: 'x' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'c', image: 'nginx', env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '1' } } }],
          initContainers: [{ name: 'sidecar', image: 'busybox', restartPolicy: 'Always' }],
        },
      },
    },
  };

  it('accepts a valid object with label and annotation maps', () => {
    expect(findUnknownFields(valid, deployment)).toEqual([]);
  });

  it('names typos with upstream paths', () => {
    const typo = {
      ...valid,
      metadata: { ...valid.metadata, lables: { a: 'b' } },
      spec: { ...valid.spec, replicaz: 3, template: { spec: { containers: [{ name: 'c', imagez: 'x' }] } } },
    };
    expect(findUnknownFields(typo, deployment)).toEqual([
      '.metadata.lables',
      '.spec.template.spec.containers[0].imagez',
      '.spec.replicaz',
    ]);
  });

  it('accepts anything under free-form and preserve-unknown-fields nodes', () => {
    expect(findUnknownFields({ a: { b: 1 } }, { type: 'object', preserveUnknownFields: true })).toEqual([]);
    expect(findUnknownFields({ a: 1 }, { type: 'object' })).toEqual([]);
    expect(findUnknownFields({ a: 1 }, { type: 'object', properties: {} })).toEqual(['.a']);
  });
});
