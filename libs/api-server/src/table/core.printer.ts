// Core/v1 configuration and service kinds: namespaces, configmaps, secrets, serviceaccounts,
// services and endpoints, with upstream's service EXTERNAL-IP and PORT(S) formatting.
import { KubeObject, formatLabels } from '@skiff/api-machinery';
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { PrintContext, ResourcePrinter } from './table.types';
import { Json, list, num, record, str, stringMap } from './unstructured';

// Load balancer addresses are clipped to 16 characters outside `-o wide`; the server always
// prints wide, as kube-apiserver does.
const LOAD_BALANCER_WIDTH = 16;

export const namespacePrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells: (ns, { now }) => [nameOf(ns), str(ns, 'status', 'phase'), ageOf(ns, now)],
};

function entryCount(obj: KubeObject, ...keys: string[]): number {
  return keys.reduce((n, k) => n + Object.keys(record(obj, k) ?? {}).length, 0);
}

export const configMapPrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Data', 'string', 'Data contains the configuration data.'), AGE_COLUMN],
  cells: (cm, { now }) => [nameOf(cm), entryCount(cm, 'data', 'binaryData'), ageOf(cm, now)],
};

export const secretPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    AGE_COLUMN,
  ],
  // stringData is write-only and merged into data on write, so only data is counted.
  cells: (s, { now }) => [nameOf(s), str(s, 'type'), entryCount(s, 'data'), ageOf(s, now)],
};

export const serviceAccountPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ),
    AGE_COLUMN,
  ],
  cells: (sa, { now }) => [nameOf(sa), list(sa, 'secrets').length, ageOf(sa, now)],
};

/** loadBalancerStatusStringer: distinct IPs/hostnames, sorted. */
export function loadBalancerAddresses(status: Json, wide: boolean): string {
  const addresses = new Set<string>();
  for (const ing of list(status, 'ingress')) {
    const addr = str(ing, 'ip') || str(ing, 'hostname');
    if (addr) addresses.add(addr);
  }
  const joined = [...addresses].sort().join(',');
  return !wide && joined.length > LOAD_BALANCER_WIDTH ? `${joined.slice(0, LOAD_BALANCER_WIDTH - 3)}...` : joined;
}

function serviceExternalIP(svc: KubeObject, wide: boolean): string {
  const externalIPs = list(svc, 'spec', 'externalIPs').filter((x): x is string => typeof x === 'string');
  switch (str(svc, 'spec', 'type') || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(record(svc, 'status', 'loadBalancer'), wide);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(svc, 'spec', 'externalName');
    default:
      return '<unknown>';
  }
}

function servicePorts(svc: KubeObject): string {
  const ports = list(svc, 'spec', 'ports').map((p) => {
    const protocol = str(p, 'protocol') || 'TCP';
    const nodePort = num(p, 'nodePort');
    return nodePort > 0 ? `${num(p, 'port')}:${nodePort}/${protocol}` : `${num(p, 'port')}/${protocol}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

function clusterIP(svc: KubeObject): string {
  const ips = list(svc, 'spec', 'clusterIPs');
  const ip = ips.length > 0 ? (typeof ips[0] === 'string' ? ips[0] : '') : str(svc, 'spec', 'clusterIP');
  return ip || '<none>';
}

export const servicePrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    column(
      'External-IP',
      'string',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells: (svc, { now }: PrintContext) => [
    nameOf(svc),
    str(svc, 'spec', 'type') || 'ClusterIP',
    clusterIP(svc),
    serviceExternalIP(svc, true),
    servicePorts(svc),
    ageOf(svc, now),
    formatLabels(stringMap(svc, 'spec', 'selector')),
  ],
};

// formatEndpoints: at most three `ip:port`, then `+ N more...`.
function formatEndpoints(ep: KubeObject): string {
  const subsets = list(ep, 'subsets');
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let count = 0;
  let more = false;
  const add = (entry: string): void => {
    if (shown.length === max) more = true;
    else shown.push(entry);
  };
  for (const ss of subsets) {
    const addresses = list(ss, 'addresses');
    const ports = list(ss, 'ports');
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) add(str(a, 'ip'));
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        const ip = str(a, 'ip');
        add(`${ip.includes(':') ? `[${ip}]` : ip}:${num(port, 'port')}`);
      }
    }
  }
  const joined = shown.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

export const endpointsPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'),
    AGE_COLUMN,
  ],
  cells: (ep, { now }) => [nameOf(ep), formatEndpoints(ep), ageOf(ep, now)],
};
