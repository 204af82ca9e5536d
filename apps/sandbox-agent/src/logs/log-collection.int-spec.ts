import { LogBatch, LogRecord, logStreamNames } from '@skiff/messaging';
import { AckPolicy } from 'nats';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PodManagerTestBed, waitFor } from '../pods/pod-manager.fixture';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('log collection runc tests skipped: runc, conmon, mounts and netns need root');

jest.setTimeout(120_000);

(asRoot ? describe : describe.skip)('log collection from a runc pod (PodManager in-process, real JetStream)', () => {
  const bed = new PodManagerTestBed('10.244.249');
  const got: LogRecord[] = [];

  beforeAll(async () => {
    await bed.start();
  }, 180_000);

  afterAll(async () => {
    await bed.dispose();
  }, 120_000);

  // log-svc's part: a durable consumer of the cluster's log stream, every batch acknowledged.
  const consume = async (): Promise<LogRecord[]> => {
    const stream = logStreamNames(bed.cluster.prefix).stream;
    const jsm = await bed.nats.jetstreamManager();
    await jsm.consumers.add(stream, { durable_name: 'test', ack_policy: AckPolicy.Explicit });
    const consumer = await bed.nats.jetstream().consumers.get(stream, 'test');
    for await (const m of await consumer.fetch({ max_messages: 100, expires: 1_000 })) {
      got.push(...m.json<LogBatch>().records);
      m.ack();
    }
    return got;
  };
  const lines = (records: LogRecord[]) => records.map((r) => `${r.source} ${r.line}`);
  const deletePod = async (name: string, uid: string) => {
    await bed.pods().delete(bed.namespace, name, { gracePeriodSeconds: 5 });
    await bed.manager.sync({ podUid: uid, namespace: bed.namespace, name });
    await expect(bed.getPod(name)).rejects.toMatchObject({ code: 404 });
  };

  it("collects stdout, stderr and a file on an emptyDir, and a deleted pod's last lines", async () => {
    const script = [
      'trap "echo bye; echo file bye >> /var/log/app/access.log; exit 0" TERM',
      'for i in 1 2 3; do echo "out $i"; echo "file $i" >> /var/log/app/access.log; done',
      'echo oops >&2',
      'while true; do sleep 1; done',
    ].join('; ');
    const pod = await bed.createPod('logs', {
      volumes: [{ name: 'applog', emptyDir: {} }],
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', script],
          env: [
            { name: 'aliyun_logs_app', value: 'stdout' },
            { name: 'aliyun_logs_access', value: '/var/log/app/*.log' },
            { name: 'aliyun_logs_access_tags', value: 'kind=access,team=shop' },
          ],
          volumeMounts: [{ name: 'applog', mountPath: '/var/log/app' }],
        },
      ],
    });
    const uid = pod.metadata.uid!;

    await waitFor('seven lines', async () => (await consume().catch(() => got)).length >= 7);
    expect(lines(got).sort()).toEqual([
      'file:/var/log/app/access.log file 1',
      'file:/var/log/app/access.log file 2',
      'file:/var/log/app/access.log file 3',
      'stderr oops',
      'stdout out 1',
      'stdout out 2',
      'stdout out 3',
    ]);
    const file1 = got.find((r) => r.line === 'file 1')!;
    expect(file1).toMatchObject({
      namespace: bed.namespace,
      pod: 'logs',
      podUid: uid,
      container: 'app',
      host: bed.config.hostId,
      logstore: 'access',
      tags: { kind: 'access', team: 'shop' },
    });
    expect(got.find((r) => r.line === 'out 1')).toMatchObject({ logstore: 'app', tags: {} });

    await deletePod('logs', uid);
    await waitFor('the last lines', async () => (await consume()).length >= 9);
    expect(lines(got.slice(7)).sort()).toEqual(['file:/var/log/app/access.log file bye', 'stdout bye']);
    expect(new Set(got.map((r) => r.id)).size).toBe(9);
    expect(existsSync(path.join(bed.agentDir, 'log-offsets', `${uid}.json`))).toBe(false);
  });

  it('loses nothing across an agent restart: the re-adopted pod is read on from where delivery stopped', async () => {
    got.length = 0;
    const pod = await bed.createPod('counter', {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "n $i"; sleep 0.1; done'],
          env: [{ name: 'aliyun_logs_count', value: 'stdout' }],
        },
      ],
    });
    const uid = pod.metadata.uid!;
    const count = () => got.filter((r) => r.podUid === uid).length;
    await waitFor('ten lines', async () => (await consume().catch(() => got), count() >= 10));
    await bed.restartAgent();
    const before = count();
    await waitFor('ten lines more', async () => (await consume(), count() >= before + 10));
    await deletePod('counter', uid);
    await consume();

    const seen = new Map<string, string>();
    for (const r of got.filter((x) => x.podUid === uid)) {
      // A line sent twice (a batch in flight when the agent stopped) carries the same id.
      if (seen.has(r.id)) expect(seen.get(r.id)).toBe(r.line);
      seen.set(r.id, r.line);
    }
    const numbers = [...seen.values()].map((l) => Number(l.split(' ')[1]));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(numbers.length).toBeGreaterThanOrEqual(20);
  });
});
