import type { Service, ServiceSpec } from '@skiff/kube-types';
import {
  healthCheckOf,
  ipv4CidrOf,
  listenerProtocolOf,
  SLB_ANNOTATION_PREFIX,
  SLB_LEGACY_ANNOTATION_PREFIX,
  SlbOptions,
  slbOptionsOf,
} from './slb-options';

const A = SLB_ANNOTATION_PREFIX;
const LEGACY = SLB_LEGACY_ANNOTATION_PREFIX;

function service(annotations: Record<string, string> = {}, spec: Partial<ServiceSpec> = {}): Service {
  return {
    metadata: { name: 'web', namespace: 'default', annotations },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }, { port: 443 }], ...spec },
  };
}

/** The options for annotations written with the new prefix. */
function parse(values: Record<string, string>, spec: Partial<ServiceSpec> = {}) {
  return slbOptionsOf(service(Object.fromEntries(Object.entries(values).map(([k, v]) => [A + k, v])), spec));
}

describe(slbOptionsOf.name, () => {
  it('has the documented defaults and no warnings for a plain LoadBalancer Service', () => {
    const { options, warnings } = slbOptionsOf(service());
    expect(warnings).toEqual([]);
    expect(options).toEqual<SlbOptions>({
      addressType: 'internet',
      loadBalancerId: undefined,
      forceOverrideListeners: false,
      spec: 'slb.s1.small',
      bandwidthMbps: undefined,
      scheduler: 'rr',
      protocolPorts: [],
      healthCheckSwitch: true,
      healthCheckFlag: false,
      healthCheck: {
        type: 'tcp',
        connectPort: undefined,
        uri: '/',
        domain: undefined,
        httpCodes: ['http_2xx'],
        intervalSeconds: 2,
        timeoutSeconds: 5,
        healthyThreshold: 3,
        unhealthyThreshold: 3,
      },
      stickySession: undefined,
      persistenceTimeoutSeconds: 0,
      acl: undefined,
      sourceRanges: [],
      loadBalancerIP: undefined,
    });
  });

  // [annotation, valid value, where it lands, expected, invalid value, default]
  const simple: [string, string, (o: SlbOptions) => unknown, unknown, string, unknown][] = [
    ['address-type', 'intranet', (o) => o.addressType, 'intranet', 'private', 'internet'],
    ['id', 'lb-2ze0k1b8a9cd', (o) => o.loadBalancerId, 'lb-2ze0k1b8a9cd', 'my-lb', undefined],
    ['force-override-listeners', 'true', (o) => o.forceOverrideListeners, true, 'yes', false],
    ['spec', 'slb.s3.large', (o) => o.spec, 'slb.s3.large', 'slb.s9.huge', 'slb.s1.small'],
    ['bandwidth', '100', (o) => o.bandwidthMbps, 100, '5121', undefined],
    ['scheduler', 'wlc', (o) => o.scheduler, 'wlc', 'random', 'rr'],
    ['health-check-switch', 'off', (o) => o.healthCheckSwitch, false, 'no', true],
    ['health-check-flag', 'on', (o) => o.healthCheckFlag, true, 'true', false],
    ['health-check-type', 'http', (o) => o.healthCheck.type, 'http', 'udp', 'tcp'],
    ['health-check-connect-port', '8080', (o) => o.healthCheck.connectPort, 8080, '70000', undefined],
    ['health-check-uri', '/healthz?full=1', (o) => o.healthCheck.uri, '/healthz?full=1', 'healthz', '/'],
    ['health-check-domain', 'www.example.com', (o) => o.healthCheck.domain, 'www.example.com', 'a b', undefined],
    [
      'health-check-httpcode',
      'http_2xx,http_3xx',
      (o) => o.healthCheck.httpCodes,
      ['http_2xx', 'http_3xx'],
      'http_2xx,200',
      ['http_2xx'],
    ],
    ['health-check-interval', '1', (o) => o.healthCheck.intervalSeconds, 1, '51', 2],
    ['health-check-connect-timeout', '8', (o) => o.healthCheck.timeoutSeconds, 8, '0', 5],
    ['healthy-threshold', '10', (o) => o.healthCheck.healthyThreshold, 10, '1', 3],
    ['unhealthy-threshold', '2', (o) => o.healthCheck.unhealthyThreshold, 2, '2.5', 3],
    ['persistence-timeout', '1800', (o) => o.persistenceTimeoutSeconds, 1800, '3601', 0],
  ];

  it.each(simple)('reads %s', (name, valid, get, expected, invalid, fallback) => {
    const ok = parse({ [name]: valid });
    expect(ok.warnings).toEqual([]);
    expect(get(ok.options)).toEqual(expected);

    const bad = parse({ [name]: invalid });
    expect(get(bad.options)).toEqual(fallback);
    expect(bad.warnings).toEqual([{ annotation: A + name, message: expect.stringContaining(`"${invalid}" is`) }]);
  });

  it.each(simple)('reads %s under the legacy prefix too', (name, valid, get, expected) => {
    const { options, warnings } = slbOptionsOf(service({ [LEGACY + name]: valid }));
    expect(warnings).toEqual([]);
    expect(get(options)).toEqual(expected);
  });

  it('prefers the new prefix when both are set, and warns about an invalid legacy value only when it is read', () => {
    const both = slbOptionsOf(service({ [A + 'scheduler']: 'wlc', [LEGACY + 'scheduler']: 'junk' }));
    expect(both.options.scheduler).toBe('wlc');
    expect(both.warnings).toEqual([]);
    const legacyOnly = slbOptionsOf(service({ [LEGACY + 'scheduler']: 'junk' }));
    expect(legacyOnly.warnings).toEqual([{ annotation: LEGACY + 'scheduler', message: expect.any(String) }]);
  });

  it('values are case-sensitive, as the CCM documents, and trimmed', () => {
    expect(parse({ 'address-type': 'Intranet' }).options.addressType).toBe('internet');
    expect(parse({ 'address-type': ' intranet ' }).options.addressType).toBe('intranet');
  });

  it('takes the timeout of the check type, validates the other, and never uses one below the interval', () => {
    const http = parse({
      'health-check-type': 'http',
      'health-check-timeout': '10',
      'health-check-connect-timeout': '3',
    });
    expect(http.options.healthCheck.timeoutSeconds).toBe(10);
    expect(parse({ 'health-check-connect-timeout': '3' }).options.healthCheck.timeoutSeconds).toBe(3);
    expect(parse({ 'health-check-timeout': '9' }).options.healthCheck.timeoutSeconds).toBe(5);
    expect(parse({ 'health-check-timeout': '301' }).warnings).toEqual([
      { annotation: A + 'health-check-timeout', message: expect.stringContaining('from 1 to 300') },
    ]);
    // CLB: a timeout below the interval is void and the interval is the timeout.
    const short = parse({ 'health-check-interval': '7', 'health-check-connect-timeout': '3' });
    expect(short.options.healthCheck.timeoutSeconds).toBe(7);
  });

  it('reads -520 and $_ip as "the backend\'s own" port and host', () => {
    const { options, warnings } = parse({ 'health-check-connect-port': '-520', 'health-check-domain': '$_ip' });
    expect(warnings).toEqual([]);
    expect(options.healthCheck.connectPort).toBeUndefined();
    expect(options.healthCheck.domain).toBeUndefined();
  });

  describe('protocol-port', () => {
    it('maps ports to listener protocols and says HTTP(S) is served as TCP', () => {
      const { options, warnings } = parse({ 'protocol-port': 'https:443,http:80' });
      expect(options.protocolPorts).toEqual([
        { protocol: 'https', port: 443 },
        { protocol: 'http', port: 80 },
      ]);
      expect(warnings).toEqual([
        { annotation: A + 'protocol-port', message: 'https:443: HTTP(S) listeners are not supported, served as TCP' },
        { annotation: A + 'protocol-port', message: 'http:80: HTTP(S) listeners are not supported, served as TCP' },
      ]);
    });

    it('leaves out malformed entries and names ports the Service does not have', () => {
      const { options, warnings } = parse({ 'protocol-port': 'tcp:80,ftp:21,https,udp:0,tcp:8080' });
      expect(options.protocolPorts).toEqual([
        { protocol: 'tcp', port: 80 },
        { protocol: 'tcp', port: 8080 },
      ]);
      expect(warnings.map((w) => w.message)).toEqual([
        expect.stringContaining('"ftp:21" is not protocol:port'),
        expect.stringContaining('"https" is not protocol:port'),
        expect.stringContaining('"udp:0" is not protocol:port'),
        'port 8080 is not a port of the Service',
      ]);
    });

    it('decides the listener protocol and whether its backends are checked', () => {
      const { options } = parse({ 'protocol-port': 'http:80' });
      expect(listenerProtocolOf(options, { port: 80 })).toBe('http');
      expect(listenerProtocolOf(options, { port: 443 })).toBe('tcp');
      expect(listenerProtocolOf(options, { port: 53, protocol: 'UDP' })).toBe('udp');
      // TCP listeners follow health-check-switch (on), HTTP ones health-check-flag (off); UDP ones are not probed.
      expect(healthCheckOf(options, 'tcp')).toBe(options.healthCheck);
      expect(healthCheckOf(options, 'http')).toBeUndefined();
      expect(healthCheckOf(options, 'udp')).toBeUndefined();
      const flipped = parse({ 'health-check-switch': 'off', 'health-check-flag': 'on' }).options;
      expect(healthCheckOf(flipped, 'tcp')).toBeUndefined();
      expect(healthCheckOf(flipped, 'https')).toBe(flipped.healthCheck);
    });
  });

  describe('sticky sessions', () => {
    it('are off unless asked for, but their values are still checked', () => {
      const { options, warnings } = parse({ 'sticky-session-type': 'insert', 'cookie-timeout': '0', cookie: 'a;b' });
      expect(options.stickySession).toBeUndefined();
      expect(warnings.map((w) => w.annotation)).toEqual([A + 'cookie-timeout', A + 'cookie']);
    });

    it('insert a cookie or rewrite the server one, and say they need an HTTP listener', () => {
      const insert = parse({ 'sticky-session': 'on', 'sticky-session-type': 'insert', 'cookie-timeout': '1800' });
      expect(insert.options.stickySession).toEqual({ type: 'insert', cookieTimeoutSeconds: 1800 });
      expect(insert.warnings).toEqual([
        { annotation: A + 'sticky-session', message: expect.stringContaining('served as TCP') },
      ]);
      const server = parse({ 'sticky-session': 'on', 'sticky-session-type': 'server', cookie: 'my_cookie-1' });
      expect(server.options.stickySession).toEqual({ type: 'server', cookie: 'my_cookie-1' });
    });

    it('are not applied when the type or its companion is missing', () => {
      for (const values of <Record<string, string>[]>[
        { 'sticky-session': 'on' },
        { 'sticky-session': 'on', 'sticky-session-type': 'insert' },
        { 'sticky-session': 'on', 'sticky-session-type': 'server', 'cookie-timeout': '60' },
      ]) {
        const { options, warnings } = parse(values);
        expect(options.stickySession).toBeUndefined();
        expect(warnings).toEqual([{ annotation: A + 'sticky-session', message: expect.stringContaining('needs') }]);
      }
      expect(parse({ 'sticky-session': 'yes' }).warnings).toHaveLength(1);
      expect(parse({ 'sticky-session-type': 'rewrite' }).warnings).toHaveLength(1);
    });
  });

  describe('ACL', () => {
    it('takes the CIDRs (or addresses) written in acl-id', () => {
      const { options, warnings } = parse({
        'acl-status': 'on',
        'acl-type': 'white',
        'acl-id': '192.0.2.0/24, 198.51.100.7,10.1.2.3/8',
      });
      expect(warnings).toEqual([]);
      expect(options.acl).toEqual({ type: 'white', cidrs: ['192.0.2.0/24', '198.51.100.7/32', '10.0.0.0/8'] });
    });

    it('does not look ACL ids up, and leaves invalid entries out', () => {
      const { options, warnings } = parse({
        'acl-status': 'on',
        'acl-type': 'black',
        'acl-id': 'acl-bp1x,10.0.0.0/33,192.0.2.1',
      });
      expect(options.acl).toEqual({ type: 'black', cidrs: ['192.0.2.1/32'] });
      expect(warnings).toEqual([
        { annotation: A + 'acl-id', message: expect.stringContaining('acl-bp1x: ACL ids are not supported') },
        { annotation: A + 'acl-id', message: expect.stringContaining('"10.0.0.0/33" is not an IPv4 CIDR') },
      ]);
    });

    it('filters nothing when off, without a type, or without entries (CLB forwards everything then)', () => {
      expect(parse({ 'acl-type': 'white', 'acl-id': '192.0.2.0/24' }).options.acl).toBeUndefined();
      const noType = parse({ 'acl-status': 'on', 'acl-id': '192.0.2.0/24' });
      expect(noType.options.acl).toBeUndefined();
      expect(noType.warnings).toEqual([{ annotation: A + 'acl-status', message: expect.stringContaining('acl-type') }]);
      const onlyId = parse({ 'acl-status': 'on', 'acl-type': 'white', 'acl-id': 'acl-bp1x' });
      expect(onlyId.options.acl).toBeUndefined();
      expect(parse({ 'acl-status': 'enabled' }).warnings).toHaveLength(1);
      expect(parse({ 'acl-type': 'grey' }).warnings).toHaveLength(1);
    });
  });

  describe('unknown annotations', () => {
    it('names the full key of annotations it does not know or does not support, under either prefix', () => {
      const { warnings } = slbOptionsOf(
        service({
          [A + 'health-check-intervall']: '3',
          [LEGACY + 'cert-id']: '123',
          'service.beta.kubernetes.io/other-cloud-thing': 'x',
          'example.com/unrelated': 'y',
        }),
      );
      expect(warnings).toHaveLength(2);
      expect(warnings).toEqual(
        expect.arrayContaining([
          { annotation: A + 'health-check-intervall', message: 'unknown SLB annotation; ignored' },
          { annotation: LEGACY + 'cert-id', message: 'not supported by Skiff; ignored' },
        ]),
      );
    });
  });

  describe('spec fields', () => {
    it('reads loadBalancerSourceRanges as network CIDRs and leaves out invalid ones', () => {
      const { options, warnings } = parse(
        {},
        { loadBalancerSourceRanges: ['203.0.113.0/24', '10.9.8.7/16', 'fe80::/10'] },
      );
      expect(options.sourceRanges).toEqual(['203.0.113.0/24', '10.9.0.0/16']);
      expect(warnings).toEqual([
        { annotation: 'spec.loadBalancerSourceRanges', message: '"fe80::/10" is not an IPv4 CIDR; left out' },
      ]);
    });

    it('takes loadBalancerIP only as an IPv4 address', () => {
      expect(parse({}, { loadBalancerIP: '198.18.0.9' })).toEqual(
        expect.objectContaining({ options: expect.objectContaining({ loadBalancerIP: '198.18.0.9' }), warnings: [] }),
      );
      for (const ip of ['198.18.0.0/24', '198.18.0.256', 'lb.example.com']) {
        const { options, warnings } = parse({}, { loadBalancerIP: ip });
        expect(options.loadBalancerIP).toBeUndefined();
        expect(warnings).toEqual([
          { annotation: 'spec.loadBalancerIP', message: `"${ip}" is not an IPv4 address; ignored` },
        ]);
      }
    });
  });
});

describe(ipv4CidrOf.name, () => {
  it('clears host bits, makes an address a /32 and refuses anything else', () => {
    expect(ipv4CidrOf('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(ipv4CidrOf('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(ipv4CidrOf('255.255.255.255')).toBe('255.255.255.255/32');
    for (const bad of ['10.0.0.0/', '10.0.0.0/33', '10.0.0/8', '10.0.0.0/8/1', '', 'acl-1'])
      expect(ipv4CidrOf(bad)).toBeUndefined();
  });
});
