import { Agent, request } from 'node:https';
import { apiRequest, ApiResponse, eventually, openWatch, startTestCluster, TestCluster } from '@skiff/testing';

interface List {
  metadata: { resourceVersion: string; continue?: string };
  items: { metadata: { name: string; resourceVersion: string } }[];
}

describe('Kubernetes API semantics over HTTPS', () => {
  let cluster: TestCluster;
  const ns = 'sem';
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  const api = (method: string, path: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, path, body, type);

  beforeAll(async () => {
    cluster = await startTestCluster({ SKIFF_WATCH_WINDOW: '100' });
    await api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    for (let i = 0; i < 7; i++)
      await api('POST', cms, { metadata: { name: `cm-${i}`, labels: { n: String(i % 2) } }, data: { i: String(i) } });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('pages a list with limit and continue', async () => {
    const first = (await api('GET', `${cms}?limit=3`)).body as List;
    expect(first.items.map((i) => i.metadata.name)).toEqual(['cm-0', 'cm-1', 'cm-2']);
    const second = (await api('GET', `${cms}?limit=3&continue=${first.metadata.continue}`)).body as List;
    expect(second.items.map((i) => i.metadata.name)).toEqual(['cm-3', 'cm-4', 'cm-5']);
    const third = (await api('GET', `${cms}?limit=3&continue=${second.metadata.continue}`)).body as List;
    expect(third.items.map((i) => i.metadata.name)).toEqual(['cm-6']);
    expect(third.metadata.continue).toBeUndefined();
    expect((await api('GET', `${cms}?continue=garbage`)).status).toBe(400);
  });

  it('filters by label (set-based) and field selectors', async () => {
    const odd = (await api('GET', `${cms}?labelSelector=${encodeURIComponent('n in (1)')}`)).body as List;
    expect(odd.items.map((i) => i.metadata.name)).toEqual(['cm-1', 'cm-3', 'cm-5']);
    const named = (await api('GET', `${cms}?fieldSelector=metadata.name%3Dcm-4`)).body as List;
    expect(named.items.map((i) => i.metadata.name)).toEqual(['cm-4']);
    const bad = await api('GET', `${cms}?fieldSelector=spec.nope%3Dx`);
    expect(bad.status).toBe(400);
    expect((bad.body as { reason: string }).reason).toBe('BadRequest');
  });

  it('does not store anything on dryRun=All', async () => {
    const res = await api('POST', `${cms}?dryRun=All`, { metadata: { name: 'dry' } });
    expect(res.status).toBe(201);
    expect((await api('GET', `${cms}/dry`)).status).toBe(404);
  });

  it('treats metadata.uid and metadata.resourceVersion in a patch as preconditions', async () => {
    const cm = (await api('GET', `${cms}/cm-1`)).body as { metadata: { uid: string; resourceVersion: string } };
    const merge = 'application/merge-patch+json';
    const wrongUid = await api('PATCH', `${cms}/cm-1`, { metadata: { uid: 'not-the-uid' }, data: { x: '1' } }, merge);
    expect(wrongUid).toMatchObject({
      status: 409,
      body: {
        reason: 'Conflict',
        message: expect.stringContaining('Precondition failed: UID in precondition: not-the-uid'),
      },
    });
    const stale = await api('PATCH', `${cms}/cm-1`, { metadata: { resourceVersion: '1' }, data: { x: '1' } }, merge);
    expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    const ok = await api(
      'PATCH',
      `${cms}/cm-1`,
      { metadata: { uid: cm.metadata.uid, resourceVersion: cm.metadata.resourceVersion }, data: { i: '1', x: '1' } },
      merge,
    );
    expect(ok.status).toBe(200);
    expect((await api('GET', `${cms}/cm-1`)).body).toMatchObject({ data: { i: '1', x: '1' } });
  });

  it('answers Status objects with the right code, reason and causes', async () => {
    const dup = await api('POST', cms, { metadata: { name: 'cm-0' } });
    expect(dup).toMatchObject({
      status: 409,
      body: { kind: 'Status', reason: 'AlreadyExists', details: { name: 'cm-0', kind: 'configmaps' } },
    });
    const invalid = await api('POST', cms, { metadata: { name: 'Not_Valid' } });
    expect(invalid).toMatchObject({
      status: 422,
      body: { reason: 'Invalid', details: { causes: [{ field: 'metadata.name', reason: 'FieldValueInvalid' }] } },
    });
    const malformed = await api('POST', cms, '{"metadata": ');
    expect(malformed).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    const media = await api('POST', cms, 'x', 'text/csv');
    expect(media).toMatchObject({ status: 415, body: { reason: 'UnsupportedMediaType' } });
    const strict = await api('POST', `${cms}?fieldValidation=Strict`, { metadata: { name: 'typo' }, dataa: {} });
    expect(strict.status).toBe(400);
    expect((strict.body as { message: string }).message).toContain('unknown field "dataa"');
    const stale = await api('PUT', `${cms}/cm-0`, { metadata: { name: 'cm-0', resourceVersion: '1' }, data: {} });
    expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    const pre = await api('DELETE', `${cms}/cm-0`, { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } });
    expect(pre).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
  });

  it('keeps finalized objects until their finalizers are removed', async () => {
    await api('POST', cms, { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const del = await api('DELETE', `${cms}/held`);
    expect(del.status).toBe(200);
    const held = (await api('GET', `${cms}/held`)).body as { metadata: { deletionTimestamp?: string } };
    expect(held.metadata.deletionTimestamp).toBeDefined();
    await api('PATCH', `${cms}/held`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await api('GET', `${cms}/held`)).status).toBe(404);
  });

  it('watches with a label selector: objects entering and leaving the selection', async () => {
    const list = (await api('GET', `${cms}?labelSelector=watched%3Dyes`)).body as List;
    const w = openWatch(
      cluster.stack,
      `${cms}?watch=true&labelSelector=watched%3Dyes&resourceVersion=${list.metadata.resourceVersion}`,
    );
    await api('PATCH', `${cms}/cm-2`, { metadata: { labels: { watched: 'yes' } } }, 'application/merge-patch+json');
    await api('PATCH', `${cms}/cm-2`, { data: { more: 'x' } }, 'application/merge-patch+json');
    await api('PATCH', `${cms}/cm-2`, { metadata: { labels: { watched: null } } }, 'application/merge-patch+json');
    await eventually(async () => w.events.length >= 3, 10_000, 'three events');
    w.close();
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED cm-2',
      'MODIFIED cm-2',
      'DELETED cm-2',
    ]);
  });

  it('sends initial events and a bookmark with sendInitialEvents', async () => {
    const w = openWatch(
      cluster.stack,
      `${cms}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=n%3D0&timeoutSeconds=2`,
    );
    await w.ended; // timeoutSeconds closes the stream
    const types = w.events.map((e) => e.type);
    expect(types.filter((t) => t === 'ADDED').length).toBe(4);
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect((bookmark.object.metadata as { annotations?: Record<string, string> }).annotations).toEqual({
      'k8s.io/initial-events-end': 'true',
    });
  });

  it('expires watches older than the window with 410', async () => {
    const old = (await api('GET', cms)).body as List;
    for (let i = 0; i < 120; i++)
      await api('PATCH', `${cms}/cm-6`, { data: { i: String(i) } }, 'application/merge-patch+json');
    const w = openWatch(cluster.stack, `${cms}?watch=true&resourceVersion=${old.metadata.resourceVersion}`);
    await w.ended;
    expect(w.events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) },
    ]);
  });

  it('scales through /scale and keeps status out of main-resource writes', async () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
      },
      status: { replicas: 99 },
    };
    const created = await api('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deploy);
    expect(created.body).toMatchObject({
      spec: { replicas: 1, strategy: { type: 'RollingUpdate' } },
      metadata: { generation: 1 },
    });
    expect((created.body as { status?: unknown }).status).toBeUndefined();
    const scale = await api(
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`,
      { spec: { replicas: 4 } },
      'application/merge-patch+json',
    );
    expect(scale.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 4 },
      status: { selector: 'app=web' },
    });
    const after = (await api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).body as {
      spec: { replicas: number };
      metadata: { generation: number };
    };
    expect(after.spec.replicas).toBe(4);
    expect(after.metadata.generation).toBe(2);
    const status = await api(
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/web/status`,
      { status: { replicas: 4 } },
      'application/merge-patch+json',
    );
    expect(status.body).toMatchObject({ status: { replicas: 4 }, metadata: { generation: 2 } });
  });

  it('binds a pod to a node once, through pods/binding', async () => {
    const pods = `/api/v1/namespaces/${ns}/pods`;
    await api('POST', pods, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p', annotations: { 'skiff.io/sandbox-host': 'h1' } },
      target: { kind: 'Node', name: 'virtual-node-a' },
    };
    expect((await api('POST', `${pods}/p/binding`, binding)).status).toBe(201);
    const pod = (await api('GET', `${pods}/p`)).body as {
      spec: { nodeName: string };
      metadata: { annotations: Record<string, string> };
      status: { conditions: { type: string; status: string }[] };
    };
    expect(pod.spec.nodeName).toBe('virtual-node-a');
    expect(pod.metadata.annotations['skiff.io/sandbox-host']).toBe('h1');
    expect(pod.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    expect(await api('POST', `${pods}/p/binding`, binding)).toMatchObject({
      status: 409,
      body: { reason: 'Conflict' },
    });
    // A bound pod is deleted gracefully: the node's agent finishes the job.
    await api('DELETE', `${pods}/p`);
    expect(
      ((await api('GET', `${pods}/p`)).body as { metadata: { deletionTimestamp?: string } }).metadata.deletionTimestamp,
    ).toBeDefined();
    await api('DELETE', `${pods}/p?gracePeriodSeconds=0`);
    expect((await api('GET', `${pods}/p`)).status).toBe(404);
  });

  it('deletes a collection by label', async () => {
    const res = await api('DELETE', `${cms}?labelSelector=n%3D1`);
    expect(res.status).toBe(200);
    const left = (await api('GET', cms)).body as List;
    expect(left.items.map((i) => i.metadata.name).filter((n) => ['cm-1', 'cm-3', 'cm-5'].includes(n))).toEqual([]);
  });

  it('finds nothing under a name or namespace with a NUL byte, and fails no write batched beside it', async () => {
    const [get, del, list, create] = await Promise.all([
      api('GET', `${cms}/x%00y`),
      api('DELETE', `${cms}/x%00y`),
      api('GET', '/api/v1/namespaces/a%00b/configmaps'),
      api('POST', cms, { metadata: { name: 'beside-nul' } }),
    ]);
    expect([get.status, (get.body as { message: string }).message]).toEqual([404, 'configmaps "x\u0000y" not found']);
    expect([del.status, (del.body as { reason: string }).reason]).toEqual([404, 'NotFound']);
    expect([list.status, (list.body as List).items]).toEqual([200, []]);
    expect(create.status).toBe(201);
  });

  it('answers a body over the limit with 413 and the next request on the same connection too', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: cluster.stack.ca });
    const send = (method: string, body?: Buffer): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          new URL(cms, cluster.stack.server),
          {
            method,
            agent,
            timeout: 10_000,
            headers: {
              authorization: `Bearer ${cluster.stack.token}`,
              'content-type': 'application/json',
              ...(body ? { 'content-length': body.length } : {}),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
        req.on('error', reject);
        req.end(body);
      });
    try {
      expect(await send('POST', Buffer.alloc(4 * 1024 * 1024, 0x20))).toBe(413);
      expect(await send('GET')).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('keeps `..` in a path as sent: a sub-resource of the object, never the collection or another namespace', async () => {
    // apiRequest resolves the URL client-side; the path must reach the server as written.
    const raw = (method: string, path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const { hostname, port } = new URL(cluster.stack.server);
        const req = request(
          {
            host: hostname,
            port,
            path,
            method,
            ca: cluster.stack.ca,
            headers: { authorization: `Bearer ${cluster.stack.token}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect((await api('POST', cms, { metadata: { name: 'dots' } })).status).toBe(201);
    expect(await raw('DELETE', `${cms}/dots/..`)).toBe(404);
    expect(await raw('DELETE', `${cms}/dots/%2e%2e`)).toBe(404);
    expect(await raw('GET', `${cms}/x/../dots`)).toBe(404);
    expect((await api('GET', `${cms}/dots`)).status).toBe(200);
  });

  it('survives garbage and keeps serving', async () => {
    await api('PATCH', `${cms}/cm-0`, '[{"op":"bogus"}]', 'application/json-patch+json');
    await api('POST', '/api/v1/namespaces/x/y/z/w', {});
    await api('GET', '/apis/nope/v1/things');
    expect(await api('GET', '/swagger-2.0.0.pb-v1')).toMatchObject({
      status: 404,
      body: { kind: 'Status', reason: 'NotFound' },
    });
    expect((await api('GET', '/readyz')).body).toBe('ok');
  });
});
