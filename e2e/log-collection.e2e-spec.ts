import { LogBatch, LogRecord, logStreamNames } from '@skiff/messaging';
import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { loadInfraConfig } from '@skiff/config';
import { AckPolicy, connect, NatsConnection } from 'nats';

// The shape of ASK's log collection example (a Deployment whose env names a stdout and a file logstore, the files
// on an emptyDir), with busybox in place of its image.
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: alpine
  labels: {app: alpine}
spec:
  replicas: 2
  selector:
    matchLabels: {app: alpine}
  template:
    metadata:
      labels: {app: alpine}
    spec:
      containers:
        - name: alpine
          image: busybox
          command: [sh, -c]
          args: ['trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "ping $i"; echo "file line $i" >> /log/app.log; sleep 0.5; done']
          env:
            - {name: aliyun_logs_test-stdout, value: stdout}
            - {name: aliyun_logs_test-file, value: /log/*.log}
            - {name: aliyun_logs_test-file_tags, value: "origin=file"}
          volumeMounts:
            - {name: volumn-sls-mydemo, mountPath: /log}
      volumes:
        - {name: volumn-sls-mydemo, emptyDir: {}}
`;

describe('log collection by the sandbox agent (aliyun_logs_* env, no DaemonSet)', () => {
  let cluster: TestCluster;
  let nc: NatsConnection;
  const got: LogRecord[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    nc = await connect({ servers: loadInfraConfig().natsUrl });
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  // log-svc's part, played by the test: the stream's batches through a durable consumer, acknowledged.
  const consume = async (): Promise<LogRecord[]> => {
    const stream = logStreamNames(cluster.prefix).stream;
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(stream, { durable_name: 'e2e', ack_policy: AckPolicy.Explicit });
    const consumer = await nc.jetstream().consumers.get(stream, 'e2e');
    for await (const m of await consumer.fetch({ max_messages: 200, expires: 1_000 })) {
      got.push(...m.json<LogBatch>().records);
      m.ack();
    }
    return got;
  };

  it("ships both replicas' stdout and files to their logstores, every line once and in order up to the pods' deletion", async () => {
    expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: DEPLOYMENT })).code).toBe(0);
    const pods = await eventually(
      async () => {
        await consume().catch(() => undefined);
        const names = new Set(got.filter((r) => r.logstore === 'test-file').map((r) => r.pod));
        const stdout = new Set(got.filter((r) => r.logstore === 'test-stdout').map((r) => r.pod));
        return names.size === 2 && stdout.size === 2 ? [...names] : undefined;
      },
      90_000,
      'lines of both pods in both logstores',
    );
    const file = got.find((r) => r.logstore === 'test-file')!;
    expect(file).toMatchObject({
      namespace: 'default',
      container: 'alpine',
      source: 'file:/log/app.log',
      tags: { origin: 'file' },
      line: expect.stringMatching(/^file line \d+$/),
    });
    expect(got.find((r) => r.logstore === 'test-stdout')).toMatchObject({
      source: 'stdout',
      line: expect.stringMatching(/^ping \d+$/),
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/),
    });

    expect((await cluster.kubectl(['delete', 'deployment', 'alpine', '--wait=true'])).code).toBe(0);
    await eventually(
      async () => {
        const left = await cluster.kubectl(['get', 'pods', '-l', 'app=alpine', '-o', 'name']);
        return left.stdout.trim() === '';
      },
      60_000,
      'the pods to go',
    );
    await consume();
    // Every line each pod wrote, on each stream, arrived once (by id) and in order, up to its last.
    for (const pod of pods) {
      for (const store of ['test-stdout', 'test-file']) {
        const seen = new Map<string, string>();
        for (const r of got.filter((x) => x.pod === pod && x.logstore === store)) seen.set(r.id, r.line);
        const numbers = [...seen.values()].map((l) => Number(/(\d+)$/.exec(l)![1]));
        expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      }
    }
  });
});
