import { ingress } from './ingress.fixture';
import { IngressAnnotations, ingressAnnotations, IngressWarning } from './ingress-annotations';

const nginx = (name: string): string => `nginx.ingress.kubernetes.io/${name}`;

function read(annotations: Record<string, string>): { result: IngressAnnotations; warnings: IngressWarning[] } {
  const warnings: IngressWarning[] = [];
  const result = ingressAnnotations(ingress('a', {}, { annotations }), warnings);
  return { result, warnings };
}

describe(ingressAnnotations.name, () => {
  it("has ingress-nginx's defaults: redirect TLS hosts, HTTP backends, 1m bodies, 60 s reads", () => {
    expect(read({})).toEqual({
      result: {
        useRegex: false,
        sslRedirect: true,
        forceSslRedirect: false,
        backendProtocol: 'HTTP',
        maxBodyBytes: 1024 * 1024,
        readTimeoutSeconds: 60,
      },
      warnings: [],
    });
  });

  it('reads valid values; proxy-body-size 0 is unlimited', () => {
    const { result, warnings } = read({
      [nginx('rewrite-target')]: '/$2',
      [nginx('use-regex')]: 'true',
      [nginx('ssl-redirect')]: 'false',
      [nginx('force-ssl-redirect')]: 'true',
      [nginx('backend-protocol')]: 'https',
      [nginx('proxy-body-size')]: '0',
      [nginx('proxy-read-timeout')]: '300',
      [nginx('whitelist-source-range')]: '10.0.0.0/8,192.168.1.1, 2001:db8::/32',
      [nginx('canary')]: 'true',
      [nginx('canary-weight')]: '100',
      [nginx('canary-by-header')]: 'X-Canary',
      [nginx('canary-by-header-value')]: 'on',
      [nginx('affinity')]: 'cookie',
      [nginx('session-cookie-name')]: 'route',
    });
    expect(warnings).toEqual([]);
    expect(result).toEqual({
      rewriteTarget: '/$2',
      useRegex: true,
      sslRedirect: false,
      forceSslRedirect: true,
      backendProtocol: 'HTTPS',
      readTimeoutSeconds: 300,
      allowedSources: ['10.0.0.0/8', '192.168.1.1', '2001:db8::/32'],
      canary: { weight: 100, header: 'X-Canary', headerValue: 'on' },
      affinityCookie: 'route',
    });
  });

  it('reports invalid and unsupported annotations by name and keeps their defaults', () => {
    const { result, warnings } = read({
      [nginx('proxy-body-size')]: 'big',
      [nginx('proxy-read-timeout')]: '-1',
      [nginx('whitelist-source-range')]: '10.0.0.0/33',
      [nginx('backend-protocol')]: 'GRPC',
      [nginx('ssl-redirect')]: 'yes',
      [nginx('affinity')]: 'ip',
      [nginx('rewrite-target')]: '/a b',
      [nginx('canary')]: 'true',
      [nginx('canary-weight')]: '150',
      [nginx('canary-by-header')]: 'X Canary',
      [nginx('configuration-snippet')]: 'more_set_headers "X: y";',
    });
    expect(warnings).toEqual(
      [
        ['configuration-snippet', 'not supported by the Ingress proxy; ignored'],
        ['ssl-redirect', '"yes" is not "true" or "false"; ignored'],
        ['rewrite-target', '"/a b" has whitespace, a quote or a backslash; ignored'],
        ['backend-protocol', 'GRPC is not supported by the Ingress proxy; HTTP is used'],
        ['proxy-body-size', '"big" is not a size such as 8m, 512k or 0'],
        ['proxy-read-timeout', '"-1" is not a positive number of seconds'],
        ['whitelist-source-range', '"10.0.0.0/33" is not a comma-separated list of CIDRs'],
        ['canary-weight', '"150" is not a whole number from 0 to 100'],
        ['canary-by-header', '"X Canary" is not a valid header name'],
        ['affinity', '"ip" is not supported (only "cookie")'],
      ].map(([name, message]) => ({ ingress: 'default/a', annotation: nginx(name), message })),
    );
    expect(result).toEqual({ ...read({}).result, canary: { weight: 0 } });
  });
});
