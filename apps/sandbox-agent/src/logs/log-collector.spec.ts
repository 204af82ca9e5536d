import { Clock, KubeObject } from '@skiff/api-machinery';
import { Container, Pod } from '@skiff/kube-types';
import { LogBatch, LogRecord } from '@skiff/messaging';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PodRecord } from '../pods/pod-state.store';
import { LogBatchPublisher } from './log-batch.publisher';
import { logCollectionConfigOf } from './log-collection.config';
import { LogCollector } from './log-collector';
import { CollectorTestDir, CRI_TIME } from './log-collector.fixture';

/** JetStream as the collector sees it: takes batches (keeping their records) or is away. */
class RecordingPublisher implements LogBatchPublisher {
  up = true;
  readonly records: LogRecord[] = [];

  async ensureStream(): Promise<void> {
    if (!this.up) throw new Error('503 no responders');
  }

  async publish(_id: string, payload: Uint8Array): Promise<void> {
    if (!this.up) throw new Error('TIMEOUT');
    this.records.push(...(JSON.parse(Buffer.from(payload).toString()) as LogBatch).records);
  }

  maxPayload(): number {
    return 1 << 20;
  }

  lines(): string[] {
    return this.records.map((r) => r.line);
  }
}

class Events {
  readonly recorded: { name?: string; type: string; reason: string; message: string }[] = [];

  async record(o: KubeObject, type: string, reason: string, message: string): Promise<void> {
    this.recorded.push({ name: o.metadata.name, type, reason, message });
  }
}

const UID = '11111111-2222-3333-4444-555555555555';

