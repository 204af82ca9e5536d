import { eventually } from '@skiff/testing';
import * as http from 'node:http';
import * as net from 'node:net';
import { AddressInfo } from 'node:net';
import { NetSlbBackendProber } from './slb-backend-prober';
import { SlbHealthChecker, SystemHealthCheckTimer } from './slb-health-checker';
import type { SlbHealthCheck } from './slb-options';

// Real probes of servers this spec runs on 127.0.0.1. Nothing asserts timings: each wait polls with a generous limit.

const TCP: SlbHealthCheck = {
  type: 'tcp',
  uri: '/',
  httpCodes: ['http_2xx'],
  intervalSeconds: 1,
  timeoutSeconds: 2,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};
const HTTP: SlbHealthCheck = { ...TCP, type: 'http' };

async function listen(server: net.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: net.Server): Promise<void> {
  if (!server.listening) return;
  if (server instanceof http.Server) server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe(SlbHealthChecker.name, () => {
  let checker: SlbHealthChecker;
  const servers: net.Server[] = [];

  function server<T extends net.Server>(s: T): T {
    servers.push(s);
    return s;
  }

  beforeEach(() => {
    checker = new SlbHealthChecker(new NetSlbBackendProber(), new SystemHealthCheckTimer());
  });

  afterEach(async () => {
    checker.onModuleDestroy();
    await Promise.all(servers.splice(0).map(close));
  });

  it('turns a TCP backend that goes away unhealthy, and healthy again when it is back', async () => {
    const flaky = server(net.createServer((socket) => socket.destroy()));
    const steady = server(net.createServer((socket) => socket.destroy()));
    const flakyBackend = `127.0.0.1:${await listen(flaky)}`;
    const steadyBackend = `127.0.0.1:${await listen(steady)}`;
    const changes: string[] = [];
    checker.onChange((key) => changes.push(key));
    checker.watch('default/web:80', [flakyBackend, steadyBackend], TCP);
    expect(checker.healthy('default/web:80')).toEqual(new Set([flakyBackend, steadyBackend]));

    await close(flaky);
    await eventually(async () => !checker.healthy('default/web:80').has(flakyBackend), 30_000, 'unhealthy');
    expect(checker.healthy('default/web:80')).toEqual(new Set([steadyBackend]));
    expect(changes).toEqual(['default/web:80']);

    await listen(flaky, Number(flakyBackend.split(':')[1]));
    await eventually(async () => checker.healthy('default/web:80').has(flakyBackend), 30_000, 'healthy again');
    expect(changes).toEqual(['default/web:80', 'default/web:80']);
  });

  it('probes the health-check port instead of the backend port when one is set', async () => {
    let connections = 0;
    const health = server(
      net.createServer((socket) => {
        connections++;
        socket.destroy();
      }),
    );
    const healthPort = await listen(health);
    // Nothing listens on the backend port itself (a port just freed).
    const freed = server(net.createServer());
    const backend = `127.0.0.1:${await listen(freed)}`;
    await close(freed);
    checker.watch('lb', [backend], { ...TCP, connectPort: healthPort });
    await eventually(async () => connections >= TCP.unhealthyThreshold + 1, 30_000, 'probes on the health port');
    expect(checker.healthy('lb')).toEqual(new Set([backend]));
  });

  it('honours the accepted HTTP code classes, sends the domain as Host, and fails a backend that does not answer', async () => {
    const seen: { url: string; host?: string }[] = [];
    const web = server(
      http.createServer((req, res) => {
        seen.push({ url: req.url ?? '', host: req.headers.host });
        if (req.url === '/hang') return; // never answers
        res.writeHead(Number(/\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 500)).end();
      }),
    );
    const backend = `127.0.0.1:${await listen(web)}`;
    const requests = (url: string) => seen.filter((s) => s.url === url);

    checker.watch('ok', [backend], { ...HTTP, uri: '/status/200', domain: 'app.example.com' });
    checker.watch('redirect-accepted', [backend], { ...HTTP, uri: '/status/302', httpCodes: ['http_2xx', 'http_3xx'] });
    checker.watch('redirect-refused', [backend], { ...HTTP, uri: '/status/302?refused' });
    checker.watch('not-found-accepted', [backend], { ...HTTP, uri: '/status/404', httpCodes: ['http_4xx'] });
    checker.watch('server-error', [backend], { ...HTTP, uri: '/status/503', httpCodes: ['http_2xx', 'http_4xx'] });
    checker.watch('hangs', [backend], { ...HTTP, uri: '/hang', timeoutSeconds: 1 });

    for (const key of ['redirect-refused', 'server-error', 'hangs'])
      await eventually(async () => checker.healthy(key).size === 0, 30_000, `${key} unhealthy`);
    // The accepted ones have been probed more often than it takes to fail, and are still healthy.
    for (const url of ['/status/200', '/status/302', '/status/404'])
      await eventually(async () => requests(url).length > HTTP.unhealthyThreshold, 30_000, `probes of ${url}`);
    for (const key of ['ok', 'redirect-accepted', 'not-found-accepted'])
      expect(checker.healthy(key)).toEqual(new Set([backend]));

    expect(new Set(requests('/status/200').map((r) => r.host))).toEqual(new Set(['app.example.com']));
    expect(new Set(requests('/status/302').map((r) => r.host))).toEqual(new Set(['127.0.0.1']));
  });
});
