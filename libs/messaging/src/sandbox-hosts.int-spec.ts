import { loadInfraConfig } from '@skiff/config';
import IORedis from 'ioredis';
import { HOST_STALE_AFTER_MS, SandboxHostRecord, SandboxHostRegistry, sandboxHostsKey } from './sandbox-hosts';

describe(SandboxHostRegistry.name, () => {
  const prefix = `hosts${process.pid}`;
  let redis: IORedis;

  beforeAll(() => {
    redis = new IORedis(loadInfraConfig().redisUrl);
  });

  afterAll(async () => {
    await redis.del(sandboxHostsKey(prefix));
    redis.disconnect();
  });

  const record = (hostId: string, heartbeatAt: string): SandboxHostRecord => ({
    hostId,
    zone: 'zone-a',
    endpoint: `https://${hostId}.local:10250`,
    hostIP: '10.244.0.1',
    capacity: { cpuMilli: 2000, memoryBytes: 1 << 30, pods: 10 },
    runtimeHandlers: ['runc'],
    heartbeatAt,
  });

  it('keeps what agents register, tells stale hosts apart and skips malformed records', async () => {
    const registry = new SandboxHostRegistry(redis, prefix);
    const now = Date.parse('2026-01-01T00:01:00Z');
    await registry.register(record('host-b', '2026-01-01T00:00:59Z'));
    await registry.register(record('host-a', new Date(now - HOST_STALE_AFTER_MS - 5_000).toISOString()));
    await redis.hset(sandboxHostsKey(prefix), 'host-x', '{not json');
    await redis.hset(sandboxHostsKey(prefix), 'host-y', '{"hostId":"host-y"}');
    const hosts = await registry.list(now);
    expect(hosts.map((h) => [h.hostId, h.stale, h.staleForMs])).toEqual([
      ['host-a', true, 5_000],
      ['host-b', false, 0],
    ]);
    expect((await registry.get('host-b', now))?.endpoint).toBe('https://host-b.local:10250');
    expect(await registry.get('host-x', now)).toBeUndefined();
    expect(await registry.get('nope', now)).toBeUndefined();
  });
});