const eventually = async (what: string, check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe(LogCollector.name, () => {
  const dir = new CollectorTestDir('skiff-collector-');
  let publisher: RecordingPublisher;
  let events: Events;

  beforeEach(() => {
    publisher = new RecordingPublisher();
    events = new Events();
  });

  const logDir = (c: string) => dir.paths.containerLogDir(UID, c);
  const volumeDir = (v: string) => dir.paths.volumeDir(UID, v);
  const stdout = (...lines: string[]) => dir.stdout(UID, 'app', ...lines);
  const file = (...lines: string[]) => {
    mkdirSync(volumeDir('logs'), { recursive: true });
    appendFileSync(path.join(volumeDir('logs'), 'access.log'), lines.map((l) => `${l}\n`).join(''));
  };

  const collector = async (spoolBytes = 1 << 20) => {
    const config = logCollectionConfigOf({ hostId: 'host-a', stateDir: dir.stateDir, natsPrefix: 'x' });
    const c = new LogCollector(
      {
        ...config,
        spoolBytes,
        pollMs: 10,
        idlePollMs: 20,
        // Quiet files are watched: a spec that waited this long would show a change went unnoticed.
        watchedPollMs: 60_000,
        batch: { ...config.batch, flushMs: 20 },
        retryMinMs: 10,
        retryMaxMs: 50,
      },
      dir.paths,
      events,
      publisher,
      new Clock(),
    );
    await dir.started(c).start();
    return c;
  };

  const record = (env: Container['env'], annotations?: Record<string, string>, uid = UID): PodRecord => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'shop', uid, annotations },
      spec: {
        volumes: [{ name: 'logs', emptyDir: {} }],
        containers: [
          { name: 'app', image: 'busybox', env, volumeMounts: [{ name: 'logs', mountPath: '/var/log/app' }] },
        ],
      },
    };
    return {
      uid,
      namespace: 'shop',
      name: 'web',
      runtime: 'runc',
      containers: {},
      pod,
      sandbox: { podId: UID, podName: 'web', netnsPath: '/nowhere', shmPath: '/nowhere' },
    };
  };
  const both = () =>
    record([
      { name: 'aliyun_logs_app', value: 'stdout' },
      { name: 'aliyun_logs_access', value: '/var/log/app/*.log' },
      { name: 'aliyun_logs_access_tags', value: 'kind=access' },
    ]);

  it("ships a pod's stdout and files as its env asks, each record to its logstore with its tags", async () => {
    stdout('hello');
    file('GET /');
    const c = await collector();
    c.follow(both());

    await eventually('both lines', () => publisher.records.length === 2);
    expect(publisher.records.map((r) => [r.logstore, r.source, r.line, r.tags])).toEqual(
      expect.arrayContaining([
        ['app', 'stdout', 'hello', {}],
        ['access', 'file:/var/log/app/access.log', 'GET /', { kind: 'access' }],
      ]),
    );
    expect(c.collecting()).toEqual([UID]);
  });

  it('notices at once a line written after the pod has been quiet a while (its directories are watched)', async () => {
    stdout('first');
    file('first');
    const c = await collector();
    c.follow(both());
    await eventually('the first lines', () => publisher.records.length === 2);
    await new Promise((r) => setTimeout(r, 500));
    stdout('later');
    file('later');
    await eventually('the later lines', () => publisher.records.length === 4, 5_000);
    expect(publisher.lines().sort()).toEqual(['first', 'first', 'later', 'later']);
  });

  it('resumes after a restart where JetStream acknowledged, sending nothing twice', async () => {
    stdout('a', 'b');
    const first = await collector();
    first.follow(both());
    await eventually('a and b', () => publisher.records.length === 2);
    await first.stop();

    stdout('c');
    file('d');
    const second = await collector();
    second.follow(both());
    await eventually('c and d', () => publisher.records.length === 4);
    await new Promise((r) => setTimeout(r, 200));

    expect(publisher.lines().sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('spools while JetStream is away; a restarted agent sends the spool and does not read those lines again', async () => {
    publisher.up = false;
    stdout('a', 'b');
    const first = await collector();
    first.follow(both());
    await eventually('the spool', () => existsSync(path.join(dir.stateDir, 'log-spool', '0000000000000001.batch')));
    await first.stop();

    publisher.up = true;
    stdout('c');
    const second = await collector();
    second.follow(both());
    await eventually('a, b and c', () => publisher.records.length === 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(publisher.lines()).toEqual(['a', 'b', 'c']);
    await second.stop();
    // The spooled batches' offsets count as delivered too, even if they arrived before the pod was followed again.
    const saved = JSON.parse(readFileSync(path.join(dir.stateDir, 'log-offsets', `${UID}.json`), 'utf8')) as {
      files: { source: string; offset: number }[];
    };
    expect(saved.files.find((f) => f.source === 'cri:app')?.offset).toBe(
      statSync(path.join(logDir('app'), '0.log')).size,
    );
  });

  it('tells the pod how many lines the full spool dropped', async () => {
    publisher.up = false;
    const c = await collector(4096);
    c.follow(record([{ name: 'aliyun_logs_app', value: 'stdout' }]));
    for (let i = 0; i < 40; i++) {
      stdout(`line ${i} ${'x'.repeat(200)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    await eventually('a drop event', () => events.recorded.some((e) => e.reason === 'LogLinesDropped'), 15_000);
    const dropped = events.recorded.find((e) => e.reason === 'LogLinesDropped')!;
    expect(dropped).toMatchObject({ name: 'web', type: 'Warning' });
    expect(dropped.message).toMatch(/^Dropped \d+ log lines: the log spool of host host-a is full \(4 KiB\)/);
  });

  it('drains a pod to the last line, then forgets its offsets', async () => {
    stdout('a');
    const rec = both();
    const c = await collector();
    c.follow(rec);
    await eventually('a', () => publisher.records.length === 1);
    file('last words');
    appendFileSync(path.join(logDir('app'), '0.log'), `${CRI_TIME} stdout P no newline\n`);

    await c.drain(rec);
    expect(publisher.lines().sort()).toEqual(['a', 'last words', 'no newline']);
    const offsets = path.join(dir.stateDir, 'log-offsets', `${UID}.json`);
    expect(existsSync(offsets)).toBe(true);

    await c.forget(UID);
    expect(existsSync(offsets)).toBe(false);
    expect(c.collecting()).toEqual([]);
  });

  it('collects nothing from a pod with eci-sls-enable "false", and warns once about a wrong variable', async () => {
    stdout('secret');
    const c = await collector();
    c.follow(record([{ name: 'aliyun_logs_app', value: 'stdout' }], { 'k8s.aliyun.com/eci-sls-enable': 'false' }));
    const bad = record([{ name: 'aliyun_logs_app_ttl', value: '0' }], undefined, 'another-uid');
    c.follow(bad);
    c.follow(bad);
    await new Promise((r) => setTimeout(r, 100));

    expect(publisher.records).toEqual([]);
    expect(c.collecting()).toEqual([]);
    expect(events.recorded).toEqual([
      {
        name: 'web',
        type: 'Warning',
        reason: 'InvalidLogConfig',
        message:
          'container app: aliyun_logs_app_ttl: there is no aliyun_logs_app saying what to collect for it; ignored',
      },
    ]);
  });
});
