import { KubeObject } from '@skiff/api-machinery';
import { startTestCluster, TestCluster } from '@skiff/testing';
import { isAlreadyExists, isConflict, isNotFound, KubeApiError } from './kube-api.error';
import { KubeClient } from './kube-client';
import { WatchEvent } from './resource-client';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

describe(KubeClient.name, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  const ns = 'kc-crud';

  beforeAll(async () => {
    cluster = await startTestCluster();
    client = new KubeClient(cluster.stack);
    await client
      .resource({ group: '', version: 'v1', resource: 'namespaces', namespaced: false })
      .create(undefined, { metadata: { name: ns } });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  const configMaps = () =>
    client.resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespaced: true });

  it('creates, reads, lists, updates, patches and deletes', async () => {
    const cms = configMaps();
    const created = await cms.create(
      ns,
      { metadata: { name: 'a', labels: { app: 'x' } }, data: { k: '1' } },
      { fieldManager: 'kc-test' },
    );
    expect(created.metadata.uid).toBeTruthy();
    expect((await cms.get(ns, 'a')).data).toEqual({ k: '1' });

    const updated = await cms.update(ns, { ...created, data: { k: '2' } });
    expect(updated.data).toEqual({ k: '2' });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));

    expect((await cms.patch(ns, 'a', { data: { m: '3' } }, 'merge')).data).toEqual({ k: '2', m: '3' });
    expect((await cms.patch(ns, 'a', { data: { s: '4' } }, 'strategic')).data).toEqual({ k: '2', m: '3', s: '4' });
    expect((await cms.patch(ns, 'a', [{ op: 'remove', path: '/data/s' }], 'json')).data).toEqual({ k: '2', m: '3' });
    const applied = await cms.patch(
      ns,
      'b',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: ns }, data: { z: '9' } },
      'apply',
      {
        fieldManager: 'kc-test',
        force: true,
      },
    );
    expect(applied.data).toEqual({ z: '9' });

    const list = await cms.list(ns, { labelSelector: 'app=x' });
    expect(list.items.map((i) => i.metadata.name)).toEqual(['a']);
    expect(list.metadata.resourceVersion).toBeTruthy();
    expect((await cms.list(ns, { fieldSelector: 'metadata.name=b' })).items.map((i) => i.metadata.name)).toEqual(['b']);
    const page = await cms.list(ns, { limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.metadata.continue).toBeTruthy();

    const dry = await cms.create(ns, { metadata: { name: 'dry' } }, { dryRun: true });
    expect(dry.metadata.name).toBe('dry');
    expect(isNotFound(await cms.get(ns, 'dry').catch((e: unknown) => e))).toBe(true);

    await cms.delete(ns, 'a', { preconditions: { uid: created.metadata.uid } });
    await cms.delete(ns, 'b', { propagationPolicy: 'Background', gracePeriodSeconds: 0 });
    expect((await cms.list(ns)).items).toEqual([]);
  });

  it('answers API failures as KubeApiError with the Status reason', async () => {
    const cms = configMaps();
    const missing = await cms.get(ns, 'nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KubeApiError);
    expect(missing).toMatchObject({ code: 404, reason: 'NotFound', details: { name: 'nope', kind: 'configmaps' } });
    expect((missing as Error).message).toBe('configmaps "nope" not found');
    expect(isNotFound(missing)).toBe(true);

    const first = await cms.create(ns, { metadata: { name: 'c' }, data: { v: '1' } });
    const dup = await cms.create(ns, { metadata: { name: 'c' } }).catch((e: unknown) => e);
    expect(isAlreadyExists(dup)).toBe(true);
    expect(isConflict(dup)).toBe(false);

    await cms.update(ns, { ...first, data: { v: '2' } });
    const stale = await cms.update(ns, { ...first, data: { v: '3' } }).catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(isConflict(stale)).toBe(true);

    const invalid = await cms.create(ns, { metadata: { name: 'Bad_Name' } }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 422, reason: 'Invalid' });

    const unauthorized = new KubeClient({ ...cluster.stack, token: 'wrong' });
    await expect(
      unauthorized.resource({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }).list(ns),
    ).rejects.toMatchObject({ code: 401 });
    unauthorized.close();
  });

  it('updates and patches the status subresource', async () => {
    const deployments = client.resource({ group: 'apps', version: 'v1', resource: 'deployments', namespaced: true });
    const spec = {
      selector: { matchLabels: { app: 'w' } },
      template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'w', image: 'nginx' }] } },
    };
    const d = await deployments.create(ns, { metadata: { name: 'w' }, spec });
    const withStatus = await deployments.updateStatus(ns, { ...d, status: { replicas: 3 } });
    expect(withStatus.status).toMatchObject({ replicas: 3 });
    const patched = await deployments.patchStatus(ns, 'w', { status: { observedGeneration: 1 } }, 'merge');
    expect(patched.status).toMatchObject({ replicas: 3, observedGeneration: 1 });
    const scaled = await deployments.patch(ns, 'w', { spec: { replicas: 5 } }, 'merge', { subresource: 'scale' });
    expect(scaled).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } });
  });

  it('watches from a resourceVersion with selectors and reports failures', async () => {
    const cms = configMaps();
    const from = (await cms.list(ns)).metadata.resourceVersion!;
    const events: WatchEvent<ConfigMap>[] = [];
    const w = cms.watch(ns, { resourceVersion: from, labelSelector: 'w=1', allowWatchBookmarks: true }, (e) =>
      events.push(e),
    );
    await cms.create(ns, { metadata: { name: 'w1', labels: { w: '1' } } });
    await cms.create(ns, { metadata: { name: 'w2' } });
    await cms.patch(ns, 'w1', { data: { x: 'y' } }, 'merge');
    await cms.delete(ns, 'w1');
    const deadline = Date.now() + 10_000;
    while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    w.stop();
    await w.done;
    expect(events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED w1',
      'MODIFIED w1',
      'DELETED w1',
    ]);

    const ended = cms.watch(ns, { timeoutSeconds: 1 }, () => undefined);
    await expect(ended.done).resolves.toBeUndefined();

    // Once the stream has begun, the server reports failures as an ERROR event carrying a Status.
    const errors: WatchEvent<ConfigMap>[] = [];
    await cms.watch(ns, { resourceVersion: 'x' }, (e) => errors.push(e)).done;
    expect(errors).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 400 }) }]);
    // Before it has begun, as an HTTP error.
    const unknown = client.resource({ group: '', version: 'v1', resource: 'nothings', namespaced: true });
    await expect(unknown.watch(ns, {}, () => undefined).done).rejects.toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('streams a raw GET', async () => {
    const res = await client.stream('/version');
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toHaveProperty('gitVersion');
    await expect(client.stream('/api/v1/namespaces/nope/configmaps/none')).rejects.toMatchObject({ code: 404 });
  });

  it('builds itself from the kubeconfig the stack writes', async () => {
    const fromFile = KubeClient.fromKubeconfig(cluster.stack.kubeconfig);
    try {
      expect(fromFile.server).toBe(cluster.stack.server);
      expect(
        (
          await fromFile
            .resource({ group: '', version: 'v1', resource: 'namespaces', namespaced: false })
            .get(undefined, ns)
        ).metadata.name,
      ).toBe(ns);
    } finally {
      fromFile.close();
    }
  });
});
