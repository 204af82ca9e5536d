import { Ingress } from '@skiff/kube-types';
import { backend, endpointSlice, ingress, rule, selfSignedCertificate, service, tlsSecret } from './ingress.fixture';
import { IngressProxyInput, ingressProxyModel, ProxyFrontend } from './ingress-model';

const ADDRESS = '198.18.0.10';
const nginx = (name: string): string => `nginx.ingress.kubernetes.io/${name}`;

function input(ingresses: Ingress[], extra: Partial<IngressProxyInput> = {}): IngressProxyInput {
  return {
    classes: [{ name: 'skiff', address: ADDRESS }],
    defaultClass: 'skiff',
    ingresses,
    services: [service('web', [{ name: 'http', port: 80 }]), service('api', [{ port: 8080 }])],
    slices: [
      endpointSlice('web', [{ name: 'http', port: 8080 }], [{ ip: '10.244.0.5' }, { ip: '10.244.0.4' }]),
      endpointSlice('api', [{ port: 9000 }], [{ ip: '10.244.0.9' }]),
    ],
    secrets: [],
    ...extra,
  };
}

function frontendOf(ingresses: Ingress[], extra: Partial<IngressProxyInput> = {}): ProxyFrontend {
  return ingressProxyModel(input(ingresses, extra)).model.frontends[0];
}

/** `host path kind` of every route, in the order they are tried. */
function routeOrder(fe: ProxyFrontend): string[] {
  return fe.hosts.flatMap((h) => h.routes.map((r) => `${h.host || '*'} ${r.path} ${r.kind}`));
}

