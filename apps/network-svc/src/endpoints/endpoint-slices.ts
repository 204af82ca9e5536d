// The EndpointSlices of a Service: from the pods it selects (endpointslice-controller.k8s.io),
// or mirrored from the Endpoints its users manage when it has no selector
// (endpointslicemirroring-controller.k8s.io). At most 100 endpoints per slice, one port set each.
import {
  EndpointSlice,
  Endpoints,
  ENDPOINTSLICE_MANAGED_BY_LABEL as MANAGED_BY_LABEL,
  Service,
  SERVICE_NAME_LABEL,
} from '@skiff/kube-types';
import { inheritedLabels, PodEndpoint } from './service-endpoints';

export const SLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
export const MIRRORING_CONTROLLER = 'endpointslicemirroring-controller.k8s.io';
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
export const MAX_ENDPOINTS_PER_SLICE = 100;

type SliceEndpoint = NonNullable<EndpointSlice['endpoints']>[number];
type SlicePort = NonNullable<EndpointSlice['ports']>[number];

/** One slice to be: its manager, port set (the grouping key) and endpoints. */
export interface DesiredSlice {
  managedBy: string;
  portsKey: string;
  slice: EndpointSlice;
}

export function slicesFromPods(svc: Service, endpoints: readonly PodEndpoint[]): DesiredSlice[] {
  const portless = (svc.spec?.ports ?? []).length === 0;
  const groups = new Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
  for (const ep of endpoints) {
    if (ep.ports.length === 0 && !portless) continue;
    const ports: SlicePort[] = ep.ports
      .map((p) => ({
        name: p.name ?? '',
        port: p.port,
        protocol: p.protocol,
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    group.endpoints.push({
      addresses: [ep.ip],
      conditions: { ready: ep.ready, serving: ep.serving, terminating: ep.terminating },
      ...(ep.hostname ? { hostname: ep.hostname } : {}),
      ...(ep.pod.spec?.nodeName ? { nodeName: ep.pod.spec.nodeName } : {}),
      targetRef: {
        kind: 'Pod',
        namespace: ep.pod.metadata.namespace,
        name: ep.pod.metadata.name,
        uid: ep.pod.metadata.uid,
      },
    });
  }
  const owner = { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid! };
  return chunked(svc, groups, SLICE_CONTROLLER, inheritedLabels(svc, [SERVICE_NAME_LABEL, MANAGED_BY_LABEL]), owner);
}

/** A selectorless Service's user-managed Endpoints, as slices (nothing when they opt out with skip-mirror). */
export function slicesFromEndpoints(svc: Service, eps: Endpoints): DesiredSlice[] {
  if (eps.metadata.labels?.[SKIP_MIRROR_LABEL] === 'true') return [];
  const groups = new Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
  for (const subset of eps.subsets ?? []) {
    const ports: SlicePort[] = (subset.ports ?? [])
      .map((p) => ({
        name: p.name ?? '',
        port: p.port,
        protocol: p.protocol ?? ('TCP' as const),
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    for (const [list, ready] of [
      [subset.addresses, true],
      [subset.notReadyAddresses, false],
    ] as const) {
      for (const a of list ?? []) {
        group.endpoints.push({
          addresses: [a.ip],
          conditions: { ready, serving: ready, terminating: false },
          ...(a.hostname ? { hostname: a.hostname } : {}),
          ...(a.nodeName ? { nodeName: a.nodeName } : {}),
          ...(a.targetRef ? { targetRef: a.targetRef } : {}),
        });
      }
    }
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(eps.metadata.labels ?? {}))
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL) labels[k] = v;
  const owner = { apiVersion: 'v1', kind: 'Endpoints', name: eps.metadata.name!, uid: eps.metadata.uid! };
  return chunked(svc, groups, MIRRORING_CONTROLLER, labels, owner);
}

function chunked(
  svc: Service,
  groups: Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>,
  managedBy: string,
  labels: Record<string, string>,
  owner: { apiVersion: string; kind: string; name: string; uid: string },
): DesiredSlice[] {
  const out: DesiredSlice[] = [];
  const make = (portsKey: string, ports: SlicePort[], endpoints: SliceEndpoint[]): DesiredSlice => ({
    managedBy,
    portsKey,
    slice: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        generateName: `${svc.metadata.name}-`,
        namespace: svc.metadata.namespace,
        labels: { ...labels, [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: managedBy },
        ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }],
      },
      addressType: 'IPv4',
      endpoints,
      ports,
    },
  });
  for (const [key, g] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE)
      out.push(make(key, g.ports, g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE)));
  }
  // A Service without endpoints keeps one empty slice (upstream's placeholder).
  if (out.length === 0 && managedBy === SLICE_CONTROLLER) out.push(make('[]', [], []));
  return out;
}

/** The grouping key of a stored slice, comparable with DesiredSlice.portsKey. */
export function portsKeyOf(slice: EndpointSlice): string {
  const ports = (slice.ports ?? [])
    .map((p) => ({
      name: p.name ?? '',
      port: p.port,
      protocol: p.protocol ?? ('TCP' as const),
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || (a.port ?? 0) - (b.port ?? 0));
  return JSON.stringify(ports);
}
