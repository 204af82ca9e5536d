import { EndpointSlice, Service, SERVICE_NAME_LABEL } from '@skiff/kube-types';
import { Ipv4Cidr } from './ipv4-cidr';

/** kube-proxy's default sessionAffinity timeout (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

export type L4Protocol = 'tcp' | 'udp' | 'sctp';

export interface EndpointTarget {
  ip: string;
  port: number;
  /** One of the host's own services on its loopback (`ip` is 127.0.0.1). */
  host?: boolean;
}

/** The Services whose endpoints may be the host's own services: the API server's and the cluster DNS'. */
const SYSTEM_SERVICES = new Set(['default/kubernetes', 'kube-system/kube-dns']);

/** What of the host pods may reach through a system Service: the gateway address stands for it, on these ports. */
export interface HostServices {
  gateway: string;
  ports: readonly number[];
}

/** What one port of one Service needs on this host: its ClusterIPs and the endpoints it sends to. */
export interface ServicePortPlan {
  namespace: string;
  service: string;
  /** The Service port's name, or its number for an unnamed port. */
  portName: string;
  protocol: L4Protocol;
  /** Where the port is served: the Service's ClusterIPs (an SLB puts its own address here). */
  addresses: string[];
  port: number;
  /** Empty: the port rejects (TCP reset, ICMP port unreachable). Sorted by address. */
  endpoints: EndpointTarget[];
  /** sessionAffinity ClientIP, in seconds; undefined without affinity. */
  affinityTimeoutSeconds?: number;
}

/**
 * The per-port plans of a Service from its EndpointSlices, as kube-proxy reads them: only ClusterIP-bearing
 * Services (not headless, not ExternalName), IPv4 slices, ready endpoints — or, when none is ready, those still
 * serving while they terminate — and only addresses this host's bridge reaches (`podCidr`): a DNAT to anything
 * else would leave the bridge, which the host's egress rule drops.
 */
export function servicePortPlans(
  svc: Service,
  slices: readonly EndpointSlice[],
  podCidr: Ipv4Cidr,
  hostServices?: HostServices,
): ServicePortPlan[] {
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return [];
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter(
    (ip) => ip !== 'None' && Ipv4Cidr.isAddress(ip),
  );
  if (clusterIPs.length === 0) return [];
  const namespace = svc.metadata.namespace ?? 'default';
  const service = svc.metadata.name ?? '';
  const affinityTimeoutSeconds =
    spec.sessionAffinity === 'ClientIP'
      ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS)
      : undefined;
  const own = slices.filter(
    (s) =>
      s.addressType === 'IPv4' &&
      s.metadata.namespace === svc.metadata.namespace &&
      s.metadata.labels?.[SERVICE_NAME_LABEL] === service,
  );
  const plans: ServicePortPlan[] = [];
  for (const p of spec.ports ?? []) {
    const protocol = protocolOf(p.protocol);
    if (!protocol) continue;
    const name = p.name ?? '';
    plans.push({
      namespace,
      service,
      portName: name || String(p.port),
      protocol,
      addresses: clusterIPs,
      port: p.port,
      endpoints: usableEndpoints(
        own,
        name,
        protocol,
        podCidr,
        SYSTEM_SERVICES.has(`${namespace}/${service}`) ? hostServices : undefined,
      ),
      affinityTimeoutSeconds,
    });
  }
  return plans;
}

interface Candidate extends EndpointTarget {
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

// kube-proxy's rules for cluster traffic: ready endpoints; if there are none, serving-and-terminating ones.
function usableEndpoints(
  slices: readonly EndpointSlice[],
  portName: string,
  protocol: L4Protocol,
  podCidr: Ipv4Cidr,
  hostServices: HostServices | undefined,
): EndpointTarget[] {
  const byTarget = new Map<string, Candidate>();
  for (const slice of slices) {
    const port = slice.ports?.find((sp) => (sp.name ?? '') === portName && protocolOf(sp.protocol) === protocol)?.port;
    if (port === undefined) continue;
    for (const e of slice.endpoints ?? []) {
      const ip = e.addresses[0];
      if (!ip || !Ipv4Cidr.isAddress(ip) || !podCidr.contains(ip)) continue;
      // The gateway is the host: only a system Service, to one of the host's service ports, goes there (its loopback).
      const host = ip === podCidr.gateway;
      if (host && !hostServices?.ports.includes(port)) continue;
      const ready = e.conditions?.ready ?? true;
      const c: Candidate = {
        ip: host ? '127.0.0.1' : ip,
        ...(host ? { host } : {}),
        port,
        ready,
        serving: e.conditions?.serving ?? ready,
        terminating: e.conditions?.terminating ?? false,
      };
      // The same address in two slices (a move between slices): ready wins.
      const key = `${c.ip}:${port}`;
      const seen = byTarget.get(key);
      if (!seen || (!seen.ready && c.ready)) byTarget.set(key, c);
    }
  }
  const all = [...byTarget.values()];
  let chosen = all.filter((c) => c.ready && !c.terminating);
  if (chosen.length === 0) chosen = all.filter((c) => c.serving && c.terminating);
  return chosen
    .map(({ ip, port, host }) => ({ ip, port, ...(host ? { host } : {}) }))
    .sort((a, b) => Ipv4Cidr.toNumber(a.ip) - Ipv4Cidr.toNumber(b.ip) || a.port - b.port);
}

function protocolOf(p: string | undefined): L4Protocol | undefined {
  switch (p ?? 'TCP') {
    case 'TCP':
      return 'tcp';
    case 'UDP':
      return 'udp';
    case 'SCTP':
      return 'sctp';
    default:
      return undefined;
  }
}
