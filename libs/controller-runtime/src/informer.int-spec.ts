import { KubeObject } from '@skiff/api-machinery';
import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { Informer, ListWatcher } from './informer';
import { KubeClient, ResourceClient } from '@skiff/kube-client';

// A loopback TCP relay in front of the API server, so the test can cut the informer off.
class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private cut = false;
  private readonly server: Server;

  constructor(private readonly target: URL) {
    this.server = createServer((client) => {
      if (this.cut) return client.destroy();
      const upstream = new Socket();
      upstream.connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  disconnect(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  reconnect(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.disconnect();
    await new Promise((r) => this.server.close(r));
  }
}

describe(Informer.name, () => {
  let cluster: TestCluster;
  let admin: KubeClient;
  let proxy: CuttableProxy;
  let client: KubeClient;
  let cms: ResourceClient;
  const ns = 'kc-informer';

  beforeAll(async () => {
    // A small watch window, so an informer that was away comes back to 410 Expired.
    cluster = await startTestCluster({ SKIFF_WATCH_WINDOW: '100' });
    admin = new KubeClient(cluster.stack);
    proxy = new CuttableProxy(new URL(cluster.stack.server));
    client = new KubeClient({ ...cluster.stack, server: await proxy.listen() });
    cms = admin.resource({ group: '', version: 'v1', resource: 'configmaps', namespaced: true });
    await admin
      .resource({ group: '', version: 'v1', resource: 'namespaces', namespaced: false })
      .create(undefined, { metadata: { name: ns } });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    admin?.close();
    await proxy?.close();
    await cluster?.stop();
  });

  it('syncs, follows changes, and stays equal to the server across a restart and a 410 relist', async () => {
    await cms.create(ns, { metadata: { name: 'before' }, data: { v: '1' } });
    let lists = 0;
    const handle = client.resource({ group: '', version: 'v1', resource: 'configmaps', namespaced: true });
    const counted: ListWatcher<KubeObject> = {
      list: (n, o) => {
        lists++;
        return handle.list(n, o);
      },
      watch: (n, o, on) => handle.watch(n, o, on),
    };
    const informer = new Informer(counted, { namespace: ns, logger: { warn: () => undefined } });
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata.name}`));
    const saw = (what: string) => async () => seen.includes(what);
    const cacheMatchesServer = async (): Promise<boolean> => {
      const live = (await cms.list(ns)).items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
      const cached = informer
        .list()
        .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort();
      return JSON.stringify(live) === JSON.stringify(cached);
    };
    informer.start();
    try {
      await informer.waitForSync(20_000);
      expect(informer.list().map((o) => o.metadata.name)).toEqual(['before']);
      expect(seen).toEqual(['add before']);

      await cms.create(ns, { metadata: { name: 'after' } });
      await eventually(saw('add after'), 20_000, 'the add');
      await cms.patch(ns, 'after', { data: { k: 'v' } }, 'merge');
      await eventually(saw('update after'), 20_000, 'the update');
      expect(informer.get(ns, 'after')?.data).toEqual({ k: 'v' });
      await cms.delete(ns, 'after');
      await eventually(saw('delete after'), 20_000, 'the delete');
      expect(informer.get(ns, 'after')).toBeUndefined();

      // A restart ends the watch; the informer re-watches from where it was, without a relist.
      await cluster.stack.restartApiServer();
      await cms.create(ns, { metadata: { name: 'late' } });
      await eventually(saw('add late'), 30_000, 'the add after the restart');
      expect(lists).toBe(1);

      // Cut off, it misses changes to its own objects and 150 elsewhere, more than the
      // server's window; after the restart its watch gets 410 and it must relist.
      proxy.disconnect();
      seen.length = 0;
      await cms.create(ns, { metadata: { name: 'missed' } });
      await cms.delete(ns, 'late');
      await cms.patch(ns, 'before', { data: { v: '2' } }, 'merge');
      for (let i = 0; i < 150; i++) await cms.create('default', { metadata: { name: `filler-${i}` } });
      await cluster.stack.restartApiServer();
      proxy.reconnect();

      await eventually(async () => seen.length >= 3, 40_000, 'the relist difference');
      expect(seen.sort()).toEqual(['add missed', 'delete late', 'update before']);
      expect(lists).toBe(2);
      await eventually(cacheMatchesServer, 10_000, 'the cache to equal a fresh list');

      // And it keeps watching after the relist.
      await cms.create(ns, { metadata: { name: 'last' } });
      await eventually(saw('add last'), 20_000, 'an add after the relist');
      expect(await cacheMatchesServer()).toBe(true);
    } finally {
      await informer.stop();
    }
  });
});
