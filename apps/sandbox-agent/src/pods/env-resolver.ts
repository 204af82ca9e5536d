import { parseQuantity } from '@skiff/api-machinery';
import {
  ConfigMap,
  Container,
  EnvVar,
  ObjectFieldSelector,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ResourceFieldSelector,
  Secret,
  Service,
} from '@skiff/kube-types';
import { serviceEnvVars, servicesForPod } from './service-env';

/** Where ConfigMaps, Secrets and Services come from (the API, a fake in specs); undefined = not found. */
import type { TokenRequestOptions } from './service-account-tokens';

export interface ConfigObjectSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  services(namespace: string): Promise<Service[]>;
  claim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  volume(name: string): Promise<PersistentVolume | undefined>;
  /** The claim's file system was grown to `capacity` here: its status says so, the resize condition goes. */
  claimResized(claim: PersistentVolumeClaim, capacity: string): Promise<void>;
  /** A token of the pod's ServiceAccount bound to the pod (renewed before it expires) for a serviceAccountToken projection. */
  serviceAccountToken(pod: Pod, opts: TokenRequestOptions): Promise<string>;
}

/** kubelet's CreateContainerConfigError: the container cannot be configured until the user fixes something. */
export class ContainerConfigError extends Error {
  readonly code = 'CreateContainerConfigError';
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** What the downward API exposes beyond the pod object itself. */
export interface DownwardContext {
  podIP?: string;
  hostIP?: string;
  /** Host capacity: what limits.cpu / limits.memory read when the container sets no limit. */
  allocatable: { cpuMilli: number; memoryBytes: number };
}

/** Decoded key → value of a ConfigMap (data + binaryData) or Secret (base64 data). */
export function configMapData(cm: ConfigMap): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

export function secretData(s: Secret): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = Buffer.from(v, 'utf8');
  return out;
}

/** `metadata.name`, `metadata.labels['app']`, `status.podIP` … as kubelet's podFieldSelectorRuntimeValue. */
export function fieldValue(pod: Pod, ref: ObjectFieldSelector, ctx: DownwardContext): string {
  const m = pod.metadata;
  const path = ref.fieldPath;
  const subscript = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (subscript) return (subscript[1] === 'labels' ? m.labels : m.annotations)?.[subscript[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP ?? '';
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
  }
}

// Downward API files of labels/annotations: one `key="value"` per line, sorted by key.
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

/** limits.cpu / requests.memory … divided by the divisor and rounded up; an unset limit reads the host's capacity. */
export function resourceValue(
  pod: Pod,
  ref: ResourceFieldSelector,
  defaultContainer: string | undefined,
  ctx: DownwardContext,
): string {
  const name = ref.containerName || defaultContainer;
  const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === name);
  if (!c) throw new ContainerConfigError(`resourceFieldRef: container "${name ?? ''}" not found`);
  const [kind, resource] = ref.resource.split('.') as ['limits' | 'requests', string];
  const limit = c.resources?.limits?.[resource];
  const request = c.resources?.requests?.[resource] ?? limit;
  const divisor = parseQuantity(ref.divisor ?? 1) || 1;
  const allocatable =
    resource === 'cpu' ? ctx.allocatable.cpuMilli / 1000 : resource === 'memory' ? ctx.allocatable.memoryBytes : 0;
  let value: number;
  if (kind === 'limits') value = limit !== undefined ? parseQuantity(limit) : allocatable;
  else if (kind === 'requests') value = request !== undefined ? parseQuantity(request) : 0;
  else throw new ContainerConfigError(`unsupported resource: ${ref.resource}`);
  // Whole milli-units first so 0.1 / 1m is 100, not 101 from float error; then rounded up like kubelet.
  const out =
    resource === 'cpu' ? Math.ceil(Math.round(value * 1000) / Math.round(divisor * 1000)) : Math.ceil(value / divisor);
  return String(out);
}

/** Kubernetes `$(VAR)` expansion: defined names expand, `$$` escapes, anything else stays as written. */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length;) {
    if (input[i] !== '$' || i + 1 >= input.length) {
      out += input[i++];
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = end + 1;
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/**
 * The container's environment as kubelet makes it: envFrom first, then env (which may use earlier
 * names and the Service variables), then the Service variables not set otherwise.
 */
export async function resolveEnv(
  pod: Pod,
  container: Container,
  source: ConfigObjectSource,
  ctx: DownwardContext,
): Promise<{ name: string; value: string }[]> {
  const ns = pod.metadata.namespace ?? 'default';
  const own = await source.services(ns);
  const services = serviceEnvVars(servicesForPod(pod, own, ns === 'default' ? own : await source.services('default')));
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await source.configMap(ns, from.configMapRef.name ?? '');
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) env.set(prefix + k, v);
    }
    if (from.secretRef) {
      const s = await source.secret(ns, from.secretRef.name ?? '');
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(secretData(s))) env.set(prefix + k, v.toString('utf8'));
    }
  }
  for (const e of container.env ?? []) {
    const value = await envValue(pod, container, e, env, services, source, ctx);
    if (value !== undefined) env.set(e.name, value);
  }
  for (const [name, value] of services) if (!env.has(name)) env.set(name, value);
  return [...env].map(([name, value]) => ({ name, value }));
}

async function envValue(
  pod: Pod,
  container: Container,
  e: EnvVar,
  env: Map<string, string>,
  services: Map<string, string>,
  source: ConfigObjectSource,
  ctx: DownwardContext,
): Promise<string | undefined> {
  const ns = pod.metadata.namespace ?? 'default';
  const from = e.valueFrom;
  if (!from) return expandVars(e.value ?? '', (n) => env.get(n) ?? services.get(n));
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = await source.configMap(ns, ref.name ?? '');
    if (!cm) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`configmap "${ref.name}" not found`);
    }
    const v = configMapData(cm)[ref.key];
    if (v === undefined) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
    }
    return v.toString('utf8');
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const s = await source.secret(ns, ref.name ?? '');
    if (!s) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`secret "${ref.name}" not found`);
    }
    const v = secretData(s)[ref.key];
    if (v === undefined) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
    }
    return v.toString('utf8');
  }
  if (from.fieldRef) return fieldValue(pod, from.fieldRef, ctx);
  if (from.resourceFieldRef) return resourceValue(pod, from.resourceFieldRef, container.name, ctx);
  return '';
}

/** command and args with `$(VAR)` expanded against the container's final environment. */
export function expandCommand(
  container: Container,
  env: { name: string; value: string }[],
): { command?: string[]; args?: string[] } {
  const map = new Map(env.map((e) => [e.name, e.value]));
  const expand = (list?: string[]) => list?.map((s) => expandVars(s, (n) => map.get(n)));
  return { command: expand(container.command), args: expand(container.args) };
}
