import { startTestCluster, TestCluster } from '@skiff/testing';
import { CoreEvent, EventRecorder } from './event-recorder';
import { KubeClient } from '@skiff/kube-client';

describe(EventRecorder.name, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  const ns = 'kc-events';

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

  it('writes Events and counts a repeated one on the same Event', async () => {
    const cm = await client
      .resource({ group: '', version: 'v1', resource: 'configmaps', namespaced: true })
      .create(ns, { metadata: { name: 'subject' } });
    const warnings: string[] = [];
    const recorder = new EventRecorder(client, 'skiff-test', { logger: { warn: (m) => warnings.push(m) } });
    await recorder.record(cm, 'Warning', 'BadThing', 'it went wrong');
    await recorder.record(cm, 'Warning', 'BadThing', 'it went wrong');
    await recorder.record(cm, 'Normal', 'GoodThing', 'it went right');
    expect(warnings).toEqual([]);

    const events = (
      await client.resource<CoreEvent>({ group: '', version: 'v1', resource: 'events', namespaced: true }).list(ns)
    ).items;
    const bad = events.filter((e) => e.reason === 'BadThing');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({
      count: 2,
      type: 'Warning',
      message: 'it went wrong',
      involvedObject: { kind: 'ConfigMap', name: 'subject', namespace: ns, uid: cm.metadata.uid, apiVersion: 'v1' },
      source: { component: 'skiff-test' },
      reportingComponent: 'skiff-test',
    });
    expect(bad[0].metadata.name).toMatch(/^subject\.[0-9a-f]+$/);
    expect(bad[0].lastTimestamp >= bad[0].firstTimestamp).toBe(true);
    expect(events.filter((e) => e.reason === 'GoodThing')).toEqual([
      expect.objectContaining({ count: 1, type: 'Normal' }),
    ]);

    // kubectl sees them as users would.
    const out = await cluster.kubectl([
      'get',
      'events',
      '-n',
      ns,
      '-o',
      'jsonpath={range .items[*]}{.reason}={.count}{"\\n"}{end}',
    ]);
    expect(out.stdout.trim().split('\n').sort()).toEqual(['BadThing=2', 'GoodThing=1']);
  });

  it('swallows failures: events are best effort', async () => {
    const denied = new KubeClient({ ...cluster.stack, token: 'wrong' });
    const warnings: string[] = [];
    const recorder = new EventRecorder(denied, 'skiff-test', { logger: { warn: (m) => warnings.push(m) } });
    await expect(
      recorder.record({ metadata: { name: 'x', namespace: ns, uid: 'u' } }, 'Normal', 'R', 'm'),
    ).resolves.toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('not recorded')]);
    denied.close();
  });
});
