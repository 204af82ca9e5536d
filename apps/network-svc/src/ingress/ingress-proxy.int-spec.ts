import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessRunner } from '@skiff/host-tools';
import { Ingress } from '@skiff/kube-types';
import { endpointSlice, ingress, rule, service, tlsSecret } from './ingress.fixture';
import { HaproxyCli } from './haproxy-cli';
import { IngressProxy, IngressProxyError } from './haproxy-process';
import { IngressProxyInput, ingressProxyModel, IngressProxyModel } from './ingress-model';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('IngressProxy integration tests skipped: network namespaces need root');

const ADDRESS = '198.18.250.10';
const PORTS = { alpha: 18081, beta: 18082, gamma: 18083 };

// HAProxy and its backends (busybox httpd on the netns' loopback) all live in a netns of ours; clients are curl
// and busybox nc inside it, the proxy address is local there (`ip route add local`).
(asRoot ? describe : describe.skip)(IngressProxy.name, () => {
  const netns = `skiff-t${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(`${tmpdir()}/skiff-ingress-`);
  const stateDir = `${dir}/state`;
  const runner = new ProcessRunner();
  const proxy = new IngressProxy(runner, new HaproxyCli(), { netns, stateDir });
  const servers: ChildProcess[] = [];
  const secrets: IngressProxyInput['secrets'] = [];
  let adopted: IngressProxy | undefined;

  const inNetns = (args: string[]) =>
    runner.run('ip', ['netns', 'exec', netns, ...args], { allowFailure: true, timeoutMs: 15_000 });

  /** The status, Location and body curl gets for `url` from the proxy, verifying certificates with the test CA. */
  const get = async (url: string): Promise<{ status: string; location: string; body: string }> => {
    const host = new URL(url).hostname;
    const res = await inNetns([
      'curl',
      '-sS',
      '--max-time',
      '10',
      '--cacert',
      `${dir}/ca.crt`,
      '--resolve',
      `${host}:80:${ADDRESS}`,
      '--resolve',
      `${host}:443:${ADDRESS}`,
      '-w',
      '\n%{http_code} %{redirect_url}',
      url,
    ]);
    const lines = res.stdout.split('\n');
    const [status, location = ''] = (lines.pop() ?? '').split(' ');
    return { status, location, body: lines.join('\n').trim() };
  };

  const objects = (alphaPort: number, extra: Ingress[] = []): IngressProxyModel => {
    const { model, warnings } = ingressProxyModel({
      classes: [{ name: 'skiff', address: ADDRESS }],
      defaultClass: 'skiff',
      ingresses: [
        ingress('sites', {
          tls: [
            { hosts: ['foo.test'], secretName: 'foo-tls' },
            { hosts: ['bar.test'], secretName: 'bar-tls' },
          ],
          rules: [rule('foo.test', { '/': 'alpha:http' }), rule('bar.test', { '/': 'beta:80', '/empty': 'empty:80' })],
        }),
        ingress('plain', { rules: [rule('plain.test', { '/': 'alpha:http' })] }),
        ingress(
          'rewrite',
          { rules: [rule('rw.test', { '/app(/|$)(.*)': 'alpha:http' }, 'ImplementationSpecific')] },
          {
            annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' },
          },
        ),
        ...extra,
      ],
      services: [
        service('alpha', [{ name: 'http', port: 80 }]),
        service('beta', [{ port: 80 }]),
        service('empty', [{ port: 80 }]),
      ],
      slices: [
        endpointSlice('alpha', [{ name: 'http', port: alphaPort }], [{ ip: '127.0.0.1' }]),
        endpointSlice('beta', [{ port: PORTS.beta }], [{ ip: '127.0.0.1' }]),
        endpointSlice('empty', [{ port: 80 }], []),
      ],
      secrets,
    });
    expect(warnings).toEqual([]);
    return model;
  };

  beforeAll(async () => {
    await runner.run('ip', ['netns', 'add', netns]);
    await runner.run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    await runner.run('ip', ['-n', netns, 'route', 'add', 'local', '198.18.250.0/24', 'dev', 'lo']);
    for (const [name, port] of Object.entries(PORTS)) {
      mkdirSync(`${dir}/${name}/cgi-bin`, { recursive: true });
      writeFileSync(`${dir}/${name}/index.html`, `${name}\n`);
      writeFileSync(`${dir}/${name}/page.html`, `${name} page\n`);
      const cgi = `${dir}/${name}/cgi-bin/headers`;
      writeFileSync(
        cgi,
        '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$HTTP_X_FORWARDED_PROTO $HTTP_X_FORWARDED_HOST"\n',
      );
      chmodSync(cgi, 0o755);
      servers.push(
        runner.spawn(
          'ip',
          ['netns', 'exec', netns, '/bin/busybox', 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', `${dir}/${name}`],
          {
            stdio: 'ignore',
          },
        ),
      );
    }
    // A CA and one certificate per host, signed by it.
    const openssl = (args: string[]) => runner.run('openssl', args, { cwd: dir });
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=Skiff test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ]);
    for (const host of ['foo.test', 'bar.test']) {
      writeFileSync(`${dir}/${host}.ext`, `subjectAltName=DNS:${host}\n`);
      await openssl([
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        `/CN=${host}`,
        '-keyout',
        `${host}.key`,
        '-out',
        `${host}.csr`,
      ]);
      await openssl([
        'x509',
        '-req',
        '-in',
        `${host}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${host}.ext`,
        '-out',
        `${host}.crt`,
      ]);
      const read = (ext: string) => readFileSync(`${dir}/${host}.${ext}`, 'utf8');
      secrets.push(tlsSecret(`${host.split('.')[0]}-tls`, read('crt'), read('key')));
    }
    for (const port of Object.values(PORTS))
      while ((await inNetns(['curl', '-s', `http://127.0.0.1:${port}/`])).code !== 0) await sleep(100);
  });

  afterAll(async () => {
    await adopted?.remove().catch(() => undefined);
    await proxy.remove().catch(() => undefined);
    for (const s of servers) if (s.pid) runner.signal(s.pid, 'SIGKILL');
    await runner.run('ip', ['netns', 'delete', netns], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
    const left = await runner.run('ip', ['netns', 'list']);
    if (left.stdout.includes(netns)) throw new Error(`netns ${netns} is still there`);
  });

  it('routes by host and path, serves each host its certificate, redirects, rewrites, 404s and 503s', async () => {
    expect(await proxy.start()).toBe(false);
    expect(await proxy.apply(objects(PORTS.alpha))).toBe('started');

    expect(await get('https://foo.test/')).toMatchObject({ status: '200', body: 'alpha' });
    expect(await get('https://bar.test/')).toMatchObject({ status: '200', body: 'beta' });
    expect(await get('http://foo.test/page.html?x=1')).toMatchObject({
      status: '308',
      location: 'https://foo.test/page.html?x=1',
    });
    expect(await get('https://foo.test/cgi-bin/headers')).toMatchObject({ status: '200', body: 'https foo.test' });
    expect(await get('http://rw.test/app/page.html')).toMatchObject({ status: '200', body: 'alpha page' });
    expect(await get('http://rw.test/page.html')).toMatchObject({ status: '404' });
    expect(await get('http://unknown.test/')).toMatchObject({ status: '404', body: '404 page not found' });
    expect(await get('https://bar.test/empty')).toMatchObject({ status: '503' });
  });

  it('moves endpoints through the runtime API: same worker, open keep-alive connections carry on', async () => {
    const before = await proxy.processes();
    const client = keepAliveClient(runner.spawn('ip', ['netns', 'exec', netns, '/bin/busybox', 'nc', ADDRESS, '80']));
    try {
      expect(await client.get('plain.test', '/')).toBe('alpha');
      expect(await proxy.apply(objects(PORTS.gamma))).toBe('runtime');
      expect(await client.get('plain.test', '/')).toBe('gamma');
    } finally {
      client.close();
    }
    expect(await proxy.processes()).toEqual(before);
    expect(await get('https://foo.test/')).toMatchObject({ status: '200', body: 'gamma' });
  });

  it('reloads for a new host without refusing a request: a new worker serves it, the master stays', async () => {
    const before = await proxy.processes();
    // New connections one after another for as long as the reload takes; each must be answered.
    const flag = `${dir}/requesting`;
    writeFileSync(flag, '');
    const loop = inNetns([
      'sh',
      '-c',
      `while [ -e ${flag} ]; do curl -s -o /dev/null -w '%{http_code}\\n' --resolve plain.test:80:${ADDRESS} http://plain.test/; done`,
    ]);
    const extra = ingress('more', { rules: [rule('more.test', { '/': 'beta:80' })] });
    const outcome = await proxy.apply(objects(PORTS.gamma, [extra])).finally(() => rmSync(flag));
    expect(outcome).toBe('reloaded');
    const codes = (await loop).stdout.trim().split('\n');
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.filter((c) => c !== '200')).toEqual([]);
    const after = await proxy.processes();
    expect(after?.master).toBe(before?.master);
    expect(after?.workers).not.toEqual(before?.workers);
    expect(await get('http://more.test/')).toMatchObject({ status: '200', body: 'beta' });
  });

  it('keeps serving the running configuration when HAProxy rejects a new one', async () => {
    const before = await proxy.processes();
    // JavaScript takes this lookbehind, PCRE2 (HAProxy's regex engine) does not: only `haproxy -c` can tell.
    const bad = ingress('bad', { rules: [rule('bad.test', { '/(?<=a+)b': 'beta:80' }, 'ImplementationSpecific')] });
    const error = await proxy.apply(objects(PORTS.gamma, [bad])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngressProxyError);
    expect(error).toMatchObject({ code: 'InvalidConfig', message: expect.stringContaining('(?<=a+)b') });
    expect(await proxy.processes()).toEqual(before);
    expect(await get('http://plain.test/')).toMatchObject({ status: '200', body: 'gamma' });
  });

  it('is adopted by a new instance after a restart, which stops it by its pid and removes its state', async () => {
    const running = await proxy.processes();
    adopted = new IngressProxy(runner, new HaproxyCli(), { netns, stateDir });
    expect(await adopted.start()).toBe(true);
    const more = ingress('more', { rules: [rule('more.test', { '/': 'beta:80' })] });
    expect(await adopted.apply(objects(PORTS.gamma, [more]))).toBe('unchanged');
    expect(await adopted.apply(objects(PORTS.alpha, [more]))).toBe('runtime');
    expect(await get('http://plain.test/')).toMatchObject({ status: '200', body: 'alpha' });
    expect(await adopted.processes()).toEqual(running);

    const master = running?.master ?? 0;
    await adopted.remove();
    expect(alive(master)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    expect(await get('http://plain.test/')).toMatchObject({ status: '000' });
  });
});

function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** HTTP/1.1 requests one after another on one TCP connection (busybox nc's stdin/stdout). */
function keepAliveClient(nc: ChildProcess): { get(host: string, path: string): Promise<string>; close(): void } {
  let buffer = '';
  nc.stdout?.on('data', (b: Buffer) => (buffer += b.toString('latin1')));
  return {
    async get(host, path) {
      nc.stdin?.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      for (let i = 0; i < 100; i++) {
        const end = buffer.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1]);
        if (end >= 0 && buffer.length >= end + 4 + length) {
          const body = buffer.slice(end + 4, end + 4 + length);
          buffer = buffer.slice(end + 4 + length);
          return body.trim();
        }
        await sleep(100);
      }
      throw new Error(`no complete response on the kept-alive connection: ${buffer}`);
    },
    close() {
      nc.kill('SIGKILL');
    },
  };
}
