import { ConfigError, EnvReader, loadNetworkSvcConfig } from '@skiff/config';

describe('loadNetworkSvcConfig', () => {
  it('defaults to the 10.244.0.0/16 VSwitch on loopback infrastructure', () => {
    const cfg = loadNetworkSvcConfig(new EnvReader({}));
    expect(cfg).toMatchObject({
      vswitchCidr: '10.244.0.0/16',
      natsPrefix: 'skiff',
      natsUrl: 'nats://127.0.0.1:4222',
      gcGraceSeconds: 300,
    });
  });

  it.each([
    ['10.244.0.0', 'expected an IPv4 CIDR'],
    ['10.244.0.0/7', 'prefix length must be between 8 and 28'],
    ['10.244.0.0/29', 'prefix length must be between 8 and 28'],
    ['10.300.0.0/16', 'not an IPv4 address'],
    ['10.244.0.1/16', 'host bits are set'],
    ['fd00::/64', 'expected an IPv4 CIDR'],
  ])('rejects SKIFF_VSWITCH_CIDR=%s naming the variable', (value, problem) => {
    expect(() => loadNetworkSvcConfig(new EnvReader({ SKIFF_VSWITCH_CIDR: value }))).toThrow(ConfigError);
    expect(() => loadNetworkSvcConfig(new EnvReader({ SKIFF_VSWITCH_CIDR: value }))).toThrow(
      new RegExp(`SKIFF_VSWITCH_CIDR: ${problem}`),
    );
  });

  it('accepts a /28 and validates the shared variables', () => {
    expect(loadNetworkSvcConfig(new EnvReader({ SKIFF_VSWITCH_CIDR: '192.168.8.16/28' })).vswitchCidr).toBe(
      '192.168.8.16/28',
    );
    expect(() => loadNetworkSvcConfig(new EnvReader({ SKIFF_NATS_PREFIX: 'Bad-Prefix' }))).toThrow(/SKIFF_NATS_PREFIX/);
    expect(() => loadNetworkSvcConfig(new EnvReader({ DATABASE_URL: 'mysql://x' }))).toThrow(/DATABASE_URL/);
  });
});

describe('loadNetworkSvcConfig: cluster DNS', () => {
  const load = (env: Record<string, string>) => loadNetworkSvcConfig(new EnvReader(env)).dns;

  it('serves cluster.local on loopback port 10053 and refuses other names by default', () => {
    expect(load({})).toEqual({
      clusterDomain: 'cluster.local',
      listenHost: '127.0.0.1',
      listenPort: 10053,
      forward: false,
      serviceIp: '10.96.0.10',
      advertiseAddress: '10.244.0.1',
    });
  });

  it('reads the listen address, forwarding, upstreams and the domain', () => {
    expect(
      load({
        SKIFF_DNS_LISTEN: '[::1]:5353',
        SKIFF_DNS_FORWARD: 'true',
        SKIFF_DNS_UPSTREAMS: '127.0.0.53, 127.0.0.1:5399',
        SKIFF_CLUSTER_DOMAIN: 'Corp.Internal.',
        SKIFF_SERVICE_CIDR: '10.100.0.0/16',
        SKIFF_VSWITCH_CIDR: '192.168.0.0/16',
      }),
    ).toEqual({
      clusterDomain: 'corp.internal',
      listenHost: '::1',
      listenPort: 5353,
      forward: true,
      upstreams: [
        { host: '127.0.0.53', port: 53 },
        { host: '127.0.0.1', port: 5399 },
      ],
      serviceIp: '10.100.0.10',
      advertiseAddress: '192.168.0.1',
    });
  });

  it('forwards by default exactly when pods have egress', () => {
    expect(load({ SKIFF_POD_EGRESS: 'true' }).forward).toBe(true);
    expect(load({ SKIFF_POD_EGRESS: 'true', SKIFF_DNS_FORWARD: 'false' }).forward).toBe(false);
  });

  it.each([
    ['SKIFF_DNS_LISTEN', '10053', 'expected an IP address and port'],
    ['SKIFF_DNS_LISTEN', 'localhost:53', 'expected an IP address and port'],
    ['SKIFF_DNS_LISTEN', '127.0.0.1:0', 'port must be between 1 and 65535'],
    ['SKIFF_DNS_LISTEN', '127.0.0.300:53', 'not an IPv4 address'],
    ['SKIFF_DNS_FORWARD', 'yes please', 'expected true or false'],
    ['SKIFF_DNS_UPSTREAMS', 'dns.google', 'expected an IP address and port'],
    ['SKIFF_CLUSTER_DOMAIN', 'bad_domain', 'not a DNS domain name'],
    ['SKIFF_CLUSTER_DNS', '10.96.0.x', 'must be an IP address'],
    ['SKIFF_DNS_ADVERTISE_ADDRESS', 'host-a', 'must be an IP address'],
  ])('rejects %s=%s naming the variable', (name, value, problem) => {
    expect(() => load({ [name]: value })).toThrow(new RegExp(`${name}: ${problem}`));
  });
});
