import { KubeObject } from '@skiff/api-machinery';
import { CoreEvent, EventClient, EventRecorder } from './event-recorder';
import { KubeApiError, PatchType, ResourceClient } from '@skiff/kube-client';

// Events API in memory: what the recorder created and patched.
class FakeEvents {
  stored = new Map<string, CoreEvent>();
  creates = 0;
  patches = 0;
  failNext?: Error;

  client(): EventClient {
    const api = {
      create: async (ns: string | undefined, obj: KubeObject) => {
        this.throwIfFailing();
        this.creates++;
        const key = `${ns}/${obj.metadata.name}`;
        if (this.stored.has(key)) throw new KubeApiError(409, 'AlreadyExists', 'exists');
        this.stored.set(key, structuredClone(obj) as CoreEvent);
        return obj;
      },
      patch: async (ns: string | undefined, name: string, patch: unknown, _type: PatchType) => {
        this.throwIfFailing();
        this.patches++;
        const current = this.stored.get(`${ns}/${name}`);
        if (!current) throw new KubeApiError(404, 'NotFound', `events "${name}" not found`);
        Object.assign(current, patch);
        return current;
      },
    };
    return { resource: <T extends KubeObject>() => api as unknown as Pick<ResourceClient<T>, 'create' | 'patch'> };
  }

  private throwIfFailing(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }

  all(): CoreEvent[] {
    return [...this.stored.values()];
  }
}

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', resourceVersion: '42' },
};

describe(EventRecorder.name, () => {
  let fake: FakeEvents;
  let now: Date;
  let warnings: string[];
  let recorder: EventRecorder;

  beforeEach(() => {
    fake = new FakeEvents();
    now = new Date('2026-01-02T03:04:05.678Z');
    warnings = [];
    recorder = new EventRecorder(fake.client(), 'skiff-scheduler', {
      clock: () => now,
      logger: { warn: (m) => warnings.push(m) },
    });
  });

  it('creates a core/v1 Event about the object in its namespace', async () => {
    await recorder.record(pod, 'Normal', 'Scheduled', 'assigned shop/web-1 to vn-a');
    const [e] = fake.all();
    expect(e).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `web-1.${(BigInt(now.getTime()) * 1_000_000n).toString(16)}`, namespace: 'shop' },
      involvedObject: {
        kind: 'Pod',
        namespace: 'shop',
        name: 'web-1',
        uid: 'u-1',
        apiVersion: 'v1',
        resourceVersion: '42',
      },
      reason: 'Scheduled',
      message: 'assigned shop/web-1 to vn-a',
      type: 'Normal',
      source: { component: 'skiff-scheduler' },
      reportingComponent: 'skiff-scheduler',
      reportingInstance: 'skiff-scheduler',
      firstTimestamp: '2026-01-02T03:04:05Z',
      lastTimestamp: '2026-01-02T03:04:05Z',
      count: 1,
    });
  });

  it('counts a repeat within 10 minutes on the existing Event, even when recorded at once', async () => {
    await Promise.all([
      recorder.record(pod, 'Warning', 'FailedScheduling', 'no host'),
      recorder.record(pod, 'Warning', 'FailedScheduling', 'no host'),
    ]);
    now = new Date(now.getTime() + 9 * 60_000);
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'no host');
    expect(fake.all()).toHaveLength(1);
    expect(fake.all()[0]).toMatchObject({
      count: 3,
      firstTimestamp: '2026-01-02T03:04:05Z',
      lastTimestamp: '2026-01-02T03:13:05Z',
    });
  });

  it('starts a new Event after 10 quiet minutes, for another message, or when the old one is gone', async () => {
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'no host');
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'other message');
    expect(fake.all()).toHaveLength(2);
    now = new Date(now.getTime() + 11 * 60_000);
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'no host');
    expect(fake.all()).toHaveLength(3);
    fake.stored.clear();
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'no host');
    expect(fake.all()).toEqual([expect.objectContaining({ count: 1 })]);
  });

  it('combines the 10th and later distinct messages of one reason into one Event, as client-go aggregates', async () => {
    for (let i = 1; i <= 12; i++) await recorder.record(pod, 'Warning', 'FailedMount', `volume v${i} not found`);
    const events = fake.all();
    expect(events).toHaveLength(10);
    expect(events.filter((e) => !e.message.startsWith('(combined'))).toHaveLength(9);
    expect(events.find((e) => e.message.startsWith('(combined'))).toMatchObject({
      message: '(combined from similar events): volume v12 not found',
      count: 3,
    });
    // Ten quiet minutes later the messages count from one again.
    now = new Date(now.getTime() + 11 * 60_000);
    await recorder.record(pod, 'Warning', 'FailedMount', 'volume v13 not found');
    expect(fake.all().at(-1)).toMatchObject({ message: 'volume v13 not found', count: 1 });
  });

  it("drops an object's events beyond a burst of 25, then lets one through per 5 minutes", async () => {
    for (let i = 0; i < 30; i++) await recorder.record(pod, 'Warning', 'BackOff', 'back-off restarting');
    expect(fake.all()).toEqual([expect.objectContaining({ count: 25 })]);
    // Another object has a bucket of its own.
    await recorder.record(
      { ...pod, metadata: { ...pod.metadata, uid: 'u-2', name: 'web-2' } },
      'Normal',
      'Pulled',
      'x',
    );
    expect(fake.all()).toHaveLength(2);
    now = new Date(now.getTime() + 5 * 60_000);
    await recorder.record(pod, 'Warning', 'BackOff', 'back-off restarting');
    await recorder.record(pod, 'Warning', 'BackOff', 'back-off restarting');
    expect(fake.all()[0]).toMatchObject({ count: 26 });
  });

  it('logs and swallows failures', async () => {
    fake.failNext = new KubeApiError(503, 'ServiceUnavailable', 'down');
    await expect(recorder.record(pod, 'Normal', 'Scheduled', 'x')).resolves.toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('down')]);
    await recorder.record(pod, 'Normal', 'Scheduled', 'x');
    expect(fake.all()).toHaveLength(1);
  });

  it('files events about cluster-scoped objects in "default"', async () => {
    await recorder.record(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'vn-a', uid: 'n-1' } },
      'Normal',
      'Ready',
      'up',
    );
    expect(fake.all()[0].metadata.namespace).toBe('default');
  });
});
