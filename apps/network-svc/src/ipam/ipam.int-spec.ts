import { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { EnvReader, loadClusterDnsConfig, loadEdgeConfig, loadInfraConfig, NetworkSvcConfig } from '@skiff/config';
import {
  IpAllocation,
  IpAllocationReply,
  IpAllocationRequest,
  ipamSubjects,
  IpReleaseReply,
  isIpamError,
} from '@skiff/messaging';
import { eventually, migrate, TestNatsServer } from '@skiff/testing';
import { connect, JSONCodec, NatsConnection, StringCodec } from 'nats';
import { Client } from 'pg';
import { AppModule } from '../app.module';
import { natsTransportOptions } from '../platform/nats-transport';
import { VSwitchRange } from './cidr';
import { EniAllocator } from './eni-allocator.service';
import { EniGarbageCollector } from './eni-garbage-collector.service';
import { PodLookup } from './pod-lookup';

// Real Postgres (a throwaway database), a NATS server of the test's own (so it can be
// restarted), and network-svc started in-process as the NestJS microservice main.ts builds.

class FakePodLookup extends PodLookup {
  readonly live = new Set<string>();
  async exists(_namespace: string, _name: string, uid: string): Promise<boolean> {
    return this.live.has(uid);
  }
}

const json = JSONCodec<unknown>();
const id = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
const dbName = `skiff_test_nsvc_${id}`;
const infraDb = loadInfraConfig().databaseUrl;

function databaseUrl(name: string): string {
  const u = new URL(infraDb);
  u.pathname = `/${name}`;
  return u.toString();
}

function pod(n: number | string): IpAllocationRequest {
  return { podUid: `uid-${id}-${n}`, namespace: 'ipam-test', name: `pod-${n}`, hostId: 'host-a' };
}

describe('network-svc ENI/IPAM over NATS', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  const podLookup = new FakePodLookup();
  const running: INestMicroservice[] = [];

  function configFor(prefix: string, vswitchCidr = '10.244.0.0/16'): NetworkSvcConfig {
    return {
      databaseUrl: databaseUrl(dbName),
      natsUrl: nats.url,
      natsPrefix: prefix,
      vswitchCidr,
      serviceCidr: '10.96.0.0/16',
      gcGraceSeconds: 0,
      identity: 'ipam-int-spec',
      gcIntervalSeconds: 0,
      logFormat: 'text',
      // Not served here (withoutControllers), but part of the config.
      dns: loadClusterDnsConfig(new EnvReader({})),
      edge: loadEdgeConfig(new EnvReader({})),
    };
  }

  async function startService(config: NetworkSvcConfig): Promise<INestMicroservice> {
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(
      AppModule.forRoot(config, { podLookup, withoutControllers: true }),
      {
        ...natsTransportOptions(config),
        logger: ['error'],
      },
    );
    await app.listen();
    running.push(app);
    // listen() returns once SUBs are written on the service's connection; wait until the
    // server routes our requests to them (a request sent earlier gets "no responders").
    await eventually(
      async () => call(ipamSubjects(config.natsPrefix).release, { podUid: 'readiness-probe' }, 2_000),
      20_000,
      'network-svc to subscribe',
    );
    return app;
  }

  async function stopService(app: INestMicroservice): Promise<void> {
    running.splice(running.indexOf(app), 1);
    await app.close();
  }

  async function call<T>(subject: string, body: unknown, timeout = 30_000): Promise<T> {
    const msg = await nc.request(subject, typeof body === 'string' ? StringCodec().encode(body) : json.encode(body), {
      timeout,
    });
    return json.decode(msg.data) as T;
  }

  async function allocate(prefix: string, req: IpAllocationRequest): Promise<IpAllocation> {
    const reply = await call<IpAllocationReply>(ipamSubjects(prefix).allocate, req);
    if (isIpamError(reply)) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    return reply;
  }

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    await migrate(databaseUrl(dbName));
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  }, 60_000);

  afterAll(async () => {
    for (const app of [...running]) await stopService(app);
    await nc?.close();
    await nats?.remove();
    const admin = new Client({ connectionString: databaseUrl('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  it('gives 200 concurrent pods distinct addresses inside the VSwitch, keeps them across a restart, and never the gateway', async () => {
    const prefix = `nsvc${id}a`;
    const range = new VSwitchRange('10.244.0.0/16');
    let app = await startService(configFor(prefix));
    const first = await Promise.all(Array.from({ length: 200 }, (_, i) => allocate(prefix, pod(i))));
    const ips = first.map((a) => a.ip);
    expect(new Set(ips).size).toBe(200);
    expect(ips.every((ip) => range.isAssignable(ip))).toBe(true);
    expect(ips).not.toContain('10.244.0.1');
    expect(first[0]).toMatchObject({ prefixLength: 16, gateway: '10.244.0.1', cidr: '10.244.0.0/16' });

    await stopService(app);
    app = await startService(configFor(prefix));
    // The same pods asking again (an agent re-wiring after its own restart) get the same addresses.
    const again = await Promise.all(Array.from({ length: 200 }, (_, i) => allocate(prefix, pod(i))));
    expect(again.map((a) => a.ip)).toEqual(ips);
    // New pods get new addresses, none of them held by a live pod.
    const fresh = await Promise.all(Array.from({ length: 50 }, (_, i) => allocate(prefix, pod(`new-${i}`))));
    const all = new Set([...ips, ...fresh.map((a) => a.ip)]);
    expect(all.size).toBe(250);
    await stopService(app);
  });

  it('two replicas racing for the same and for different pods never share an address', async () => {
    const prefix = `nsvc${id}b`;
    const replicas = [await startService(configFor(prefix)), await startService(configFor(prefix))];
    const served = replicas.map((r) => jest.spyOn(r.get(EniAllocator), 'allocate'));
    // Each request is answered by one replica of the queue group; both allocate concurrently.
    const requests = [
      ...Array.from({ length: 100 }, (_, i) => pod(`r-${i}`)),
      ...Array.from({ length: 50 }, (_, i) => pod(`r-${i}`)),
    ];
    const answers = await Promise.all(requests.map((r) => allocate(prefix, r)));
    const byPod = new Map<string, string>();
    for (const a of answers) {
      if (byPod.has(a.podUid)) expect(a.ip).toBe(byPod.get(a.podUid));
      byPod.set(a.podUid, a.ip);
    }
    expect(byPod.size).toBe(100);
    expect(new Set(byPod.values()).size).toBe(100);
    const db = new Client({ connectionString: databaseUrl(dbName) });
    await db.connect();
    const dupes = await db.query(`SELECT ip FROM eni_allocations GROUP BY ip HAVING count(*) > 1`);
    await db.end();
    expect(dupes.rowCount).toBe(0);
    // Both replicas really took part (the queue group spreads requests over them).
    expect(served.map((spy) => spy.mock.calls.length > 0)).toEqual([true, true]);
    for (const app of [...running]) await stopService(app);
  });

  it('releases idempotently and hands out a new address on re-allocation (rotation, not reuse)', async () => {
    const prefix = `nsvc${id}c`;
    const app = await startService(configFor(prefix));
    const subjects = ipamSubjects(prefix);
    const a = await allocate(prefix, pod('rel'));
    expect(await call<IpReleaseReply>(subjects.release, { podUid: a.podUid })).toEqual({ released: true });
    expect(await call<IpReleaseReply>(subjects.release, { podUid: a.podUid })).toEqual({ released: false });
    expect(await call<IpReleaseReply>(subjects.release, { podUid: 'never-allocated' })).toEqual({ released: false });
    const b = await allocate(prefix, pod('rel'));
    expect(b.podUid).toBe(a.podUid);
    expect(b.ip).not.toBe(a.ip);
    await stopService(app);
  });

  it('answers garbage with structured errors and keeps serving', async () => {
    const prefix = `nsvc${id}d`;
    const app = await startService(configFor(prefix));
    const subjects = ipamSubjects(prefix);
    const garbage: unknown[] = [
      'not json{',
      '"a string"',
      'null',
      [1, 2],
      { podUid: 42 },
      { podUid: 'x' },
      { podUid: '', namespace: 'a', name: 'b', hostId: 'c' },
    ];
    for (const body of garbage) {
      const reply = await call<IpAllocationReply>(subjects.allocate, body);
      expect(isIpamError(reply) && reply.error.code).toBe('invalid-request');
    }
    const bad = await call<IpReleaseReply>(subjects.release, 'x');
    expect(isIpamError(bad) && bad.error.code).toBe('invalid-request');
    expect((await allocate(prefix, pod('after-garbage'))).ip).toMatch(/^10\.244\./);
    await stopService(app);
  });

  it('says which range is exhausted', async () => {
    const prefix = `nsvc${id}e`;
    const app = await startService(configFor(prefix, '10.99.0.0/28'));
    const got = await Promise.all(Array.from({ length: 13 }, (_, i) => allocate(prefix, pod(`x-${i}`))));
    expect(new Set(got.map((a) => a.ip)).size).toBe(13);
    const reply = await call<IpAllocationReply>(ipamSubjects(prefix).allocate, pod('x-late'));
    expect(reply).toEqual({ error: { code: 'exhausted', message: 'no free address in 10.99.0.0/28' } });
    await stopService(app);
  });

  it('recovers from a NATS restart and from Postgres dropping its connections', async () => {
    const prefix = `nsvc${id}f`;
    const app = await startService(configFor(prefix));
    const before = await allocate(prefix, pod('outage-1'));

    await nats.pause();
    await nats.resume();
    const tries: string[] = [];
    await eventually(
      async () => {
        const reply = await call<IpAllocationReply>(ipamSubjects(prefix).allocate, pod('outage-2'), 2_000).catch(
          (err: Error) => {
            tries.push(err.message);
            throw err;
          },
        );
        return !isIpamError(reply) && reply.ip;
      },
      30_000,
      'an allocation after the NATS restart',
    ).catch((err: Error) => {
      throw new Error(`${err.message} (attempts: ${tries.join(', ')})`);
    });

    // What a Postgres restart does to a pool: every connection of the service dies at once.
    const admin = new Client({ connectionString: databaseUrl('postgres') });
    await admin.connect();
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [dbName],
    );
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    expect((await allocate(prefix, pod('outage-1'))).ip).toBe(before.ip);
    expect((await allocate(prefix, pod('outage-3'))).ip).not.toBe(before.ip);
    await stopService(app);
  }, 90_000);

  it('collects addresses whose pods are gone from the API and keeps the live ones', async () => {
    const prefix = `nsvc${id}g`;
    const app = await startService(configFor(prefix, '10.98.0.0/24'));
    const live = await allocate(prefix, pod('gc-live'));
    const gone = await allocate(prefix, pod('gc-gone'));
    podLookup.live.add(live.podUid);
    // The other tests' pods are not in the fake API either: the sweep frees them too.
    const result = await app.get(EniGarbageCollector).sweepOnce();
    expect(result.released).toBeGreaterThanOrEqual(1);
    expect(result.unknown).toBe(0);
    expect(await call<IpReleaseReply>(ipamSubjects(prefix).release, { podUid: gone.podUid })).toEqual({
      released: false,
    });
    expect(await call<IpReleaseReply>(ipamSubjects(prefix).release, { podUid: live.podUid })).toEqual({
      released: true,
    });
    await stopService(app);
  });
});
