import { KubeObject, Status } from '@skiff/api-machinery';
import { Informer, ListWatcher } from './informer';
import { KubeList, ListOptions, WatchEvent, WatchHandle, WatchOptions } from '@skiff/kube-client';

interface OpenWatch {
  ns: string | undefined;
  opts: WatchOptions;
  send(e: WatchEvent<KubeObject>): void;
  end(): void;
  fail(err: Error): void;
}

// A scripted API: `objects` answers lists, `watches` are the open watches the test drives.
class FakeListWatcher implements ListWatcher<KubeObject> {
  objects: KubeObject[] = [];
  rv = 10;
  listCalls: ListOptions[] = [];
  listFailures: Error[] = [];
  watches: OpenWatch[] = [];

  async list(_ns?: string, opts: ListOptions = {}): Promise<KubeList<KubeObject>> {
    this.listCalls.push(opts);
    const failure = this.listFailures.shift();
    if (failure) throw failure;
    return { metadata: { resourceVersion: String(this.rv) }, items: this.objects.map((o) => structuredClone(o)) };
  }

  watch(ns: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent<KubeObject>) => void): WatchHandle {
    let settle!: (err?: Error) => void;
    const done = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
    const w: OpenWatch = {
      ns,
      opts,
      send: (e) => {
        try {
          onEvent(e);
        } catch (err) {
          settle(err as Error);
        }
      },
      end: () => settle(),
      fail: (err) => settle(err),
    };
    this.watches.push(w);
    return { done, stop: () => settle() };
  }

  get current(): OpenWatch {
    return this.watches[this.watches.length - 1];
  }
}

function cm(name: string, rv: number, data: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', resourceVersion: String(rv) },
    data,
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not reached');
}

describe(Informer.name, () => {
  let source: FakeListWatcher;
  let informer: Informer;
  let seen: string[];
  const silent = { warn: () => undefined };

  beforeEach(() => {
    source = new FakeListWatcher();
    seen = [];
  });
  afterEach(async () => informer?.stop());

  function startInformer(opts: ConstructorParameters<typeof Informer>[1] = {}): void {
    informer = new Informer(source, {
      namespace: 'ns',
      labelSelector: 'a=b',
      backoff: { initialMs: 5, maxMs: 20 },
      logger: silent,
      ...opts,
    });
    informer.on('add', (o) => seen.push(`add ${o.metadata.name}`));
    informer.on('update', (o, old) =>
      seen.push(`update ${o.metadata.name} ${old?.metadata.resourceVersion}->${o.metadata.resourceVersion}`),
    );
    informer.on('delete', (o) => seen.push(`delete ${o.metadata.name}`));
    informer.start();
  }

  it('lists, syncs, then watches from the list resourceVersion with bookmarks', async () => {
    source.objects = [cm('a', 3), cm('b', 4)];
    startInformer();
    await informer.waitForSync(1000);
    expect(informer.hasSynced()).toBe(true);
    expect(seen).toEqual(['add a', 'add b']);
    expect(source.listCalls[0]).toMatchObject({ labelSelector: 'a=b', limit: 500 });
    await until(() => source.watches.length === 1);
    expect(source.current.ns).toBe('ns');
    expect(source.current.opts).toMatchObject({
      resourceVersion: '10',
      labelSelector: 'a=b',
      allowWatchBookmarks: true,
    });
    expect(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  it('applies watch events to the cache and its handlers', async () => {
    startInformer();
    await informer.waitForSync(1000);
    await until(() => source.watches.length === 1);
    source.current.send({ type: 'ADDED', object: cm('c', 11) });
    source.current.send({ type: 'MODIFIED', object: cm('c', 12, { k: 'v' }) });
    expect(informer.get('ns', 'c')).toMatchObject({ data: { k: 'v' } });
    source.current.send({ type: 'DELETED', object: cm('c', 13) });
    expect(informer.get('ns', 'c')).toBeUndefined();
    expect(seen).toEqual(['add c', 'update c 11->12', 'delete c']);
  });

  it('re-watches from the last seen resourceVersion, bookmarks included, when a watch ends', async () => {
    startInformer();
    await until(() => source.watches.length === 1);
    source.current.send({ type: 'ADDED', object: cm('c', 11) });
    source.current.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '40' } } });
    source.current.end();
    await until(() => source.watches.length === 2);
    expect(source.current.opts.resourceVersion).toBe('40');
    expect(source.listCalls).toHaveLength(1);
  });

  it('relists on a 410 ERROR event and emits the difference', async () => {
    source.objects = [cm('keep', 3), cm('change', 4), cm('gone', 5)];
    startInformer();
    await until(() => source.watches.length === 1);
    seen = [];
    source.objects = [cm('keep', 3), cm('change', 20), cm('new', 21)];
    source.rv = 30;
    const expired: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 410,
      reason: 'Expired',
      message: 'too old',
    };
    source.current.send({ type: 'ERROR', object: expired });
    await until(() => source.watches.length === 2);
    expect(source.listCalls).toHaveLength(2);
    expect(seen).toEqual(['update change 4->20', 'add new', 'delete gone']);
    expect(source.current.opts.resourceVersion).toBe('30');
    expect(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['change', 'keep', 'new']);
  });

  it('backs off and retries failed lists and watches until it succeeds', async () => {
    source.listFailures = [new Error('connect ECONNREFUSED'), new Error('connect ECONNREFUSED')];
    const warnings: string[] = [];
    startInformer({ logger: { warn: (m) => warnings.push(m) } });
    await informer.waitForSync(2000);
    expect(source.listCalls).toHaveLength(3);
    await until(() => source.watches.length === 1);
    source.current.fail(new Error('socket hang up'));
    await until(() => source.watches.length === 2);
    expect(source.current.opts.resourceVersion).toBe('10');
    expect(warnings).toHaveLength(3);
  });

  it('hands out frozen objects that callers cannot mutate', async () => {
    source.objects = [cm('a', 3, { k: 'v' })];
    startInformer();
    await informer.waitForSync(1000);
    const a = informer.get('ns', 'a')!;
    expect(() => {
      (a.data as Record<string, string>).k = 'changed';
    }).toThrow(TypeError);
    expect(informer.get('ns', 'a')!.data).toEqual({ k: 'v' });
    const copy = structuredClone(a);
    (copy.data as Record<string, string>).k = 'mine';
    expect(copy.data).toEqual({ k: 'mine' });
  });

  it('re-delivers every cached object as an update each resync period', async () => {
    source.objects = [cm('a', 3)];
    startInformer({ resyncMs: 20 });
    await informer.waitForSync(1000);
    await until(() => seen.filter((s) => s === 'update a 3->3').length >= 2);
  });

  it('keeps delivering when a handler throws, and stop() ends the loop', async () => {
    startInformer();
    informer.on('add', () => {
      throw new Error('boom');
    });
    await until(() => source.watches.length === 1);
    source.current.send({ type: 'ADDED', object: cm('x', 11) });
    source.current.send({ type: 'ADDED', object: cm('y', 12) });
    expect(seen).toEqual(['add x', 'add y']);
    await informer.stop();
    const watches = source.watches.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(source.watches.length).toBe(watches);
  });

  it('rejects waitForSync after the timeout while the API is unreachable', async () => {
    source.listFailures = Array.from({ length: 100 }, () => new Error('down'));
    startInformer();
    await expect(informer.waitForSync(50)).rejects.toThrow(/did not sync/);
    expect(informer.hasSynced()).toBe(false);
  });
});
