// discovery.k8s.io/v1 EndpointSlices (printEndpointSlice): at most three ports and addresses.
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { at, list, str } from './unstructured';

const MAX_SHOWN = 3;

// listWithMoreString
function listWithMore(items: string[], count: number): string {
  const ret = items.join(',');
  if (count > MAX_SHOWN) return `${ret} + ${count - MAX_SHOWN} more...`;
  return ret === '' ? '<unset>' : ret;
}

// formatDiscoveryPorts: the number, else the name (defaulted to ""), else "*".
function formatPorts(ports: unknown[]): string {
  const shown = ports.slice(0, MAX_SHOWN).map((p) => {
    const port = at(p, 'port');
    if (typeof port === 'number') return String(port);
    const name = at(p, 'name');
    return typeof name === 'string' ? name : '*';
  });
  return listWithMore(shown, ports.length);
}

function formatEndpoints(endpoints: unknown[]): string {
  const addresses = endpoints.flatMap((ep) => list(ep, 'addresses').map((a) => (typeof a === 'string' ? a : '')));
  return listWithMore(addresses.slice(0, MAX_SHOWN), addresses.length);
}

export const endpointSlicePrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'AddressType',
      'string',
      'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type.',
    ),
    column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    AGE_COLUMN,
  ],
  cells: (slice, { now }) => [
    nameOf(slice),
    str(slice, 'addressType'),
    formatPorts(list(slice, 'ports')),
    formatEndpoints(list(slice, 'endpoints')),
    ageOf(slice, now),
  ],
};
