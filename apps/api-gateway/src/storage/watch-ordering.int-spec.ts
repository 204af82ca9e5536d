import { apiRequest, eventually, openWatch, startTestCluster, TestCluster } from '@skiff/testing';
import { Client } from 'pg';

const WRITERS = 8;
const WRITES_EACH = 40;
const WATCHERS = 6;

function rvOf(e: { object: { metadata?: { resourceVersion?: string } } }): number {
  return Number(e.object.metadata?.resourceVersion);
}

describe('watch ordering under concurrent writers', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster();
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  async function committedChanges(afterRv: number, namespace: string): Promise<number[]> {
    const db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const res = await db.query<{ resource_version: string }>(
        "SELECT resource_version FROM object_changes WHERE resource_version > $1 AND resource = 'configmaps' AND namespace = $2 ORDER BY resource_version",
        [afterRv, namespace],
      );
      return res.rows.map((r) => Number(r.resource_version));
    } finally {
      await db.end();
    }
  }

  async function writeStorm(namespace: string): Promise<void> {
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; i < WRITES_EACH; i++) {
          const name = `w${w}-${i % 5}`;
          const path = `/api/v1/namespaces/${namespace}/configmaps`;
          const created = await apiRequest(cluster.stack, 'POST', path, { metadata: { name }, data: { i: String(i) } });
          if (created.status === 409) {
            await apiRequest(
              cluster.stack,
              'PATCH',
              `${path}/${name}`,
              { data: { i: String(i) } },
              'application/merge-patch+json',
            );
          }
        }
      }),
    );
  }

  it('delivers every committed change once, in resourceVersion order, to every watcher', async () => {
    const ns = 'storm';
    await apiRequest(cluster.stack, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
    const list = await apiRequest(cluster.stack, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
    const startRv = Number((list.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    const watchers = Array.from({ length: WATCHERS }, () =>
      openWatch(cluster.stack, `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${startRv}`),
    );

    await writeStorm(ns);
    const expected = await committedChanges(startRv, ns);
    expect(expected.length).toBeGreaterThanOrEqual(WRITERS * 5);
    for (const w of watchers) {
      await eventually(async () => w.events.length >= expected.length, 20_000, 'all events');
      w.close();
      expect(w.events.map(rvOf)).toEqual(expected);
    }
  });

  it('loses nothing when the API server is killed mid-storm', async () => {
    const ns = 'crash';
    await apiRequest(cluster.stack, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
    const list = await apiRequest(cluster.stack, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
    const startRv = Number((list.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion);

    const storm = writeStorm(ns).catch(() => undefined); // requests in flight fail when the server dies
    await new Promise((r) => setTimeout(r, 300));
    cluster.stack.services.get('api-gateway')!.child.kill('SIGKILL');
    await storm;
    await cluster.stack.restartApiServer();

    const expected = await committedChanges(startRv, ns);
    const w = openWatch(cluster.stack, `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${startRv}`);
    await eventually(async () => w.events.length >= expected.length, 20_000, 'all committed events after the crash');
    w.close();
    expect(w.events.map(rvOf)).toEqual(expected);
  });
});
