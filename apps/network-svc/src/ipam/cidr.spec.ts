import { ipv4ToNumber, numberToIpv4, VSwitchRange } from './cidr';

describe(VSwitchRange.name, () => {
  it('reserves the network, gateway and broadcast addresses', () => {
    const r = new VSwitchRange('10.244.0.0/16');
    expect(r.gateway).toBe('10.244.0.1');
    expect(r.ipAt(r.firstOffset)).toBe('10.244.0.2');
    expect(r.ipAt(r.lastOffset)).toBe('10.244.255.254');
    expect(r.capacity).toBe(65533);
    expect(r.isAssignable('10.244.0.0')).toBe(false);
    expect(r.isAssignable('10.244.0.1')).toBe(false);
    expect(r.isAssignable('10.244.255.255')).toBe(false);
    expect(r.isAssignable('10.245.0.2')).toBe(false);
    expect(r.isAssignable('10.244.7.9')).toBe(true);
  });

  it('wraps from the last assignable offset to the first', () => {
    const r = new VSwitchRange('192.168.8.0/29');
    expect(r.capacity).toBe(5);
    expect(r.following(r.lastOffset)).toBe(2);
    expect(r.following(3)).toBe(4);
    expect(r.following(0)).toBe(2);
  });

  it('converts addresses above 127.255.255.255 without sign trouble', () => {
    expect(ipv4ToNumber('255.255.255.254')).toBe(4294967294);
    expect(numberToIpv4(4294967294)).toBe('255.255.255.254');
    expect(() => ipv4ToNumber('10.0.0.256')).toThrow(/not an IPv4/);
  });
});
