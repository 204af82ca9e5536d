import { KubeObject } from '@skiff/api-machinery';
import { Lease } from '@skiff/kube-types';
import { ADVERTISE_ADDRESS_ANNOTATION } from '@skiff/controller-runtime';
import { LOG_QUERY_LEASE_PREFIX, LogBatch, LogRecord, logRecordId, logStreamNames } from '@skiff/messaging';
import {
  ApiCaller,
  apiRequest,
  ApiResponse,
  componentCaller,
  eventually,
  startTestCluster,
  TestCluster,
  TestNatsServer,
} from '@skiff/testing';
import { logRecordOf } from './ingest/log-record.fixture';
import { connect, JetStreamClient, NatsConnection } from 'nats';
import { request } from 'node:https';
import { Client } from 'pg';

// log-svc as it runs: its process in a cluster of its own, batches published on a NATS server of the test's own (so
// it can be restarted), the query endpoint found through its Lease and called as the API server would.
describe('log-svc', () => {
  let nats: TestNatsServer;
  let cluster: TestCluster;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let next = 0;
  const start = Date.now() - 60_000;

  const record = (n: number, extra: Partial<LogRecord> = {}) =>
    logRecordOf(n, new Date(start + n).toISOString(), extra);

  const batch = (records: LogRecord[], ttlDays = 7): LogBatch => ({
    host: 'h1',
    stores: [{ namespace: 'team', name: records[0]?.logstore ?? 'app', ttlDays, shards: 3, mode: 'query' }],
    records,
  });

  async function publish(body: LogBatch | string): Promise<void> {
    const subject = `${logStreamNames(cluster.prefix).subjectPrefix}.h1`;
    await js.publish(subject, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), {
      msgID: `m${next++}`,
    });
  }

  async function endpoint(): Promise<string> {
    return eventually(
      async () => {
        const res = await apiRequest(
          cluster.stack,
          'GET',
          '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases',
        );
        // The freshest: a replica killed a moment ago leaves its Lease behind until it expires.
        const [lease] = (res.body as { items: Lease[] }).items
          .filter((l) => l.metadata.name?.startsWith(LOG_QUERY_LEASE_PREFIX))
          .sort((a, b) => Date.parse(b.spec!.renewTime!) - Date.parse(a.spec!.renewTime!));
        return lease?.metadata.annotations?.[ADVERTISE_ADDRESS_ANNOTATION];
      },
      30_000,
      "log-svc's endpoint lease",
    );
  }

  /** A request to log-svc's endpoint, as the API server makes it (its client certificate) unless `caller` says. */
  async function call(path: string, caller: ApiCaller | 'api-gateway' = 'api-gateway'): Promise<ApiResponse> {
    const url = `https://${await endpoint()}${path}`;
    return apiRequest(caller === 'api-gateway' ? componentCaller(cluster, 'api-gateway') : caller, 'GET', url);
  }

  async function count(store = 'app', query = ''): Promise<number> {
    const q = new URLSearchParams({
      from: String(Math.floor(start / 1000) - 3600),
      histogram: '86400',
      limit: '1',
      query,
    });
    const res = await call(`/namespaces/team/logstores/${store}/query?${q}`);
    if (res.status !== 200) throw new Error(`query: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { histogram: { count: number }[] }).histogram.reduce((n, b) => n + b.count, 0);
  }

  async function consumerSettled(): Promise<boolean> {
    const jsm = await nc.jetstreamManager();
    const names = logStreamNames(cluster.prefix);
    const info = await jsm.consumers.info(names.stream, names.durable);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    cluster = await startTestCluster({ NATS_URL: nats.url }, ['api-gateway', 'log-svc']);
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    js = nc.jetstream();
    expect((await cluster.kubectl(['create', 'namespace', 'team'])).code).toBe(0);
    // log-svc makes the stream at boot; the agents may have made it first.
    await eventually(async () => (await nc.jetstreamManager()).streams.info(logStreamNames(cluster.prefix).stream));
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await nc?.close();
    await nats?.remove();
  });

  it('makes a logstore on first use, as an object kubectl lists, and serves its records', async () => {
    await publish(batch([record(0), record(1), record(2)]));
    const listed = await eventually(
      async () => {
        const out = await cluster.kubectl(['get', 'logstores', '-A']);
        return out.stdout.includes('app') && out.stdout;
      },
      30_000,
      'the Logstore object',
    );
    expect(listed.split('\n')[0].split(/\s+/)).toEqual(['NAMESPACE', 'NAME', 'TTL', 'SHARDS', 'MODE', 'AGE']);
    expect(listed.split('\n')[1].split(/\s+/).slice(0, 5)).toEqual(['team', 'app', '7', '3', 'query']);
    const obj = JSON.parse(
      (await cluster.kubectl(['get', 'ls', 'app', '-n', 'team', '-o', 'json'])).stdout,
    ) as KubeObject;
    expect(obj.metadata.finalizers).toEqual(['logs.skiff.io/records']);

    const res = await call(`/namespaces/team/logstores/app/query?from=${Math.floor(start / 1000)}&query=line`);
    expect(res.status).toBe(200);
    expect((res.body as { items: LogRecord[] }).items.map((r) => r.line)).toEqual(['line 2', 'line 1', 'line 0']);
  });

  it('writes a batch delivered twice once, and takes malformed messages off the stream', async () => {
    const records = Array.from({ length: 100 }, (_, i) => record(100 + i));
    await publish(batch(records));
    await publish('{not json');
    await publish(JSON.stringify({ host: 'h1' }));
    await publish(batch(records)); // an agent that did not hear JetStream's ack sends it again
    await publish(batch([record(300), { ...record(301), id: 'not-an-id' }]));
    await eventually(consumerSettled, 30_000, 'every message acknowledged or terminated');
    expect(await count()).toBe(3 + 100 + 1);
  });

  it('acknowledges only what it committed: killed while writing, it loses nothing', async () => {
    const before = await count();
    const publishing = (async () => {
      for (let b = 0; b < 40; b++)
        await publish(batch(Array.from({ length: 250 }, (_, i) => record(10_000 + b * 250 + i))));
    })();
    await eventually(async () => (await count()) > before, 30_000, 'ingest under way');
    cluster.stack.services.get('log-svc')!.child.kill('SIGKILL');
    await publishing;
    await cluster.stack.restart('log-svc');
    await eventually(async () => (await count()) === before + 10_000, 120_000, 'every record written once');
    await eventually(consumerSettled, 30_000, 'every message acknowledged');
  }, 180_000);

  it('goes on after NATS restarts', async () => {
    const before = await count();
    await nats.pause();
    await nats.resume();
    await eventually(
      async () => {
        await publish(batch([record(20_000 + next)]));
        return (await count()) > before;
      },
      60_000,
      'records after the restart',
    );
  });

  it('goes on after its database connections are cut', async () => {
    const before = await count();
    const db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      for (let b = 0; b < 10; b++) {
        await publish(batch(Array.from({ length: 100 }, (_, i) => record(40_000 + b * 100 + i))));
        // As a Postgres restart does to every client of this database (the test's own).
        await db.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
      }
    } finally {
      await db.end();
    }
    await eventually(async () => (await count()) === before + 1000, 60_000, 'every record written once');
  }, 120_000);

  it('streams new matching records to a follower as JSON lines', async () => {
    const url = `https://${await endpoint()}/namespaces/team/logstores/app/query?follow=true&query=${encodeURIComponent('"tail me"')}`;
    const lines: LogRecord[] = [];
    const { ca, cert, key } = componentCaller(cluster, 'api-gateway');
    const req = request(url, { ca, cert, key });
    const opened = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/x-ndjson');
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(JSON.parse(buf.slice(0, i)));
        });
        resolve();
      });
      req.on('error', reject);
    });
    req.end();
    await opened;
    try {
      // The answer began once the tail was listening: what is written now reaches it.
      await publish(batch([record(30_000, { line: 'please tail me' }), record(30_001)]));
      await eventually(async () => lines.length > 0, 30_000, 'a followed record');
      expect(lines[0]).toMatchObject({ line: 'please tail me', logstore: 'app', pod: 'web-1' });
    } finally {
      req.destroy();
    }
  });

  it('answers the logs of a pod from its records, as kubelet would', async () => {
    const job = (n: number, line: string) =>
      record(50_000 + n, {
        pod: 'job-1',
        podUid: 'uid-job-1',
        id: logRecordId('uid-job-1', 'app', 'stdout', `${n}`),
        line,
      });
    await publish(batch([job(0, 'first'), job(1, 'second'), job(2, 'third')]));
    const res = await eventually(
      async () => {
        const r = await call('/namespaces/team/pods/job-1/log?tailLines=2&timestamps=true');
        return r.status === 200 && r;
      },
      30_000,
      "job-1's lines",
    );
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(String(res.body)).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z second\n\S+Z third\n$/);
  });

  it('answers bad queries and strangers with a Status', async () => {
    const bad = await call(`/namespaces/team/logstores/app/query?query=${encodeURIComponent('a )')}`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'BadRequest',
      code: 400,
      message: 'query: unexpected ")" at position 3',
    });
    expect((await call('/namespaces/team/logstores/nope/query')).body).toMatchObject({
      code: 404,
      message: 'logstores.logs.skiff.io "nope" not found',
    });
    // Only the API server's client certificate opens the endpoint: not the admin token, not another component's.
    expect((await call('/namespaces/team/logstores/app/query', cluster.stack)).status).toBe(401);
    expect(await call('/namespaces/team/logstores/app/query', componentCaller(cluster, 'scheduler'))).toMatchObject({
      status: 403,
      body: { kind: 'Status', code: 403, message: 'Forbidden (user=system:skiff:scheduler)' },
    });
  });

  it('deletes the records of a deleted Logstore', async () => {
    await publish(batch([record(0, { logstore: 'doomed' })]));
    await eventually(async () => (await cluster.kubectl(['get', 'ls', 'doomed', '-n', 'team'])).code === 0, 30_000);
    expect(await count('doomed')).toBe(1);
    expect((await cluster.kubectl(['delete', 'logstore', 'doomed', '-n', 'team', '--timeout=60s'])).code).toBe(0);
    expect((await call('/namespaces/team/logstores/doomed/query')).status).toBe(404);
    const db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const rows = await db.query(`SELECT count(*)::int AS n FROM log_stores WHERE name = 'doomed'`);
      expect(rows.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
    expect(await count('app')).toBeGreaterThan(0);
  });
});
