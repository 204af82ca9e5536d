// core/v1 Service and Endpoints (pkg/apis/core/validation: ValidateService, ValidateServiceUpdate).
import { isIP } from 'node:net';
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { validatePortNumOrName, PORT_PROTOCOLS } from './container.validation';
import { child, duplicate, forbidden, GoValue, index, invalid, notSupported, required } from './field-errors';
import { arrAt, numAt, objAt, strAt } from './json-access';
import { dns1123LabelErrors, dns1123SubdomainErrors, portNumErrors } from '@skiff/api-machinery';
import { validateLabels, validateObjectMetaUpdate } from './object-meta.validation';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const IP_ERROR = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

function validateProtocol(v: unknown, path: string): StatusCause[] {
  if (v === undefined || v === null || v === '') return [required(path, '')];
  return typeof v === 'string' && PORT_PROTOCOLS.includes(v) ? [] : [notSupported(path, v, PORT_PROTOCOLS)];
}

function validateServicePorts(ports: unknown[], type: string): StatusCause[] {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  const seen = new Set<string>();
  for (const [i, raw] of ports.entries()) {
    const p = objAt(raw) ?? {};
    const path = index('spec.ports', i);
    const name = strAt(p.name) ?? '';
    if (ports.length > 1 && !name) out.push(required(child(path, 'name'), ''));
    else if (name) {
      for (const m of dns1123LabelErrors(name)) out.push(invalid(child(path, 'name'), name, m));
      if (names.has(name)) out.push(duplicate(child(path, 'name'), name));
      names.add(name);
    }
    const port = numAt(p.port);
    if (port === undefined) out.push(required(child(path, 'port'), ''));
    else for (const m of portNumErrors(port)) out.push(invalid(child(path, 'port'), port, m));
    out.push(...validateProtocol(p.protocol, child(path, 'protocol')));
    if (p.targetPort !== undefined && p.targetPort !== 0)
      out.push(...validatePortNumOrName(p.targetPort, child(path, 'targetPort')));
    const nodePort = numAt(p.nodePort);
    if (nodePort !== undefined && nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName')
        out.push(forbidden(child(path, 'nodePort'), `may not be used when \`type\` is '${type}'`));
      else for (const m of portNumErrors(nodePort)) out.push(invalid(child(path, 'nodePort'), nodePort, m));
    }
    // Upstream keys ports by (protocol, port) and prints the key as Go's %#v of a core.ServicePort.
    const protocol = strAt(p.protocol) ?? 'TCP';
    const k = `${port}/${protocol}`;
    if (port !== undefined && seen.has(k))
      out.push(
        duplicate(
          path,
          new GoValue(
            `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
          ),
        ),
      );
    seen.add(k);
  }
  return out;
}

export function validateService(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [];
  const type = strAt(spec.type) ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) out.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  const clusterIP = strAt(spec.clusterIP) ?? '';
  const headless = clusterIP === 'None';
  const ports = arrAt(spec.ports);
  if (ports.length === 0 && type !== 'ExternalName' && !headless) out.push(required('spec.ports', ''));
  out.push(...validateServicePorts(ports, type));
  if (type === 'ExternalName') {
    const ext = strAt(spec.externalName) ?? '';
    if (!ext) out.push(required('spec.externalName', ''));
    else for (const m of dns1123SubdomainErrors(ext.replace(/\.$/, ''))) out.push(invalid('spec.externalName', ext, m));
    if (clusterIP && !headless) out.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
  }
  if (clusterIP && !headless && !isIP(clusterIP)) out.push(invalid('spec.clusterIPs[0]', clusterIP, IP_ERROR));
  for (const [i, ip] of arrAt(spec.clusterIPs).entries()) {
    if (typeof ip === 'string' && ip !== 'None' && ip !== '' && !isIP(ip) && i > 0)
      out.push(invalid(index('spec.clusterIPs', i), ip, IP_ERROR));
  }
  const affinity = spec.sessionAffinity;
  if (affinity !== undefined && affinity !== 'None' && affinity !== 'ClientIP')
    out.push(notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  const etp = spec.externalTrafficPolicy;
  if (etp !== undefined && etp !== '') {
    if (type !== 'LoadBalancer' && type !== 'NodePort')
      out.push(
        invalid('spec.externalTrafficPolicy', etp, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"),
      );
    else if (etp !== 'Cluster' && etp !== 'Local')
      out.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  }
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== 'Cluster' && itp !== 'Local')
    out.push(notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  const ifp = spec.ipFamilyPolicy;
  if (ifp !== undefined && !['PreferDualStack', 'RequireDualStack', 'SingleStack'].includes(String(ifp))) {
    out.push(notSupported('spec.ipFamilyPolicy', ifp, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  for (const [i, f] of arrAt(spec.ipFamilies).entries())
    if (f !== 'IPv4' && f !== 'IPv6') out.push(notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
  for (const [i, ip] of arrAt(spec.externalIPs).entries())
    if (typeof ip !== 'string' || !isIP(ip)) out.push(invalid(index('spec.externalIPs', i), ip, IP_ERROR));
  out.push(...validateLabels(spec.selector, 'spec.selector'));
  return out;
}

export function validateServiceUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const oldSpec = objAt(old.spec) ?? {};
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata)];
  // Upstream's validateUpgradeDowngradeClusterIPs / IPFamilies: addresses and families stay, unless
  // the Service turns to or from ExternalName (IPv4 single-stack here: no secondary to add or drop).
  if (spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName') {
    const ips = strings(spec.clusterIPs);
    const oldIps = strings(oldSpec.clusterIPs);
    const headless = (l: string[]) => l.length === 1 && l[0] === 'None';
    if (!(headless(ips) && headless(oldIps))) {
      if (oldIps.length > 0 && ips.length === 0)
        out.push(invalid('spec.clusterIPs[0]', goStrings(ips), 'primary clusterIP can not be unset'));
      else if (oldIps.length > 0 && ips[0] !== oldIps[0])
        out.push(invalid('spec.clusterIPs[0]', goStrings(ips), 'may not change once set'));
    }
    const families = strings(spec.ipFamilies);
    const oldFamilies = strings(oldSpec.ipFamilies);
    if (
      headless(ips) === headless(oldIps) &&
      !headless(ips) &&
      oldFamilies.length > 0 &&
      families[0] !== oldFamilies[0]
    )
      out.push(invalid('spec.ipFamilies[0]', goFamilies(families), 'may not change once set'));
  }
  return [...out, ...validateService(obj)];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

// Go's %#v of the []string and []core.IPFamily the messages name.
function goStrings(l: string[]): GoValue {
  return new GoValue(`[]string{${l.map((x) => JSON.stringify(x)).join(', ')}}`);
}

function goFamilies(l: string[]): GoValue {
  return new GoValue(`[]core.IPFamily{${l.map((x) => JSON.stringify(x)).join(', ')}}`);
}

export function validateEndpoints(obj: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [s, rawSubset] of arrAt((obj as Record<string, unknown>).subsets).entries()) {
    const subset = objAt(rawSubset) ?? {};
    const sp = index('subsets', s);
    for (const list of ['addresses', 'notReadyAddresses']) {
      for (const [i, a] of arrAt(subset[list]).entries()) {
        const ip = strAt(objAt(a)?.ip) ?? '';
        if (!isIP(ip)) out.push(invalid(child(index(child(sp, list), i), 'ip'), ip, IP_ERROR));
      }
    }
    const ports = arrAt(subset.ports);
    for (const [i, raw] of ports.entries()) {
      const p = objAt(raw) ?? {};
      const pp = index(child(sp, 'ports'), i);
      const port = numAt(p.port) ?? 0;
      for (const m of portNumErrors(port)) out.push(invalid(child(pp, 'port'), port, m));
      out.push(...validateProtocol(p.protocol, child(pp, 'protocol')));
      if (ports.length > 1 && !strAt(p.name)) out.push(required(child(pp, 'name'), ''));
    }
  }
  return out;
}
