import { KubeObject } from '@skiff/api-machinery';
import { ControllerContext, PODS, REPLICA_SETS, REPLICATION_CONTROLLERS } from '@skiff/controller-runtime';
import { FakeBatchApi, FakeClock } from '../jobs/fake-batch-api.fixture';
import { ReplicaSetReconciler } from '../replica-sets/replica-set.reconciler';
import { ReplicationControllerReconciler } from './replication-controller.reconciler';

const NS = 'legacy';

interface PodView {
  metadata: {
    name: string;
    generateName?: string;
    labels: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; controller?: boolean }[];
  };
}

function rcObject(name: string, replicas: number, labels: Record<string, string> = { app: name }): KubeObject {
  return {
    metadata: { name, namespace: NS, generation: 1 },
    spec: {
      replicas,
      selector: labels,
      template: {
        metadata: { labels: { ...labels, extra: 'x' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  };
}

describe(ReplicationControllerReconciler.name, () => {
  let api: FakeBatchApi;
  let ctx: ControllerContext;
  let controller: ReplicationControllerReconciler;

  const settle = async (name: string) => {
    for (let i = 0; i < 10; i++) {
      api.sync();
      const before = JSON.stringify([api.list(REPLICATION_CONTROLLERS), api.list(PODS)]);
      await controller.reconcile(ctx, `${NS}/${name}`);
      api.sync();
      if (JSON.stringify([api.list(REPLICATION_CONTROLLERS), api.list(PODS)]) === before) return;
    }
    throw new Error('did not settle');
  };
  const pods = () => api.list(PODS) as unknown as PodView[];
  const status = (name: string) => api.get(REPLICATION_CONTROLLERS, NS, name)!.status;
  const ready = (podName: string) =>
    api.edit(PODS, NS, podName, (p) => {
      p.status = {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-03-01T09:00:00Z' }],
      };
    });

  beforeEach(() => {
    api = new FakeBatchApi(new FakeClock());
    ctx = api.ctx;
    controller = new ReplicationControllerReconciler();
    controller.begin(ctx);
  });

  it('is the ReplicaSet controller run on ReplicationControllers', () => {
    expect(controller).toBeInstanceOf(ReplicaSetReconciler);
    expect(controller.name).toBe('replicationcontroller-controller');
  });

  it('creates replicas pods controlled by the RC from its template, with events, and reports status', async () => {
    api.create(REPLICATION_CONTROLLERS, rcObject('web', 3));
    await settle('web');
    expect(pods()).toHaveLength(3);
    for (const p of pods()) {
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.labels).toEqual({ app: 'web', extra: 'x' });
      expect(p.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'v1',
          kind: 'ReplicationController',
          name: 'web',
          uid: 'uid-web',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    expect(
      api.events
        .filter((e) => e.reason === 'SuccessfulCreate')
        .map((e) => [e.kind, e.message.replace(/web-\w+$/, 'web-…')]),
    ).toEqual([
      ['ReplicationController', 'Created pod: web-…'],
      ['ReplicationController', 'Created pod: web-…'],
      ['ReplicationController', 'Created pod: web-…'],
    ]);
    ready(pods()[0].metadata.name);
    await settle('web');
    expect(status('web')).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 1,
      availableReplicas: 1,
      observedGeneration: 1,
    });
  });

  it('adopts an orphan its equality selector matches and scales down to spec.replicas', async () => {
    api.create(PODS, {
      metadata: { name: 'stray', namespace: NS, labels: { app: 'web', tier: 'front' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    api.create(PODS, {
      metadata: { name: 'other', namespace: NS, labels: { app: 'api' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    api.create(REPLICATION_CONTROLLERS, rcObject('web', 2));
    await settle('web');
    const owned = pods().filter((p) =>
      p.metadata.ownerReferences?.some((r) => r.kind === 'ReplicationController' && r.controller),
    );
    expect(owned.map((p) => p.metadata.name)).toContain('stray');
    expect(owned).toHaveLength(2);
    expect(status('web')).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1 }); // the stray lacks the template's extra label

    api.edit(REPLICATION_CONTROLLERS, NS, 'web', (rc) => {
      (rc.spec as { replicas: number }).replicas = 1;
      rc.metadata.generation = 2;
    });
    await settle('web');
    expect(api.deletes.filter((d) => d.resource === 'pods')).toHaveLength(1);
    expect(status('web')).toMatchObject({ replicas: 1, observedGeneration: 2 });
    expect(api.events.map((e) => e.reason)).toContain('SuccessfulDelete');
  });

  it('leaves ReplicaSets alone: only RCs are its owners', async () => {
    api.create(REPLICA_SETS, {
      metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: {} },
      },
    });
    api.sync();
    await controller.reconcile(ctx, `${NS}/web`);
    expect(pods()).toHaveLength(0);
  });
});
