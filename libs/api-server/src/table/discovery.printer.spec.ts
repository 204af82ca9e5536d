import { endpointSlicePrinter } from './discovery.printer';
import { printed } from './served-kinds.fixture';

describe('endpointSlicePrinter', () => {
  it('prints up to three ports and addresses', () => {
    const { row } = printed('discovery.k8s.io', 'EndpointSlice', {
      metadata: { name: 'web-abc' },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80 }, { name: 'metrics', protocol: 'TCP' }, { name: '' }, { port: 9000 }],
      endpoints: [
        { addresses: ['10.244.0.1', '10.244.0.2'] },
        { addresses: ['10.244.0.3'] },
        { addresses: ['10.244.0.4'] },
      ],
    });
    expect(row).toEqual({
      NAME: 'web-abc',
      ADDRESSTYPE: 'IPv4',
      PORTS: '80,metrics, + 1 more...',
      ENDPOINTS: '10.244.0.1,10.244.0.2,10.244.0.3 + 1 more...',
      AGE: '60m',
    });
    expect(endpointSlicePrinter.columns.map((c) => c.name)).toEqual([
      'Name',
      'AddressType',
      'Ports',
      'Endpoints',
      'Age',
    ]);
  });

  it('prints <unset> when there are no ports or endpoints', () => {
    expect(
      printed('discovery.k8s.io', 'EndpointSlice', { metadata: { name: 'e' }, addressType: 'FQDN' }).row,
    ).toMatchObject({ PORTS: '<unset>', ENDPOINTS: '<unset>' });
  });
});
