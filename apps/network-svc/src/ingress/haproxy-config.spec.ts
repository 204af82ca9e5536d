import { haproxyConfig, runtimeCommands, slotCount } from './haproxy-config';
import { IngressProxyModel, ProxyBackend, ProxyEndpoint, ProxyRoute } from './ingress-model';

const STATE = '/run/skiff/ingress';

function be(name: string, endpoints: ProxyEndpoint[], extra: Partial<ProxyBackend> = {}): ProxyBackend {
  return { name, service: `default/${name}:80`, protocol: 'HTTP', readTimeoutSeconds: 60, endpoints, ...extra };
}

function route(path: string, backend: string, extra: Partial<ProxyRoute> = {}): ProxyRoute {
  return { ingress: 'default/a', kind: 'prefix', path, backend, redirectToHttps: false, ...extra };
}

const ep = (n: number): ProxyEndpoint => ({ ip: `10.244.0.${n}`, port: 8080 });

function model(backends: ProxyBackend[], routes: ProxyRoute[] = [route('/', backends[0].name)]): IngressProxyModel {
  return {
    frontends: [{ address: '198.18.0.10', https: false, certificates: [], hosts: [{ host: 'a.test', routes }] }],
    backends,
    certificates: [],
  };
}

function linesOf(config: string, start: string): string[] {
  const section = config.split('\n\n').find((s) => s.startsWith(start));
  return (section ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

describe(haproxyConfig.name, () => {
  it('sizes slots as a power of two of at least 8, keeping a count that still fits', () => {
    expect([slotCount(0), slotCount(8), slotCount(9), slotCount(100)]).toEqual([8, 8, 16, 128]);
    expect([slotCount(3, 16), slotCount(16, 16), slotCount(17, 16)]).toEqual([16, 16, 32]);
  });

  it('gives every backend its slots: endpoints, then free ones in maintenance', () => {
    const { config, slots } = haproxyConfig(
      model([be('web', [ep(1), ep(2)], { protocol: 'HTTPS', readTimeoutSeconds: 5, affinityCookie: 'SESSION' })]),
      STATE,
    );
    expect(linesOf(config, 'backend web')).toEqual([
      'backend web',
      '# default/web:80',
      'timeout server 5s',
      'timeout tunnel 5s',
      'cookie SESSION insert indirect nocache dynamic',
      'dynamic-cookie-key web',
      'server s1 10.244.0.1:8080 ssl verify none',
      'server s2 10.244.0.2:8080 ssl verify none',
      ...[3, 4, 5, 6, 7, 8].map((i) => `server s${i} 127.0.0.1:1 disabled ssl verify none`),
    ]);
    expect(slots.get('web')).toEqual([ep(1), ep(2), null, null, null, null, null, null]);
  });

  it('sends the runtime API seamless-reload sockets and binds every frontend on 80', () => {
    const { config } = haproxyConfig(model([be('web', [])]), STATE);
    expect(config).toContain(`stats socket ${STATE}/admin.sock mode 600 level admin expose-fd listeners`);
    expect(linesOf(config, 'frontend fe_198_18_0_10')).toContain('bind 198.18.0.10:80');
    expect(config).not.toContain(':443');
  });

  it('routes by host and path: element-wise prefixes, exact paths, case-insensitive regexes, wildcard hosts', () => {
    const m = model([be('web', [])]);
    m.frontends[0].hosts = [
      {
        host: 'a.test',
        routes: [
          route('/x', 'web', { kind: 'exact' }),
          route('/api', 'web'),
          route('/v[0-9]', 'web', { kind: 'regex' }),
        ],
      },
      { host: '*.b.test', routes: [route('/', 'web')] },
      { host: '', routes: [route('/', 'web')] },
    ];
    const fe = linesOf(haproxyConfig(m, STATE).config, 'frontend');
    const selection = fe.filter((l) => /^(acl (host|path)_|http-request set-var\(txn.route\))/.test(l));
    expect(selection).toEqual([
      'acl host_0 var(txn.host) -m str a.test',
      "acl path_1 path -m str '/x'",
      'http-request set-var(txn.route) int(1) if !route_set host_0 path_1',
      "acl path_2 path -m str '/api'",
      "acl path_2 path -m beg '/api/'",
      'http-request set-var(txn.route) int(2) if !route_set host_0 path_2',
      "acl path_3 path -m reg -i '^/v[0-9]'",
      'http-request set-var(txn.route) int(3) if !route_set host_0 path_3',
      // A known host whose paths all miss goes no further (route 0: default backend or 404).
      'http-request set-var(txn.route) int(0) if !route_set host_0',
      "acl host_1 var(txn.host) -m reg '^[^.]+\\.b\\.test$'",
      'acl path_4 path -m beg /',
      'http-request set-var(txn.route) int(4) if !route_set host_1 path_4',
      'http-request set-var(txn.route) int(0) if !route_set host_1',
      'acl path_5 path -m beg /',
      'http-request set-var(txn.route) int(5) if !route_set path_5',
    ]);
    expect(fe).toContain(
      'http-request return status 404 content-type text/plain string "404 page not found" if !route_set || route_0',
    );
    expect(fe.filter((l) => l.startsWith('use_backend'))).toEqual(
      [1, 2, 3, 4, 5].map((n) => `use_backend web if route_${n}`),
    );
  });

  it('sends what no route takes to the default backend instead of 404', () => {
    const m = model([be('web', [])]);
    m.frontends[0].defaultBackend = 'web';
    const fe = linesOf(haproxyConfig(m, STATE).config, 'frontend');
    expect(fe.at(-1)).toBe('default_backend web');
    expect(fe.some((l) => l.includes('404'))).toBe(false);
  });

  it('redirects, filters sources, limits bodies and rewrites per route, before choosing the backend', () => {
    const r = route('/app(/|$)(.*)', 'web', {
      kind: 'regex',
      redirectToHttps: true,
      allowedSources: ['10.0.0.0/8', '192.168.1.1'],
      maxBodyBytes: 1024,
      rewriteTarget: '/$2%',
    });
    const fe = linesOf(haproxyConfig(model([be('web', [])], [r]), STATE).config, 'frontend');
    const rules = fe.slice(fe.indexOf('acl route_1 var(txn.route) -m int 1'));
    expect(rules).toEqual([
      'acl route_1 var(txn.route) -m int 1',
      'http-request redirect scheme https code 308 if route_1 !{ ssl_fc }',
      'http-request deny deny_status 403 if route_1 !{ src 10.0.0.0/8 192.168.1.1 }',
      'http-request deny deny_status 413 if route_1 { req.hdr_val(content-length) gt 1024 }',
      "http-request replace-path '(?i)^/app(/|$)(.*)' '/\\2%%' if route_1",
      'http-request return status 404 content-type text/plain string "404 page not found" if !route_set || route_0',
      'use_backend web if route_1',
    ]);
  });

  it('picks a canary by header (always/never, or a value), then by weight', () => {
    const byHeader = route('/', 'web', {
      canary: { ingress: 'default/c', backend: 'new', weight: 10, header: 'X-Canary' },
    });
    const byValue = route('/', 'web', {
      canary: { ingress: 'default/c', backend: 'new', weight: 0, header: 'X-Canary', headerValue: 'yes' },
    });
    const useLines = (r: ProxyRoute): string[] =>
      linesOf(haproxyConfig(model([be('new', []), be('web', [])], [r]), STATE).config, 'frontend').filter((l) =>
        l.startsWith('use_backend'),
      );
    expect(useLines(byHeader)).toEqual([
      'use_backend new if route_1 { req.hdr(X-Canary) -m str always }',
      'use_backend web if route_1 { req.hdr(X-Canary) -m str never }',
      'use_backend new if route_1 { rand(100) lt 10 }',
      'use_backend web if route_1',
    ]);
    expect(useLines(byValue)).toEqual([
      "use_backend new if route_1 { req.hdr(X-Canary) -m str 'yes' }",
      'use_backend web if route_1',
    ]);
  });

  it('serves HTTPS with the default certificate first and a crt-list of the rest, named by content', () => {
    const m = model([be('web', [])]);
    m.certificates = [
      { name: 'default_foo', pem: 'FOO PEM\n' },
      { name: 'default_bar', pem: 'BAR PEM\n' },
    ];
    m.frontends[0].https = true;
    m.frontends[0].certificates = [
      { certificate: 'default_foo', hosts: ['foo.test', '*.foo.test'] },
      { certificate: 'default_bar', hosts: [] },
    ];
    const { config, files } = haproxyConfig(m, STATE);
    const names = [...files.keys()];
    expect(names).toEqual([
      expect.stringMatching(/^tls\/default_foo\.[0-9a-f]{12}\.pem$/),
      expect.stringMatching(/^tls\/default_bar\.[0-9a-f]{12}\.pem$/),
      expect.stringMatching(/^tls\/fe_198_18_0_10\.[0-9a-f]{12}\.crtlist$/),
    ]);
    expect(files.get(names[0])).toBe('FOO PEM\n');
    expect(files.get(names[2])).toBe(`${STATE}/${names[0]} foo.test *.foo.test\n${STATE}/${names[1]}\n`);
    expect(linesOf(config, 'frontend')).toContain(
      `bind 198.18.0.10:443 ssl crt ${STATE}/default.pem crt-list ${STATE}/${names[2]} alpn h2,http/1.1`,
    );
  });
});

describe(runtimeCommands.name, () => {
  it('changes endpoints within the slots by runtime commands, new ones ready before gone ones leave', () => {
    const prev = haproxyConfig(model([be('web', [ep(1), ep(2), ep(3)])]), STATE);
    const next = haproxyConfig(model([be('web', [ep(2), ep(3), ep(4), ep(5)])]), STATE, prev);
    // Endpoints that stay keep their slot; new ones take the free slots.
    expect(next.slots.get('web')?.slice(0, 5)).toEqual([ep(4), ep(2), ep(3), ep(5), null]);
    expect(runtimeCommands(prev, next)).toEqual({
      reload: false,
      commands: [
        'set server web/s1 addr 10.244.0.4 port 8080',
        'set server web/s1 state ready',
        'set server web/s4 addr 10.244.0.5 port 8080',
        'set server web/s4 state ready',
      ],
    });
    const emptied = haproxyConfig(model([be('web', [])]), STATE, next);
    expect(runtimeCommands(next, emptied)).toEqual({
      reload: false,
      commands: [1, 2, 3, 4].map((i) => `set server web/s${i} state maint`),
    });
  });

  it('needs nothing for the same model', () => {
    const prev = haproxyConfig(model([be('web', [ep(1)])]), STATE);
    expect(runtimeCommands(prev, haproxyConfig(model([be('web', [ep(1)])]), STATE, prev))).toEqual({
      reload: false,
      commands: [],
    });
  });

  it('needs a reload when endpoints outgrow the slots or anything else changes', () => {
    const prev = haproxyConfig(model([be('web', [ep(1)])]), STATE);
    const many = Array.from({ length: 9 }, (_, i) => ep(i + 1));
    expect(runtimeCommands(prev, haproxyConfig(model([be('web', many)]), STATE, prev))).toEqual({
      reload: true,
      reason: expect.stringMatching(/^the configuration changes beyond endpoints at line \d+: server s9 <slot>$/),
    });
    const moreRoutes = model([be('web', [ep(1)])], [route('/', 'web'), route('/x', 'web')]);
    const decision = runtimeCommands(prev, haproxyConfig(moreRoutes, STATE, prev));
    expect(decision).toMatchObject({ reload: true, reason: expect.stringContaining("acl path_2 path -m str '/x'") });
  });
});
