// The Service environment variables kubelet gives containers (pkg/kubelet/envvars FromServices,
// getServiceEnvVarMap): the pod's namespace's Services when enableServiceLinks is on, and
// default/kubernetes always.
import { Pod, Service } from '@skiff/kube-types';

const MASTER_SERVICES = new Set(['kubernetes']);

function envName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function hasClusterIp(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return Boolean(ip) && ip !== 'None';
}

/** The Services whose variables a pod gets, by name (a namespace's own win over default's master services). */
export function servicesForPod(pod: Pod, inNamespace: Service[], inDefault: Service[]): Service[] {
  const byName = new Map<string, Service>();
  for (const s of inDefault) if (MASTER_SERVICES.has(s.metadata.name!)) byName.set(s.metadata.name!, s);
  if (pod.spec.enableServiceLinks !== false) for (const s of inNamespace) byName.set(s.metadata.name!, s);
  return [...byName.values()].filter(hasClusterIp).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
}

/** `WEB_SERVICE_HOST`, `WEB_SERVICE_PORT(_<NAME>)`, and the Docker-link `WEB_PORT…` variables. */
export function serviceEnvVars(services: Service[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const svc of services) {
    const name = envName(svc.metadata.name!);
    const ip = svc.spec!.clusterIP!;
    const ports = svc.spec?.ports ?? [];
    env.set(`${name}_SERVICE_HOST`, ip);
    if (ports.length === 0) continue;
    env.set(`${name}_SERVICE_PORT`, String(ports[0].port));
    for (const p of ports) if (p.name) env.set(`${name}_SERVICE_PORT_${envName(p.name)}`, String(p.port));
    for (const [i, p] of ports.entries()) {
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${protocol}://${ip}:${p.port}`;
      if (i === 0) env.set(`${name}_PORT`, url);
      const prefix = `${name}_PORT_${p.port}_${protocol.toUpperCase()}`;
      env.set(prefix, url);
      env.set(`${prefix}_PROTO`, protocol);
      env.set(`${prefix}_PORT`, String(p.port));
      env.set(`${prefix}_ADDR`, ip);
    }
  }
  return env;
}
