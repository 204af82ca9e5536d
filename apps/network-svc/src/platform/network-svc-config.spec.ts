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
