import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { EndpointSlice, Ingress, Secret, Service, SERVICE_NAME_LABEL } from '@skiff/kube-types';

// Builders of the API objects the Ingress proxy reads, for its specs.

interface Meta {
  namespace?: string;
  annotations?: Record<string, string>;
  created?: string;
}

export function ingress(name: string, spec: Ingress['spec'], meta: Meta = {}): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: meta.namespace ?? 'default',
      annotations: meta.annotations,
      creationTimestamp: meta.created ?? '2026-01-01T00:00:00Z',
    },
    spec,
  };
}

/** One rule: `paths` maps a path to `service:port` (a number, or a port name). */
export function rule(
  host: string | undefined,
  paths: Record<string, string>,
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific' = 'Prefix',
): NonNullable<Ingress['spec']['rules']>[number] {
  return {
    host,
    http: {
      paths: Object.entries(paths).map(([path, target]) => ({ path, pathType, backend: backend(target) })),
    },
  };
}

export function backend(target: string): NonNullable<Ingress['spec']['defaultBackend']> {
  const [name, port] = target.split(':');
  return { service: { name, port: /^\d+$/.test(port) ? { number: Number(port) } : { name: port } } };
}

export function service(
  name: string,
  ports: { name?: string; port: number }[],
  spec: Partial<Service['spec']> = {},
  namespace = 'default',
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { clusterIP: '10.96.0.20', ports: ports.map((p) => ({ protocol: 'TCP', ...p })), ...spec },
  };
}

export function endpointSlice(
  serviceName: string,
  ports: { name?: string; port: number }[],
  endpoints: { ip: string; ready?: boolean }[],
  namespace = 'default',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${serviceName}-abcde`, namespace, labels: { [SERVICE_NAME_LABEL]: serviceName } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
  };
}

export function tlsSecret(name: string, crt: string, key: string, namespace = 'default'): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(crt).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
  };
}

/** A self-signed certificate for `host`, made with openssl (a test key, never committed). */
export function selfSignedCertificate(host: string): { crt: string; key: string } {
  const dir = mkdtempSync(`${tmpdir()}/skiff-ingress-cert-`);
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${host}`,
        '-addext',
        `subjectAltName=DNS:${host}`,
        '-keyout',
        `${dir}/key.pem`,
        '-out',
        `${dir}/crt.pem`,
      ],
      { stdio: 'ignore' },
    );
    return { crt: readFileSync(`${dir}/crt.pem`, 'utf8'), key: readFileSync(`${dir}/key.pem`, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
