import { apiRequest, ApiResponse, eventually, openWatch, startTestCluster, TestCluster } from '@skiff/testing';
import { PodView, SIMULATED_NODE, simulatedKubelet } from '../controllers/simulated-kubelet.fixture';

interface SetView {
  metadata: { uid: string; generation: number };
  spec: { template: { spec: { containers: { image: string }[] } } };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    observedGeneration?: number;
    collisionCount?: number;
  };
}

interface ClaimView {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    deletionTimestamp?: string;
  };
}

describe('StatefulSet controller', () => {
  let cluster: TestCluster;
  let kubelet: ReturnType<typeof simulatedKubelet>;
  const ns = 'sts';
  const setsPath = `/apis/apps/v1/namespaces/${ns}/statefulsets`;
  const podsPath = `/api/v1/namespaces/${ns}/pods`;
  const claimsPath = `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
  const api = (method: string, path: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, path, body, type);
  const k = (...args: string[]) => cluster.kubectl(['-n', ns, ...args]);
  const statefulSet = (name: string, replicas: number, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { nodeName: SIMULATED_NODE, containers: [{ name: 'c', image: 'busybox:1.36' }] },
      },
      ...spec,
    },
  });
  const claimTemplate = {
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
  const getSet = async (name: string) => (await api('GET', `${setsPath}/${name}`)).body as SetView;
  const getClaim = async (name: string) => {
    const res = await api('GET', `${claimsPath}/${name}`);
    return res.status === 200 ? (res.body as ClaimView) : undefined;
  };
  const live = async (app: string) =>
    (await kubelet.pods(`app=${app}`))
      .filter((p) => !p.metadata.deletionTimestamp)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const names = (pods: PodView[]) => pods.map((p) => p.metadata.name);
  const podsAre = (app: string, want: string[], what: string) =>
    eventually(
      async () => {
        const pods = await live(app);
        return names(pods).join() === want.join() ? pods : undefined;
      },
      20_000,
      what,
    );
  const statusIs = (name: string, check: (s: NonNullable<SetView['status']>, set: SetView) => boolean, what: string) =>
    eventually(
      async () => {
        const set = await getSet(name);
        return set.status && check(set.status, set) ? set : undefined;
      },
      20_000,
      what,
    );
  const readyAll = async (app: string) => {
    for (const p of await live(app)) if (p.status?.phase === 'Pending') await kubelet.running(p.metadata.name);
  };
  /** Marks pods Running and Ready as they appear, until `want` are all ready. */
  const bringUp = (app: string, want: string[]) =>
    eventually(
      async () => {
        await readyAll(app);
        const pods = await live(app);
        const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return names(ready).join() === want.join() ? pods : undefined;
      },
      30_000,
      `${want.join(', ')} ready`,
    );

  /** A pod watch from now on: it starts at the current resourceVersion, so nothing between this call and the server's registration is missed. */
  const watchPods = async (app: string) => {
    const rv = ((await api('GET', podsPath)).body as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion;
    return openWatch(cluster.stack, `${podsPath}?watch=true&labelSelector=app%3D${app}&resourceVersion=${rv}`);
  };

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'scheduler']);
    kubelet = simulatedKubelet(cluster, ns);
    kubelet.start(); // finishes graceful deletions
    await api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  }, 90_000);

  afterAll(async () => {
    kubelet?.stop();
    await cluster?.stop();
  });

  it('OrderedReady: creates web-0, web-1, web-2 in order, each after the previous is Ready, with identities and claims', async () => {
    const watch = await watchPods('web');
    try {
      expect(
        (await api('POST', setsPath, statefulSet('web', 3, { volumeClaimTemplates: [claimTemplate] }))).status,
      ).toBe(201);
      await statusIs('web', (s) => s.replicas === 1 && s.observedGeneration === 1, 'status with web-0 created');
      expect(names(await live('web'))).toEqual(['web-0']);
      const claim = await getClaim('data-web-0');
      expect(claim?.metadata.labels).toEqual({ app: 'web' });
      expect(claim?.metadata.ownerReferences).toBeUndefined();
      await kubelet.running('web-0', false); // running, not ready: still waits
      await statusIs('web', (s) => s.replicas === 1 && s.readyReplicas === 0, 'status seen web-0 not ready');
      expect(names(await live('web'))).toEqual(['web-0']);
      await kubelet.running('web-0');
      await podsAre('web', ['web-0', 'web-1'], 'web-1 after web-0 is ready');
      await kubelet.running('web-1');
      await podsAre('web', ['web-0', 'web-1', 'web-2'], 'web-2 after web-1 is ready');
      await kubelet.running('web-2');
      const set = await statusIs(
        'web',
        (s) => s.readyReplicas === 3 && s.availableReplicas === 3,
        'three ready replicas',
      );
      expect(set.status).toMatchObject({
        replicas: 3,
        currentReplicas: 3,
        updatedReplicas: 3,
        observedGeneration: 1,
        collisionCount: 0,
      });
      expect(set.status!.currentRevision).toBe(set.status!.updateRevision);
      expect(set.status!.updateRevision).toMatch(/^web-[a-z0-9]+$/);
      const added = watch.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.name);
      expect(added).toEqual(['web-0', 'web-1', 'web-2']);
    } finally {
      watch.close();
    }
    const pod = (await api('GET', `${podsPath}/web-1`)).body as PodView & {
      spec: { hostname?: string; subdomain?: string; volumes?: unknown[] };
    };
    const revision = (await getSet('web')).status!.updateRevision!;
    expect(pod.metadata.labels).toEqual({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-1',
      'apps.kubernetes.io/pod-index': '1',
      'controller-revision-hash': revision,
    });
    expect(pod.spec).toMatchObject({ hostname: 'web-1', subdomain: 'web' });
    // The claim's volume, beside the ServiceAccount token's (kube-api-access-*).
    expect(pod.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } });
    expect(pod.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'StatefulSet', name: 'web', controller: true }),
    ]);
    const events = await k(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=web,involvedObject.kind=StatefulSet',
      '--sort-by',
      '.metadata.name',
      '-o',
      'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}',
    );
    expect(events.stdout.trim().split('\n')).toEqual([
      'SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success',
      'SuccessfulCreate: create Pod web-0 in StatefulSet web successful',
      'SuccessfulCreate: create Claim data-web-1 Pod web-1 in StatefulSet web success',
      'SuccessfulCreate: create Pod web-1 in StatefulSet web successful',
      'SuccessfulCreate: create Claim data-web-2 Pod web-2 in StatefulSet web success',
      'SuccessfulCreate: create Pod web-2 in StatefulSet web successful',
    ]);
    const revisions = await k(
      'get',
      'controllerrevisions',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.revision}{"\\n"}{end}',
    );
    expect(revisions.stdout.trim()).toBe(`${revision} 1`);
    // kubectl reports every RollingUpdate with a (defaulted) partition this way.
    expect((await k('rollout', 'status', 'sts/web', '--timeout=20s')).stdout).toBe(
      'partitioned roll out complete: 3 new pods have been updated...\n',
    );
  });

  it('replaces a failed pod with a new one of the same name', async () => {
    const old = (await live('web')).find((p) => p.metadata.name === 'web-1')!;
    await kubelet.finished('web-1', 'Failed');
    const fresh = await eventually(
      async () => {
        const p = (await live('web')).find((x) => x.metadata.name === 'web-1');
        return p && p.metadata.uid !== old.metadata.uid ? p : undefined;
      },
      20_000,
      'a new web-1',
    );
    expect(fresh.status?.phase).toBe('Pending');
    await bringUp('web', ['web-0', 'web-1', 'web-2']);
  });

  it('scales down with kubectl scale from the highest ordinal, one at a time, keeping the claims', async () => {
    const watch = await watchPods('web');
    try {
      expect((await k('scale', 'sts/web', '--replicas=1')).stdout.trim()).toBe('statefulset.apps/web scaled');
      await podsAre('web', ['web-0'], 'web-1 and web-2 gone');
      await eventually(
        async () => (names(await kubelet.pods('app=web')).length === 1 ? true : undefined),
        20_000,
        'deletions finished',
      );
      const deleted = watch.events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata?.name);
      expect(deleted).toEqual(['web-2', 'web-1']);
    } finally {
      watch.close();
    }
    for (const c of ['data-web-0', 'data-web-1', 'data-web-2']) expect(await getClaim(c)).toBeDefined();
    await statusIs('web', (s) => s.replicas === 1 && s.readyReplicas === 1, 'status of one replica');
  });

  it('rolls an update out above the partition only, then everywhere; rollout history and undo work', async () => {
    await k('scale', 'sts/web', '--replicas=3');
    await bringUp('web', ['web-0', 'web-1', 'web-2']);
    const rev1 = (await statusIs('web', (s) => s.readyReplicas === 3, 'three ready')).status!.currentRevision!;
    await k('patch', 'sts/web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}');
    expect((await k('set', 'image', 'sts/web', 'c=busybox:latest')).code).toBe(0);
    const imageOf = async (name: string) =>
      ((await api('GET', `${podsPath}/${name}`)).body as PodView).spec.containers[0].image;
    await eventually(
      async () => {
        await readyAll('web');
        return (await imageOf('web-2')) === 'busybox:latest' ? true : undefined;
      },
      30_000,
      'web-2 updated',
    );
    // The new web-2 may appear after the last readyAll above: keep playing the kubelet while waiting.
    const partial = await eventually(
      async () => {
        await readyAll('web');
        const set = await getSet('web');
        return set.status?.updatedReplicas === 1 && set.status.readyReplicas === 3 ? set : undefined;
      },
      20_000,
      'one updated replica',
    );
    expect(partial.status!.currentRevision).toBe(rev1);
    const rev2 = partial.status!.updateRevision!;
    expect(rev2).not.toBe(rev1);
    expect([await imageOf('web-0'), await imageOf('web-1')]).toEqual(['busybox:1.36', 'busybox:1.36']);
    expect((await k('rollout', 'status', 'sts/web', '--timeout=20s')).stdout).toContain(
      'partitioned roll out complete: 1 new pods have been updated',
    );

    const watch = await watchPods('web');
    try {
      await k('patch', 'sts/web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}');
      await eventually(
        async () => {
          await readyAll('web');
          const s = (await getSet('web')).status;
          return s?.currentRevision === rev2 && s.updatedReplicas === 3 && s.readyReplicas === 3 ? true : undefined;
        },
        40_000,
        'the rollout to finish',
      );
      expect(watch.events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata?.name)).toEqual([
        'web-1',
        'web-0',
      ]);
    } finally {
      watch.close();
    }
    expect((await k('rollout', 'status', 'sts/web', '--timeout=20s')).stdout).toBe(
      'partitioned roll out complete: 3 new pods have been updated...\n',
    );
    const history = (await k('rollout', 'history', 'sts/web')).stdout;
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    expect((await k('rollout', 'history', 'sts/web', '--revision=2')).stdout).toMatch(/Image:\s+busybox:latest/);

    expect((await k('rollout', 'undo', 'sts/web')).stdout.trim()).toBe('statefulset.apps/web rolled back');
    await eventually(
      async () => {
        await readyAll('web');
        const s = (await getSet('web')).status;
        return s?.currentRevision === rev1 && s.updatedReplicas === 3 && s.readyReplicas === 3 ? true : undefined;
      },
      40_000,
      'the rollback to finish',
    );
    expect(await imageOf('web-0')).toBe('busybox:1.36');
    // The first revision came forward as number 3.
    const revisions = await k(
      'get',
      'controllerrevisions',
      '--sort-by',
      '.revision',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.revision}{"\\n"}{end}',
    );
    expect(revisions.stdout.trim().split('\n')).toEqual([`${rev2} 2`, `${rev1} 3`]);
  });

  it('Parallel creates every pod at once; OnDelete updates a pod only when it is deleted', async () => {
    const spec = { podManagementPolicy: 'Parallel', updateStrategy: { type: 'OnDelete' } };
    expect((await api('POST', setsPath, statefulSet('db', 3, spec))).status).toBe(201);
    await podsAre('db', ['db-0', 'db-1', 'db-2'], 'three pods before any is ready');
    await bringUp('db', ['db-0', 'db-1', 'db-2']);
    const rev1 = (await statusIs('db', (s) => s.readyReplicas === 3, 'three ready')).status!.currentRevision!;
    await k('set', 'image', 'sts/db', 'c=busybox:latest');
    const updating = await statusIs(
      'db',
      (s, set) => s.observedGeneration === set.metadata.generation && s.updateRevision !== rev1,
      'a new update revision',
    );
    expect(updating.status).toMatchObject({ currentRevision: rev1, updatedReplicas: 0, currentReplicas: 3 });
    const before = await live('db');
    expect(before.map((p) => p.spec.containers[0].image)).toEqual(['busybox:1.36', 'busybox:1.36', 'busybox:1.36']);
    await api('DELETE', `${podsPath}/db-1`);
    const after = await eventually(
      async () => {
        const p = (await live('db')).find((x) => x.metadata.name === 'db-1');
        return p && p.metadata.uid !== before[1].metadata.uid ? p : undefined;
      },
      20_000,
      'db-1 recreated',
    );
    expect(after.spec.containers[0].image).toBe('busybox:latest');
    expect(after.metadata.labels!['controller-revision-hash']).toBe(updating.status!.updateRevision);
    await readyAll('db');
    await statusIs('db', (s) => s.updatedReplicas === 1 && s.currentReplicas === 2, 'one updated, two current');
    await api('DELETE', `${setsPath}/db`);
  });

  it('PVC retention Delete: claims owned by the set, handed to the pod on scale-down, and removed by the garbage collector', async () => {
    const spec = {
      podManagementPolicy: 'Parallel',
      volumeClaimTemplates: [claimTemplate],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
    };
    expect((await api('POST', setsPath, statefulSet('vol', 2, spec))).status).toBe(201);
    await bringUp('vol', ['vol-0', 'vol-1']);
    const set = await getSet('vol');
    for (const c of ['data-vol-0', 'data-vol-1']) {
      expect((await getClaim(c))?.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'vol', uid: set.metadata.uid },
      ]);
    }
    await k('scale', 'sts/vol', '--replicas=1');
    await eventually(
      async () => ((await getClaim('data-vol-1')) === undefined ? true : undefined),
      30_000,
      'data-vol-1 deleted after vol-1',
    );
    expect(await getClaim('data-vol-0')).toBeDefined();
    await k('delete', 'sts/vol');
    await eventually(
      async () =>
        (await getClaim('data-vol-0')) === undefined && (await kubelet.pods('app=vol')).length === 0 ? true : undefined,
      30_000,
      'pods and claims of vol gone',
    );
  });

  it('PVC retention Retain: deleting the set leaves its claims', async () => {
    await k('delete', 'sts/web');
    await eventually(
      async () => ((await kubelet.pods('app=web')).length === 0 ? true : undefined),
      30_000,
      'web pods gone',
    );
    for (const c of ['data-web-0', 'data-web-1', 'data-web-2'])
      expect((await getClaim(c))?.metadata.ownerReferences).toBeUndefined();
    for (const c of ['data-web-0', 'data-web-1', 'data-web-2']) await api('DELETE', `${claimsPath}/${c}`);
  });
});
