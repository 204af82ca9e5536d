// What a Service's endpoints are, from the pods it selects: upstream's endpoints and
// EndpointSlice controllers' rules (shouldPodBeInEndpoints, FindPort, hostname, readiness).
import { labelSelectorFromSet, matchesLabels } from '@skiff/api-machinery';
import { ControllerContext, Informer, objectKey } from '@skiff/controller-runtime';
import { Pod, Service, ServicePort } from '@skiff/kube-types';

/** A pod as an endpoint of one Service. */
export interface PodEndpoint {
  pod: Pod;
  ip: string;
  /** Ready as the Service counts it (publishNotReadyAddresses makes every pod ready). */
  ready: boolean;
  /** The pod is Ready, whether or not it is terminating. */
  serving: boolean;
  terminating: boolean;
  /** Set when the pod names this headless Service as its subdomain (StatefulSet pods). */
  hostname?: string;
  /** The Service's ports this pod serves, with its own target port numbers. */
  ports: ResolvedPort[];
}

export interface ResolvedPort {
  name?: string;
  port: number;
  protocol: NonNullable<ServicePort['protocol']>;
  appProtocol?: string;
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** Services with a selector get their endpoints from pods; others are managed by their users. */
export function selectsPods(svc: Service): boolean {
  return svc.spec?.type !== 'ExternalName' && Object.keys(svc.spec?.selector ?? {}).length > 0;
}

export function selects(svc: Service, pod: Pod): boolean {
  return (
    selectsPods(svc) &&
    pod.metadata.namespace === svc.metadata.namespace &&
    matchesLabels(labelSelectorFromSet(svc.spec!.selector!), pod.metadata.labels ?? {})
  );
}

/** Enqueues, on every pod event, each Service that selects the pod now or selected it before. */
export function enqueueSelectingServices(
  ctx: ControllerContext,
  pods: Informer<Pod>,
  services: Informer<Service>,
): void {
  for (const e of ['add', 'update', 'delete'] as const)
    pods.on(e, (pod, old) => {
      for (const svc of services.list())
        if (selects(svc, pod) || (old && selects(svc, old))) ctx.enqueue(objectKey(svc));
    });
}

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The container port a Service port reaches on this pod (podutil.FindPort); undefined when the pod has no such named port. */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  return undefined;
}

/** The pods of `svc` that are its endpoints, in a stable order (namespace/name). */
export function podEndpoints(svc: Service, pods: readonly Pod[]): PodEndpoint[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    if (!selects(svc, pod)) continue;
    const ip = pod.status?.podIP;
    if (!ip) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const terminating = Boolean(pod.metadata.deletionTimestamp);
    const serving = isPodReady(pod);
    const ports: ResolvedPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({
        ...(sp.name ? { name: sp.name } : {}),
        port,
        protocol: sp.protocol ?? 'TCP',
        ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
      });
    }
    const subdomainMatches = pod.spec?.subdomain === svc.metadata.name && Boolean(pod.spec?.hostname);
    out.push({
      pod,
      ip,
      ready: publishNotReady || (serving && !terminating),
      serving: publishNotReady || serving,
      terminating,
      ...(subdomainMatches ? { hostname: pod.spec!.hostname } : {}),
      ports,
    });
  }
  return out.sort((a, b) => a.pod.metadata.name!.localeCompare(b.pod.metadata.name!));
}

/** Labels the controllers copy from a Service onto what they write, with the headless marker. */
export function inheritedLabels(svc: Service, reserved: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (!reserved.includes(k)) labels[k] = v;
  if (isHeadless(svc)) labels['service.kubernetes.io/headless'] = '';
  return labels;
}
