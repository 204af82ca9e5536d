import { PatchSchemas, threeWayStrategicPatch } from './strategic-patch';

// The parts of a served OpenAPI v2 document a Deployment's patch needs (names and extensions as upstream's).
const schemas = new PatchSchemas({
  'io.k8s.api.apps.v1.Deployment': {
    'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
    properties: {
      metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      spec: { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec' },
    },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    properties: {
      labels: { additionalProperties: {} },
      finalizers: { items: {}, 'x-kubernetes-patch-strategy': 'merge' },
    },
  },
  'io.k8s.api.apps.v1.DeploymentSpec': {
    properties: { template: { $ref: '#/definitions/io.k8s.api.core.v1.PodTemplateSpec' } },
  },
  'io.k8s.api.core.v1.PodTemplateSpec': {
    properties: { spec: { $ref: '#/definitions/io.k8s.api.core.v1.PodSpec' } },
  },
  'io.k8s.api.core.v1.PodSpec': {
    properties: {
      containers: {
        items: { $ref: '#/definitions/io.k8s.api.core.v1.Container' },
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
    },
  },
  'io.k8s.api.core.v1.Container': {
    properties: {
      env: {
        items: { $ref: '#/definitions/io.k8s.api.core.v1.EnvVar' },
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
      args: { items: {} },
    },
  },
  'io.k8s.api.core.v1.EnvVar': { properties: {} },
  'com.example.shop.v1.Widget': {
    'x-kubernetes-group-version-kind': [{ group: 'shop.example.com', version: 'v1', kind: 'Widget' }],
  },
});
const schema = schemas.forKind('apps/v1', 'Deployment')!;
const deployment = (containers: object[], extra: object = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  ...extra,
  spec: { template: { spec: { containers } } },
});
const podSpec = (patch: Record<string, unknown>) =>
  ((patch.spec as Record<string, Record<string, Record<string, unknown>>>) ?? {}).template?.spec;

describe("threeWayStrategicPatch (strategicpatch.CreateThreeWayMergePatch, as Helm's upgrade uses it)", () => {
  it('serves built-in kinds only: a custom resource is patched with a JSON merge patch', () => {
    expect(schemas.forKind('apps/v1', 'Deployment')).toBeDefined();
    expect(schemas.forKind('shop.example.com/v1', 'Widget')).toBeUndefined();
  });

  it('changes a container by its name and keeps what others added to it (an env var set by hand)', () => {
    const patch = threeWayStrategicPatch(
      schemas,
      schema,
      deployment([{ name: 'web', image: 'busybox:1.36' }]),
      deployment([{ name: 'web', image: 'busybox:1.37' }]),
      deployment([
        {
          name: 'web',
          image: 'busybox:1.36',
          env: [{ name: 'EXTRA', value: 'kept' }],
          imagePullPolicy: 'IfNotPresent',
        },
      ]),
    );
    expect(patch).toEqual({
      spec: {
        template: {
          spec: {
            containers: [{ name: 'web', image: 'busybox:1.37' }],
            '$setElementOrder/containers': [{ name: 'web' }],
          },
        },
      },
    });
  });

  it('deletes what the last manifest had and the new one dropped, item by item, in one item per container', () => {
    const patch = threeWayStrategicPatch(
      schemas,
      schema,
      deployment([
        {
          name: 'web',
          image: 'a',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'sidecar', image: 's' },
      ]),
      deployment([{ name: 'web', image: 'b', env: [{ name: 'B', value: '2' }] }]),
      deployment([
        {
          name: 'web',
          image: 'a',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'sidecar', image: 's' },
      ]),
    );
    expect(podSpec(patch)).toEqual({
      containers: [
        { name: 'web', image: 'b', env: [{ name: 'A', $patch: 'delete' }], '$setElementOrder/env': [{ name: 'B' }] },
        { name: 'sidecar', $patch: 'delete' },
      ],
      '$setElementOrder/containers': [{ name: 'web' }],
    });
  });

  it('replaces lists without a merge strategy, removes dropped fields with null, and lists scalars to delete', () => {
    const patch = threeWayStrategicPatch(
      schemas,
      schema,
      deployment([{ name: 'web', args: ['-a'], workingDir: '/x' }], { metadata: { finalizers: ['a/x', 'a/y'] } }),
      deployment([{ name: 'web', args: ['-b'] }], { metadata: { finalizers: ['a/y'] } }),
      deployment([{ name: 'web', args: ['-a'], workingDir: '/x' }], {
        metadata: { finalizers: ['a/x', 'a/y', 'other/z'] },
      }),
    );
    expect(patch).toEqual({
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a/x'], '$setElementOrder/finalizers': ['a/y'] },
      spec: {
        template: {
          spec: {
            containers: [{ name: 'web', args: ['-b'], workingDir: null }],
            '$setElementOrder/containers': [{ name: 'web' }],
          },
        },
      },
    });
  });

  it('is empty when the live object already is what the chart says', () => {
    const obj = deployment([{ name: 'web', image: 'a' }]);
    expect(
      threeWayStrategicPatch(schemas, schema, obj, obj, deployment([{ name: 'web', image: 'a', tty: false }])),
    ).toEqual({});
  });
});