describe(ingressProxyModel.name, () => {
  describe('classes', () => {
    it('serves the Ingresses of its classes on their addresses, and the class-less ones on the default class', () => {
      const { model } = ingressProxyModel(
        input(
          [
            ingress('named', { ingressClassName: 'other', rules: [rule('a.test', { '/': 'web:80' })] }),
            ingress(
              'legacy',
              { rules: [rule('b.test', { '/': 'web:80' })] },
              { annotations: { 'kubernetes.io/ingress.class': 'skiff' } },
            ),
            ingress('classless', { rules: [rule('c.test', { '/': 'web:80' })] }),
            ingress('foreign', { ingressClassName: 'nginx', rules: [rule('d.test', { '/': 'web:80' })] }),
          ],
          {
            classes: [
              { name: 'skiff', address: ADDRESS },
              { name: 'other', address: '198.18.0.11' },
              { name: 'idle', address: '198.18.0.12' },
            ],
          },
        ),
      );
      expect(model.frontends.map((f) => [f.address, f.hosts.map((h) => h.host)])).toEqual([
        [ADDRESS, ['b.test', 'c.test']],
        ['198.18.0.11', ['a.test']],
        // A class without Ingresses still answers (404).
        ['198.18.0.12', []],
      ]);
    });
  });

  describe('backends', () => {
    it('resolves a Service port by number or name to the ready endpoints of its slices, with the target port', () => {
      const { model, warnings } = ingressProxyModel(
        input([ingress('a', { rules: [rule('a.test', { '/n': 'web:http', '/p': 'web:80', '/api': 'api:8080' })] })], {
          slices: [
            endpointSlice(
              'web',
              [{ name: 'http', port: 8080 }],
              [{ ip: '10.244.0.5' }, { ip: '10.244.0.4' }, { ip: '10.244.0.6', ready: false }],
            ),
            endpointSlice('api', [{ port: 9000 }], [{ ip: '10.244.0.9' }]),
            endpointSlice('api', [{ port: 9000 }], [{ ip: '10.244.1.9' }], 'other-ns'),
          ],
        }),
      );
      expect(warnings).toEqual([]);
      expect(model.backends.map((b) => [b.name, b.service, b.endpoints])).toEqual([
        ['default_api_8080', 'default/api:8080', [{ ip: '10.244.0.9', port: 9000 }]],
        [
          'default_web_80',
          'default/web:80',
          [
            { ip: '10.244.0.4', port: 8080 },
            { ip: '10.244.0.5', port: 8080 },
          ],
        ],
        [
          'default_web_http',
          'default/web:http',
          [
            { ip: '10.244.0.4', port: 8080 },
            { ip: '10.244.0.5', port: 8080 },
          ],
        ],
      ]);
    });

    it('reaches headless Services through their slices', () => {
      const { model } = ingressProxyModel(
        input([ingress('a', { rules: [rule('a.test', { '/': 'db:5000' })] })], {
          services: [service('db', [{ port: 5000 }], { clusterIP: 'None' })],
          slices: [endpointSlice('db', [{ port: 5000 }], [{ ip: '10.244.0.7' }])],
        }),
      );
      expect(model.backends[0].endpoints).toEqual([{ ip: '10.244.0.7', port: 5000 }]);
    });

    it('keeps a backend without endpoints (503) for a missing Service or port, with a warning', () => {
      const { model, warnings } = ingressProxyModel(
        input([ingress('a', { rules: [rule('a.test', { '/x': 'gone:80', '/y': 'web:81' })] })]),
      );
      expect(model.backends.map((b) => [b.name, b.endpoints])).toEqual([
        ['default_gone_80', []],
        ['default_web_81', []],
      ]);
      expect(warnings).toEqual([
        { ingress: 'default/a', message: 'Service default/gone not found; requests for it get 503' },
        { ingress: 'default/a', message: 'Service default/web has no TCP port 81; requests for it get 503' },
      ]);
    });
  });

  describe('routes', () => {
    it('tries exact hosts, then wildcards, then any host; exact paths, then the longest first', () => {
      const fe = frontendOf([
        ingress('any', { rules: [rule(undefined, { '/': 'web:80' })] }),
        ingress('wild', { rules: [rule('*.example.com', { '/': 'web:80' })] }),
        ingress('prefixes', {
          rules: [rule('foo.example.com', { '/': 'web:80', '/api/v1/': 'api:8080', '/api': 'api:8080' })],
        }),
        ingress('exact', { rules: [rule('foo.example.com', { '/api/health': 'web:80' }, 'Exact')] }),
        ingress('regex', {
          rules: [rule('foo.example.com', { '/api/v[0-9]+': 'api:8080' }, 'ImplementationSpecific')],
        }),
      ]);
      expect(routeOrder(fe)).toEqual([
        'foo.example.com /api/health exact',
        'foo.example.com /api/v[0-9]+ regex',
        // Prefixes lose their trailing slash: /api/v1/ serves /api/v1 too.
        'foo.example.com /api/v1 prefix',
        'foo.example.com /api prefix',
        'foo.example.com / prefix',
        '*.example.com / prefix',
        '* / prefix',
      ]);
    });

    it('leaves a host/path another Ingress already serves to the older one', () => {
      const { model, warnings } = ingressProxyModel(
        input([
          ingress('newer', { rules: [rule('a.test', { '/': 'api:8080' })] }, { created: '2026-02-01T00:00:00Z' }),
          ingress('older', { rules: [rule('a.test', { '/': 'web:80' })] }, { created: '2026-01-01T00:00:00Z' }),
        ]),
      );
      expect(model.frontends[0].hosts[0].routes.map((r) => [r.ingress, r.backend])).toEqual([
        ['default/older', 'default_web_80'],
      ]);
      expect(warnings).toEqual([
        { ingress: 'default/newer', message: 'a.test/ (prefix) is already served by default/older' },
      ]);
    });

    it('turns Prefix paths into regexes under rewrite-target or use-regex, as ingress-nginx does', () => {
      const fe = frontendOf([
        ingress(
          'rw',
          { rules: [rule('a.test', { '/app(/|$)(.*)': 'web:80' })] },
          { annotations: { [nginx('rewrite-target')]: '/$2' } },
        ),
        ingress(
          're',
          { rules: [rule('b.test', { '/v[12]/': 'web:80' })] },
          { annotations: { [nginx('use-regex')]: 'true' } },
        ),
      ]);
      expect(fe.hosts.map((h) => h.routes.map((r) => [r.kind, r.path, r.rewriteTarget]))).toEqual([
        [['regex', '/app(/|$)(.*)', '/$2']],
        [['regex', '/v[12]/', undefined]],
      ]);
    });

    it('ignores invalid paths and hosts with a warning', () => {
      const { model, warnings } = ingressProxyModel(
        input([
          ingress('a', {
            rules: [
              rule('a.test', { '/ok': 'web:80', '/(': 'web:80' }, 'ImplementationSpecific'),
              rule('a.test', { "/it's": 'web:80' }),
              rule('*.*.test', { '/': 'web:80' }),
            ],
          }),
        ]),
      );
      expect(routeOrder(model.frontends[0])).toEqual(['a.test /ok regex']);
      expect(warnings.map((w) => w.message)).toEqual([
        'path "/(" ignored: not a valid regular expression',
        `path "/it's" ignored: must start with / and have no whitespace or quote`,
        'rule for host "*.*.test" ignored: not a DNS name or a wildcard one label deep',
      ]);
    });

    it('takes the oldest spec.defaultBackend of an address', () => {
      const { model, warnings } = ingressProxyModel(
        input([
          ingress('first', { defaultBackend: backend('web:80') }),
          ingress('second', { defaultBackend: backend('api:8080') }, { created: '2026-03-01T00:00:00Z' }),
        ]),
      );
      expect(model.frontends[0].defaultBackend).toBe('default_web_80');
      expect(warnings).toEqual([
        {
          ingress: 'default/second',
          message: `spec.defaultBackend ignored: default/first sets the default backend of ${ADDRESS}`,
        },
      ]);
    });
  });

  describe('TLS', () => {
    const foo = selfSignedCertificate('foo.example.com');
    const bar = selfSignedCertificate('bar.example.com');
    const secrets = [
      tlsSecret('foo-tls', foo.crt, foo.key),
      tlsSecret('bar-tls', bar.crt, bar.key),
      tlsSecret('mixed', foo.crt, bar.key),
    ];

    it('binds each certificate to its hosts and redirects them to HTTPS', () => {
      const { model, warnings } = ingressProxyModel(
        input(
          [
            ingress('a', {
              tls: [
                { hosts: ['foo.example.com'], secretName: 'foo-tls' },
                { hosts: ['bar.example.com'], secretName: 'bar-tls' },
              ],
              rules: [
                rule('foo.example.com', { '/': 'web:80' }),
                rule('bar.example.com', { '/': 'web:80' }),
                rule('plain.test', { '/': 'web:80' }),
              ],
            }),
          ],
          { secrets },
        ),
      );
      expect(warnings).toEqual([]);
      const fe = model.frontends[0];
      expect(fe.https).toBe(true);
      expect(fe.certificates).toEqual([
        { certificate: 'default_foo-tls', hosts: ['foo.example.com'] },
        { certificate: 'default_bar-tls', hosts: ['bar.example.com'] },
      ]);
      expect(model.certificates.map((c) => c.name)).toEqual(['default_bar-tls', 'default_foo-tls']);
      expect(model.certificates[1].pem).toBe(`${foo.crt.trim()}\n${foo.key.trim()}\n`);
      expect(fe.hosts.map((h) => [h.host, h.routes[0].redirectToHttps])).toEqual([
        ['bar.example.com', true],
        ['foo.example.com', true],
        ['plain.test', false],
      ]);
    });

    it('serves hosts of a missing or invalid Secret with the default certificate, with a warning', () => {
      const { model, warnings } = ingressProxyModel(
        input(
          [
            ingress('a', {
              tls: [
                { hosts: ['foo.example.com'], secretName: 'nope' },
                { hosts: ['bar.example.com'], secretName: 'mixed' },
              ],
              rules: [rule('foo.example.com', { '/': 'web:80' })],
            }),
          ],
          { secrets },
        ),
      );
      expect(model.frontends[0].https).toBe(true);
      expect(model.frontends[0].certificates).toEqual([]);
      expect(model.frontends[0].hosts[0].routes[0].redirectToHttps).toBe(true);
      expect(warnings.map((w) => w.message)).toEqual([
        'TLS Secret default/nope not found; the default certificate is served instead',
        'TLS Secret default/mixed: tls.key does not belong to tls.crt; the default certificate is served instead',
      ]);
    });

    it('honours ssl-redirect "false" and force-ssl-redirect "true"', () => {
      const fe = frontendOf(
        [
          ingress(
            'no-redirect',
            {
              tls: [{ hosts: ['foo.example.com'], secretName: 'foo-tls' }],
              rules: [rule('foo.example.com', { '/': 'web:80' })],
            },
            { annotations: { [nginx('ssl-redirect')]: 'false' } },
          ),
          ingress(
            'forced',
            { rules: [rule('plain.test', { '/': 'web:80' })] },
            { annotations: { [nginx('force-ssl-redirect')]: 'true' } },
          ),
        ],
        { secrets },
      );
      expect(fe.hosts.map((h) => [h.host, h.routes[0].redirectToHttps])).toEqual([
        ['foo.example.com', false],
        ['plain.test', true],
      ]);
    });

    it('listens on 443 for a forced redirect even without TLS', () => {
      const fe = frontendOf([
        ingress(
          'forced',
          { rules: [rule('plain.test', { '/': 'web:80' })] },
          { annotations: { [nginx('force-ssl-redirect')]: 'true' } },
        ),
      ]);
      expect(fe.https).toBe(true);
    });

    it('covers one label below a wildcard TLS host', () => {
      const fe = frontendOf([
        ingress('a', {
          tls: [{ hosts: ['*.example.com'] }],
          rules: [rule('x.example.com', { '/': 'web:80' }), rule('x.y.example.com', { '/': 'web:80' })],
        }),
      ]);
      expect(fe.hosts.map((h) => [h.host, h.routes[0].redirectToHttps])).toEqual([
        ['x.example.com', true],
        ['x.y.example.com', false],
      ]);
    });
  });

  describe('annotations', () => {
    const annotated = (annotations: Record<string, string>): ReturnType<typeof ingressProxyModel> =>
      ingressProxyModel(input([ingress('a', { rules: [rule('a.test', { '/': 'web:80' })] }, { annotations })]));

    it('carries body size and source ranges into routes, protocol, read timeout and affinity into backends', () => {
      const { model, warnings } = annotated({
        [nginx('proxy-body-size')]: '8m',
        [nginx('proxy-read-timeout')]: '120',
        [nginx('whitelist-source-range')]: '10.0.0.0/8, 192.168.1.1',
        [nginx('backend-protocol')]: 'https',
        [nginx('affinity')]: 'cookie',
      });
      expect(warnings).toEqual([]);
      const route = model.frontends[0].hosts[0].routes[0];
      expect([route.maxBodyBytes, route.allowedSources]).toEqual([8 * 1024 * 1024, ['10.0.0.0/8', '192.168.1.1']]);
      const { name, ...be } = model.backends[0];
      expect(name).toMatch(/^default_web_80_[0-9a-f]{8}$/);
      expect(be).toEqual({
        service: 'default/web:80',
        protocol: 'HTTPS',
        readTimeoutSeconds: 120,
        affinityCookie: 'INGRESSCOOKIE',
        endpoints: [
          { ip: '10.244.0.4', port: 8080 },
          { ip: '10.244.0.5', port: 8080 },
        ],
      });
    });
  });

  describe('canary', () => {
    const main = ingress('main', { rules: [rule('a.test', { '/': 'web:80' })] });
    const canary = (annotations: Record<string, string>, path = '/'): Ingress =>
      ingress(
        'canary',
        { rules: [rule('a.test', { [path]: 'api:8080' })] },
        {
          annotations: { [nginx('canary')]: 'true', ...annotations },
          created: '2025-01-01T00:00:00Z',
        },
      );

    it('adds its backend to the same host/path of the main Ingress, by weight and header', () => {
      const { model, warnings } = ingressProxyModel(
        input([
          canary({
            [nginx('canary-weight')]: '20',
            [nginx('canary-by-header')]: 'X-Canary',
            [nginx('canary-by-header-value')]: 'yes',
          }),
          main,
        ]),
      );
      expect(warnings).toEqual([]);
      const routes = model.frontends[0].hosts[0].routes;
      expect(routes).toHaveLength(1);
      expect(routes[0]).toMatchObject({
        ingress: 'default/main',
        backend: 'default_web_80',
        canary: {
          ingress: 'default/canary',
          backend: 'default_api_8080',
          weight: 20,
          header: 'X-Canary',
          headerValue: 'yes',
        },
      });
    });

    it('serves nothing alone', () => {
      const { model, warnings } = ingressProxyModel(input([main, canary({}, '/other')]));
      expect(model.frontends[0].hosts[0].routes.map((r) => r.canary)).toEqual([undefined]);
      expect(warnings).toEqual([
        { ingress: 'default/canary', message: 'canary for a.test/other ignored: it is served by no main Ingress' },
      ]);
    });
  });
});
