import { apiRequest, eventually, openWatch, startTestCluster, TestCluster, TestNatsServer } from '@skiff/testing';

describe('API server across a NATS outage', () => {
  let nats: TestNatsServer;
  let cluster: TestCluster;

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    cluster = await startTestCluster({ NATS_URL: nats.url });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.remove();
  });

  it('keeps accepting writes, reports not ready, and delivers what was written once NATS is back', async () => {
    const ns = '/api/v1/namespaces/default/configmaps';
    const list = (await apiRequest(cluster.stack, 'GET', ns)).body as { metadata: { resourceVersion: string } };
    await nats.pause();
    await eventually(
      async () => (await apiRequest(cluster.stack, 'GET', '/readyz')).status === 500,
      10_000,
      '/readyz to report NATS down',
    );

    // Postgres holds the truth: writes commit while NATS is away.
    for (let i = 0; i < 5; i++) {
      const res = await apiRequest(cluster.stack, 'POST', ns, { metadata: { name: `during-${i}` } });
      expect(res.status).toBe(201);
    }

    await nats.resume();
    await eventually(
      async () => (await apiRequest(cluster.stack, 'GET', '/readyz')).body === 'ok',
      30_000,
      '/readyz to recover',
    );
    const w = openWatch(cluster.stack, `${ns}?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    await eventually(async () => w.events.length >= 5, 30_000, 'the events written during the outage');
    w.close();
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `ADDED during-${i}`),
    );
  });
});
