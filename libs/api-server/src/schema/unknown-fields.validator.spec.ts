import { findUnknownFields, withoutUnknownFields } from './unknown-fields.validator';
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
          containers: [
            { name: 'c', image: 'nginx', env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '1' } } },
          ],
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

describe(withoutUnknownFields.name, () => {
  const registry = SchemaRegistry.builtIn();

  it('drops what the schema does not declare and keeps maps, free-form and int-or-string values', () => {
    const deployment = registry.schemaFor('apps', 'v1', 'Deployment')!;
    const input = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { anything: 'goes' }, bogus: 1 },
      spec: {
        bogus: 1,
        strategy: { rollingUpdate: { maxSurge: '25%' } },
        template: {
          spec: {
            containers: [{ name: 'c', image: 'x', invalidField: 'y', resources: { limits: { cpu: '1' } } }],
            bogus3: 'z',
          },
        },
      },
    };
    expect(withoutUnknownFields(input, deployment)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { anything: 'goes' } },
      spec: {
        strategy: { rollingUpdate: { maxSurge: '25%' } },
        template: { spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '1' } } }] } },
      },
    });
    expect(input.spec.bogus).toBe(1);
  });

  it('keeps embedded raw objects whole (ControllerRevision data)', () => {
    const revision = registry.schemaFor('apps', 'v1', 'ControllerRevision')!;
    const obj = { metadata: { name: 'r' }, revision: 1, data: { spec: { template: { anything: true } } } };
    expect(withoutUnknownFields(obj, revision)).toEqual(obj);
  });
});
