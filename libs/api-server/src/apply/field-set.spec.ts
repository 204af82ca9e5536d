import { JsonObject } from '@skiff/api-machinery';
import { deploymentSchema, podSchema } from '../patch/k8s-schema.fixture';
import { fieldPathString } from './field-path';
import { FieldSet } from './field-set';
import { fieldSetOf } from './typed-value';

describe(FieldSet.name, () => {
  it('computes FieldsV1 from an object and its schema', () => {
    const deployment: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', uid: 'u', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          spec: {
            containers: [
              {
                name: 'c',
                image: 'nginx',
                args: ['a', 'b'],
                ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
              },
            ],
            volumes: [{ name: 'v', emptyDir: {} }],
          },
        },
      },
    };
    expect(fieldSetOf(deployment, deploymentSchema).toFieldsV1()).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"c"}': {
                '.': {},
                'f:args': {},
                'f:image': {},
                'f:name': {},
                'f:ports': {
                  'k:{"containerPort":53,"protocol":"UDP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} },
                  'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
                },
              },
            },
            'f:volumes': { 'k:{"name":"v"}': { '.': {}, 'f:emptyDir': {}, 'f:name': {} } },
          },
        },
      },
    });
  });

  it('tracks set items as v: and unknown lists as atomic', () => {
    const set = fieldSetOf({ metadata: { finalizers: ['a', 'b'] }, spec: { extra: [1, 2] } }, podSchema);
    expect(set.toFieldsV1()).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} } },
      'f:spec': { 'f:extra': {} },
    });
  });

  it('round-trips FieldsV1 and supports set algebra', () => {
    const fields = { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } }, 'f:replicas': {} } };
    const set = FieldSet.fromFieldsV1(fields);
    expect(set.size).toBe(3);
    expect(set.toFieldsV1()).toEqual(fields);
    const replicas = FieldSet.of([['f:spec', 'f:replicas']]);
    expect(set.difference(replicas).size).toBe(2);
    expect(set.intersection(replicas).equals(replicas)).toBe(true);
    expect(set.coversOrContains(['f:spec'])).toBe(true);
    expect(set.coversOrContains(['f:status'])).toBe(false);
  });

  it('spells paths as kube-apiserver does in conflicts', () => {
    expect(fieldPathString(['f:spec', 'f:replicas'])).toBe('.spec.replicas');
    expect(fieldPathString(['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'])).toBe(
      '.spec.containers[name="c"].image',
    );
    expect(fieldPathString(['f:metadata', 'f:finalizers', 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
  });
});
