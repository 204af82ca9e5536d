import { createPrivateKey, X509Certificate } from 'node:crypto';
import { errorMessage } from '@skiff/api-machinery';
import { EndpointSlice, Secret, Service, SERVICE_NAME_LABEL } from '@skiff/kube-types';
import type { ProxyEndpoint } from './ingress-model';

/** A Service port as an Ingress backend names it: by number or by name. */
export interface ServicePortRef {
  namespace: string;
  name: string;
  port: number | string;
}

/**
 * The ready endpoints of a Service port from its EndpointSlices (IPv4, labelled with the Service's name; the
 * slice port of the same name gives the target port), as ingress-nginx reads them. Headless Services have slices
 * too. A missing Service or port yields no endpoints and a problem to report.
 */
export function resolveEndpoints(
  ref: ServicePortRef,
  services: readonly Service[],
  slices: readonly EndpointSlice[],
): { endpoints: ProxyEndpoint[]; problem?: string } {
  const id = `${ref.namespace}/${ref.name}`;
  const svc = services.find((s) => s.metadata.namespace === ref.namespace && s.metadata.name === ref.name);
  if (!svc) return { endpoints: [], problem: `Service ${id} not found` };
  if (svc.spec.type === 'ExternalName')
    return { endpoints: [], problem: `Service ${id} is an ExternalName Service, which the Ingress proxy cannot reach` };
  const port = svc.spec.ports?.find((p) => (typeof ref.port === 'number' ? p.port === ref.port : p.name === ref.port));
  if (!port || (port.protocol ?? 'TCP') !== 'TCP')
    return { endpoints: [], problem: `Service ${id} has no TCP port ${ref.port}` };
  const portName = port.name ?? '';
  const found = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    if (
      slice.addressType !== 'IPv4' ||
      slice.metadata.namespace !== ref.namespace ||
      slice.metadata.labels?.[SERVICE_NAME_LABEL] !== ref.name
    )
      continue;
    const target = slice.ports?.find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP')?.port;
    if (target === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses[0];
      if (ep.conditions?.ready === false || !ip) continue;
      found.set(`${ip}:${target}`, { ip, port: target });
    }
  }
  const endpoints = [...found.values()].sort(
    (a, b) => a.ip.localeCompare(b.ip, undefined, { numeric: true }) || a.port - b.port,
  );
  return { endpoints };
}

/**
 * The PEM (certificate chain, then key) of a TLS Secret's `tls.crt`/`tls.key`, checked as HAProxy will load it:
 * a certificate, an unencrypted key, and the key belongs to the certificate.
 */
export function tlsCertificate(
  namespace: string,
  name: string,
  secrets: readonly Secret[],
): { pem?: string; problem?: string } {
  const id = `${namespace}/${name}`;
  const secret = secrets.find((s) => s.metadata.namespace === namespace && s.metadata.name === name);
  if (!secret) return { problem: `TLS Secret ${id} not found` };
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) return { problem: `TLS Secret ${id} has no tls.crt and tls.key` };
  const chain = Buffer.from(crt, 'base64').toString('utf8');
  const keyPem = Buffer.from(key, 'base64').toString('utf8');
  try {
    if (!new X509Certificate(chain).checkPrivateKey(createPrivateKey(keyPem)))
      return { problem: `TLS Secret ${id}: tls.key does not belong to tls.crt` };
  } catch (err) {
    return { problem: `TLS Secret ${id} is invalid: ${errorMessage(err)}` };
  }
  return { pem: `${chain.trim()}\n${keyPem.trim()}\n` };
}
