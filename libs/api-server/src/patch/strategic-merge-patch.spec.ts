import { JsonObject, ApiError } from '@skiff/api-machinery';
import { deploymentSchema, podSchema } from './k8s-schema.fixture';
import { applyStrategicMergePatch } from './strategic-merge-patch';

function deployment(podSpec: JsonObject, extra: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
      ...extra,
    },
  };
}

function podSpecOf(obj: JsonObject): JsonObject {
  return ((obj.spec as JsonObject).template as JsonObject).spec as JsonObject;
}

function smp(original: JsonObject, patch: JsonObject): JsonObject {
  return applyStrategicMergePatch(original, patch, deploymentSchema);
}

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

const twoContainers = deployment({
  containers: [
    {
      name: 'app',
      image: 'nginx:1.26',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
        { name: 'C', value: '3' },
      ],
    },
    { name: 'sidecar', image: 'envoy:1' },
  ],
});

describe(applyStrategicMergePatch.name, () => {
  it('applies the client-side apply patch kubectl sends (image change, $setElementOrder)', () => {
    const live = deployment({ containers: [{ name: 'c', image: 'nginx:1.26', ports: [{ containerPort: 80 }] }] });
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n' } },
      spec: {
        template: {
          spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ image: 'nginx:1.27', name: 'c' }] },
        },
      },
    };
    const out = smp(live, patch);
    expect(podSpecOf(out).containers).toEqual([{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }]);
    expect((out.metadata as JsonObject).annotations).toEqual({
      'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n',
    });
    expect(JSON.stringify(out)).not.toContain('$');
  });

  it('never modifies its inputs', () => {
    const live = structuredClone(twoContainers);
    const patch = { spec: { template: { spec: { containers: [{ name: 'app', image: 'x', $patch: 'merge' }] } } } };
    const patchCopy = structuredClone(patch);
    smp(live, patch);
    expect(live).toEqual(twoContainers);
    expect(patch).toEqual(patchCopy);
  });

  it('applies kubectl set image', () => {
    const out = smp(twoContainers, {
      spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'envoy:2' }] } } },
    });
    const containers = podSpecOf(out).containers as JsonObject[];
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['app', 'nginx:1.26'],
      ['sidecar', 'envoy:2'],
    ]);
    expect(containers[0].env).toHaveLength(3);
  });

  it('applies kubectl rollout restart and rollout pause', () => {
    const restarted = smp(twoContainers, {
      spec: {
        template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } },
      },
    });
    const template = (restarted.spec as JsonObject).template as JsonObject;
    expect(template.metadata).toEqual({
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' },
    });
    const paused = smp(restarted, { spec: { paused: true } });
    expect((paused.spec as JsonObject).paused).toBe(true);
    expect(smp(paused, { spec: { paused: null } }).spec).not.toHaveProperty('paused');
  });

  it('deletes a container with $patch: delete', () => {
    const out = smp(twoContainers, {
      spec: { template: { spec: { containers: [{ $patch: 'delete', name: 'sidecar' }] } } },
    });
    expect((podSpecOf(out).containers as JsonObject[]).map((c) => c.name)).toEqual(['app']);
  });

  it('removes an env var as client-side apply does ($setElementOrder + $patch: delete)', () => {
    const out = smp(twoContainers, {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
            containers: [
              {
                name: 'app',
                '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }],
                env: [{ $patch: 'delete', name: 'B' }],
              },
            ],
          },
        },
      },
    });
    const app = (podSpecOf(out).containers as JsonObject[])[0];
    expect(app.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'C', value: '3' },
    ]);
  });

  it('reorders by $setElementOrder and adds new items', () => {
    const out = smp(twoContainers, {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                '$setElementOrder/env': [{ name: 'C' }, { name: 'D' }, { name: 'A' }],
                env: [{ name: 'D', value: '4' }],
              },
            ],
          },
        },
      },
    });
    const env = ((podSpecOf(out).containers as JsonObject[])[0].env as JsonObject[]).map((e) => e.name);
    // B is only in the live list: upstream's mergeSortedSlice places it by its live
    // position, before C (live [A, B, C]: B precedes C).
    expect(env).toEqual(['B', 'C', 'D', 'A']);
  });

  it('puts items new in the patch before the remaining live items, as upstream', () => {
    const out = smp(twoContainers, {
      spec: { template: { spec: { containers: [{ name: 'init', image: 'busybox' }] } } },
    });
    expect((podSpecOf(out).containers as JsonObject[]).map((c) => c.name)).toEqual(['init', 'app', 'sidecar']);
  });

  it('merges ports by containerPort', () => {
    const live = deployment({
      containers: [
        {
          name: 'c',
          ports: [
            { containerPort: 80, protocol: 'TCP' },
            { containerPort: 53, protocol: 'UDP' },
          ],
        },
      ],
    });
    const out = smp(live, {
      spec: {
        template: {
          spec: { containers: [{ name: 'c', ports: [{ containerPort: 53, name: 'dns' }, { containerPort: 443 }] }] },
        },
      },
    });
    expect((podSpecOf(out).containers as JsonObject[])[0].ports).toEqual([
      { containerPort: 80, protocol: 'TCP' },
      { containerPort: 53, protocol: 'UDP', name: 'dns' },
      { containerPort: 443 },
    ]);
  });

  it('switches a volume from emptyDir to configMap with $retainKeys', () => {
    const live = deployment({
      containers: [{ name: 'c' }],
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'keep', emptyDir: {} },
      ],
    });
    const out = smp(live, {
      spec: {
        template: {
          spec: {
            '$setElementOrder/volumes': [{ name: 'data' }, { name: 'keep' }],
            volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, name: 'data' }],
          },
        },
      },
    });
    expect(podSpecOf(out).volumes).toEqual([
      { name: 'data', configMap: { name: 'cfg' } },
      { name: 'keep', emptyDir: {} },
    ]);
  });

  it('switches Deployment strategy to Recreate with $retainKeys', () => {
    const out = smp(twoContainers, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    expect((out.spec as JsonObject).strategy).toEqual({ type: 'Recreate' });
  });

  it('set-merges finalizers and deletes with $deleteFromPrimitiveList', () => {
    const live = { metadata: { name: 'p', finalizers: ['a', 'b'] } };
    const added = applyStrategicMergePatch(live, { metadata: { finalizers: ['b', 'c'] } }, podSchema);
    expect((added.metadata as JsonObject).finalizers).toEqual(['a', 'b', 'c']);
    const removed = applyStrategicMergePatch(
      added,
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a', 'c'] } },
      podSchema,
    );
    expect((removed.metadata as JsonObject).finalizers).toEqual(['b']);
    const ordered = applyStrategicMergePatch(
      added,
      { metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
      podSchema,
    );
    expect((ordered.metadata as JsonObject).finalizers).toEqual(['c', 'a']);
  });

  it('merges ownerReferences by uid', () => {
    const live = {
      metadata: { ownerReferences: [{ uid: '1', name: 'a', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] },
    };
    const out = applyStrategicMergePatch(
      live,
      { metadata: { ownerReferences: [{ uid: '1', controller: true }] } },
      podSchema,
    );
    expect((out.metadata as JsonObject).ownerReferences).toEqual([
      { uid: '1', name: 'a', kind: 'ReplicaSet', apiVersion: 'apps/v1', controller: true },
    ]);
  });

  it('replaces lists without a merge strategy (args, tolerations)', () => {
    const live = deployment({ containers: [{ name: 'c', args: ['a', 'b'] }], tolerations: [{ key: 'x' }] });
    const out = smp(live, {
      spec: { template: { spec: { containers: [{ name: 'c', args: ['z'] }], tolerations: [{ key: 'y' }] } } },
    });
    expect((podSpecOf(out).containers as JsonObject[])[0].args).toEqual(['z']);
    expect(podSpecOf(out).tolerations).toEqual([{ key: 'y' }]);
  });

  it('replaces a list wholesale with $patch: replace', () => {
    const out = smp(twoContainers, {
      spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } },
    });
    expect(podSpecOf(out).containers).toEqual([{ name: 'only', image: 'x' }]);
  });

  it('replaces or deletes a map with $patch', () => {
    const replaced = smp(twoContainers, { metadata: { labels: { $patch: 'replace', new: 'yes' } } });
    expect((replaced.metadata as JsonObject).labels).toEqual({ new: 'yes' });
    const deleted = smp(twoContainers, { spec: { strategy: { $patch: 'delete' } } });
    expect((deleted.spec as JsonObject).strategy).toEqual({});
  });

  it('merges maps recursively and deletes with null', () => {
    const out = smp(twoContainers, {
      metadata: { labels: { app: null, tier: 'fe' } },
      spec: { replicas: 5, selector: null },
    });
    expect((out.metadata as JsonObject).labels).toEqual({ tier: 'fe' });
    expect((out.spec as JsonObject).replicas).toBe(5);
    expect(out.spec).not.toHaveProperty('selector');
  });

  it('does not leak directives or nulls from values new to the object', () => {
    const live = deployment({ containers: [{ name: 'c' }] });
    const out = smp(live, {
      spec: {
        template: {
          spec: {
            '$setElementOrder/initContainers': [{ name: 'i' }],
            initContainers: [
              {
                name: 'i',
                image: 'busybox',
                env: [{ name: 'X', value: null }],
                '$setElementOrder/env': [{ name: 'X' }],
              },
            ],
            volumes: [{ name: 'v', emptyDir: { medium: null }, $retainKeys: ['emptyDir', 'name'] }],
          },
        },
      },
    });
    expect(podSpecOf(out).initContainers).toEqual([{ name: 'i', image: 'busybox', env: [{ name: 'X' }] }]);
    expect(podSpecOf(out).volumes).toEqual([{ name: 'v', emptyDir: {} }]);
  });

  it('treats schema-less subtrees like a JSON merge patch', () => {
    const cr = { spec: { items: [{ name: 'a', v: 1 }], nested: { keep: 1, drop: 2 } } };
    const out = applyStrategicMergePatch(cr, { spec: { items: [{ name: 'b' }], nested: { drop: null } } }, undefined);
    expect(out).toEqual({ spec: { items: [{ name: 'b' }], nested: { keep: 1 } } });
    const unknownInPod = applyStrategicMergePatch(
      { spec: { extra: [{ name: 'a' }] } },
      { spec: { extra: [{ name: 'b' }] } },
      podSchema,
    );
    expect(unknownInPod).toEqual({ spec: { extra: [{ name: 'b' }] } });
  });

  describe('errors, as kube-apiserver answers them', () => {
    it('400 for a malformed $retainKeys, $setElementOrder or $deleteFromPrimitiveList', () => {
      const patches: JsonObject[] = [
        { spec: { strategy: { $retainKeys: 'type' } } },
        { spec: { template: { spec: { '$setElementOrder/containers': 'c' } } } },
        { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } },
      ];
      for (const patch of patches) {
        const err = failure(() => smp(twoContainers, patch));
        expect(err.code).toBe(400);
      }
      expect(failure(() => smp(twoContainers, { spec: { strategy: { $retainKeys: 'type' } } })).message).toBe(
        'invalid patch format of retainKeys',
      );
    });

    it('422 when patch content is outside $retainKeys', () => {
      const err = failure(() =>
        smp(twoContainers, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } }),
      );
      expect(err.code).toBe(422);
    });

    it('422 for lists of lists', () => {
      const err = failure(() =>
        applyStrategicMergePatch({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: [['b']] } }, podSchema),
      );
      expect(err.code).toBe(422);
    });

    it('500 with the upstream message for a missing merge key or an unknown $patch', () => {
      const missing = failure(() =>
        smp(twoContainers, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }),
      );
      expect(missing.code).toBe(500);
      expect(missing.message).toBe('map: map[image:x] does not contain declared merge key: name');
      const unknown = failure(() => smp(twoContainers, { metadata: { labels: { $patch: 'explode' } } }));
      expect(unknown.code).toBe(500);
      expect(unknown.message).toBe('unknown patch type: explode in map: map[$patch:explode]');
    });
  });
});
