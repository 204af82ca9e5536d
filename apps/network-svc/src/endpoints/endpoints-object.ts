// The v1 Endpoints object of a Service with a selector, as upstream's endpoints controller writes it.
import { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Service } from '@skiff/kube-types';
import { inheritedLabels, PodEndpoint } from './service-endpoints';

export function desiredSubsets(svc: Service, endpoints: readonly PodEndpoint[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const portless = (svc.spec?.ports ?? []).length === 0;
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const ep of endpoints) {
    // Endpoints list no terminating pods (the slices do, with conditions).
    if (ep.terminating && !publishNotReady) continue;
    if (ep.ports.length === 0 && !portless) continue;
    const ports = [...ep.ports].sort(comparePorts) as EndpointPort[];
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, ready: [], notReady: [] }));
    const address: EndpointAddress = {
      ip: ep.ip,
      ...(ep.hostname ? { hostname: ep.hostname } : {}),
      ...(ep.pod.spec?.nodeName ? { nodeName: ep.pod.spec.nodeName } : {}),
      targetRef: {
        kind: 'Pod',
        namespace: ep.pod.metadata.namespace,
        name: ep.pod.metadata.name,
        uid: ep.pod.metadata.uid,
      },
    };
    (ep.ready ? group.ready : group.notReady).push(address);
  }
  return [...groups.values()]
    .map((g) => ({
      ...(g.ready.length ? { addresses: g.ready.sort(compareAddresses) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(compareAddresses) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    }))
    .sort((a, b) => JSON.stringify(a.ports ?? []).localeCompare(JSON.stringify(b.ports ?? [])));
}

export function desiredEndpoints(svc: Service, endpoints: readonly PodEndpoint[]): Endpoints {
  const subsets = desiredSubsets(svc, endpoints);
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: svc.metadata.name,
      namespace: svc.metadata.namespace,
      labels: inheritedLabels(svc, []),
    },
    ...(subsets.length ? { subsets } : {}),
  };
}

function comparePorts(a: { name?: string; port: number }, b: { name?: string; port: number }): number {
  return (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return ipOrder(a.ip) - ipOrder(b.ip) || a.ip.localeCompare(b.ip);
}

function ipOrder(ip: string): number {
  const parts = ip.split('.').map(Number);
  return parts.length === 4 ? parts.reduce((acc, o) => acc * 256 + o, 0) : 0;
}
