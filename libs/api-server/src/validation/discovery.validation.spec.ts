import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { validateEndpointSlice } from './discovery.validation';
import { resourceType } from './spec-fixtures';
import { validateObject } from './validate-object';

const type = resourceType('discovery.k8s.io', 'EndpointSlice');
const lines = (obj: KubeObject, old?: KubeObject) =>
  validateObject(type, applyDefaults(type, obj), old ? applyDefaults(type, old) : undefined).map(
    (c) => `${c.field}: ${c.message}`,
  );
const slice = (addressType: unknown, endpoints: unknown[], ports: unknown[] = []): KubeObject => ({
  metadata: { name: 'web-abc', namespace: 'default' },
  addressType,
  endpoints,
  ports,
});

describe(validateEndpointSlice.name, () => {
  it('defaults port names to "" and protocols to TCP', () => {
    expect(
      applyDefaults(type, slice('IPv4', [], [{ port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }])),
    ).toMatchObject({
      ports: [
        { name: '', port: 80, protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    });
  });

  it('accepts addresses of the slice type', () => {
    expect(
      lines(
        slice(
          'IPv4',
          [{ addresses: ['10.244.0.5'], conditions: { ready: true }, hints: { forZones: [{ name: 'zone-a' }] } }],
          [{ name: 'http', port: 80 }],
        ),
      ),
    ).toEqual([]);
    expect(lines(slice('IPv6', [{ addresses: ['fd00::5'] }]))).toEqual([]);
    expect(lines(slice('FQDN', [{ addresses: ['db.example.com'] }]))).toEqual([]);
  });

  it('refuses addresses that do not fit the type or are special', () => {
    expect(lines(slice('IPv4', [{ addresses: ['fd00::5', '127.0.0.1', '169.254.1.1'] }, { addresses: [] }]))).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "fd00::5": must be a valid IPv4 address',
      'endpoints[0].addresses[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'endpoints[0].addresses[2]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      'endpoints[1].addresses: Required value: must contain at least 1 address',
    ]);
    expect(lines(slice('FQDN', [{ addresses: ['localhost', 'Bad_Host.example'] }]))).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
      expect.stringContaining(
        'endpoints[0].addresses[1]: Invalid value: "Bad_Host.example": a lowercase RFC 1123 subdomain must consist of',
      ),
    ]);
  });

  it('checks the address type, limits, ports and hints', () => {
    expect(lines(slice('IP', []))).toEqual([
      'addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
    expect(lines({ metadata: { name: 's', namespace: 'default' } })).toEqual(['addressType: Required value']);
    const many = Array.from({ length: 1001 }, () => ({ addresses: ['10.0.0.1'] }));
    expect(lines(slice('IPv4', many))).toEqual(['endpoints: Too many: 1001: must have at most 1000 items']);
    const addrs = Array.from({ length: 101 }, (_, i) => `10.0.0.${(i % 250) + 1}`);
    expect(lines(slice('IPv4', [{ addresses: addrs }]))).toEqual([
      'endpoints[0].addresses: Too many: 101: must have at most 100 items',
    ]);
    expect(
      lines(
        slice(
          'IPv4',
          [],
          [
            { name: 'Web', port: 80 },
            { name: 'Web', protocol: 'ICMP' },
          ],
        ),
      ),
    ).toEqual([
      expect.stringContaining('ports[0].name: Invalid value: "Web": a lowercase RFC 1123 label'),
      expect.stringContaining('ports[1].name: Invalid value: "Web": a lowercase RFC 1123 label'),
      'ports[1].name: Duplicate value: "Web"',
      'ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    ]);
    expect(
      lines(slice('IPv4', [{ addresses: ['10.0.0.1'], hints: { forZones: [{ name: 'a' }, { name: 'a' }] } }])),
    ).toEqual(['endpoints[0].hints.forZones[1].name: Duplicate value: "a"']);
  });

  it('keeps addressType fixed on update', () => {
    const old = { ...slice('IPv4', []), metadata: { name: 'web-abc', namespace: 'default', resourceVersion: '1' } };
    expect(lines({ ...old, addressType: 'IPv6' }, old)).toEqual([
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
  });
});
