// discovery.k8s.io/v1 EndpointSlice (pkg/apis/discovery/validation and v1/defaults.go).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { child, duplicate, immutable, index, invalid, notSupported, required, tooMany } from './field-errors';
import { arrAt, objAt, setIfUnset, strAt, type Obj } from './json-access';
import { isIPv4Address, isIPv6Address, specialIpErrors } from './ip-rules';
import {
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  labelValueErrors,
  qualifiedNameErrors,
} from '@skiff/api-machinery';
import { validateLabels, validateObjectMetaUpdate } from './object-meta.validation';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
// v1beta1's "IP" type may stay on objects that already have it.
const ADDRESS_TYPES_ON_UPDATE = ['FQDN', 'IP', 'IPv4', 'IPv6'];
const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 100;
const MAX_TOPOLOGY_LABELS = 16;
const MAX_ZONE_HINTS = 8;

/** IsFullyQualifiedDomainName */
function fqdnErrors(name: string, path: string): StatusCause[] {
  if (name.length === 0) return [required(path, '')];
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = dns1123SubdomainErrors(trimmed);
  if (sub.length) return [invalid(path, trimmed, sub.join(','))];
  const labels = trimmed.split('.');
  if (labels.length < 2)
    return [invalid(path, trimmed, 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const errs = dns1123LabelErrors(label);
    if (errs.length) return [invalid(path, label, errs.join(','))];
  }
  return [];
}

function validateAddress(addressType: string, address: string, path: string): StatusCause[] {
  // Unknown types fall through unchecked, as upstream.
  switch (addressType) {
    case 'IPv4':
      return [
        ...(isIPv4Address(address) ? [] : [invalid(path, address, 'must be a valid IPv4 address')]),
        ...specialIpErrors(address).map((m) => invalid(path, address, m)),
      ];
    case 'IPv6':
      return [
        ...(isIPv6Address(address) ? [] : [invalid(path, address, 'must be a valid IPv6 address')]),
        ...specialIpErrors(address).map((m) => invalid(path, address, m)),
      ];
    case 'FQDN':
      return fqdnErrors(address, path);
    default:
      return [];
  }
}

function validateHints(hints: Obj, path: string): StatusCause[] {
  const fz = child(path, 'forZones');
  const zones = arrAt(hints.forZones);
  if (zones.length > MAX_ZONE_HINTS) return [tooMany(fz, zones.length, MAX_ZONE_HINTS)];
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of zones.entries()) {
    const name = strAt(objAt(raw)?.name) ?? '';
    const p = child(index(fz, i), 'name');
    if (seen.has(name)) out.push(duplicate(p, name));
    seen.add(name);
    for (const m of labelValueErrors(name)) out.push(invalid(p, name, m));
  }
  return out;
}

function validateEndpoints(endpoints: unknown[], addressType: string): StatusCause[] {
  if (endpoints.length > MAX_ENDPOINTS) return [tooMany('endpoints', endpoints.length, MAX_ENDPOINTS)];
  const out: StatusCause[] = [];
  for (const [i, raw] of endpoints.entries()) {
    const ep = objAt(raw) ?? {};
    const p = index('endpoints', i);
    const ap = child(p, 'addresses');
    const addresses = arrAt(ep.addresses);
    if (addresses.length === 0) out.push(required(ap, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) out.push(tooMany(ap, addresses.length, MAX_ADDRESSES));
    for (const [j, a] of addresses.entries()) out.push(...validateAddress(addressType, String(a), index(ap, j)));
    const nodeName = strAt(ep.nodeName);
    if (nodeName !== undefined)
      for (const m of dns1123SubdomainErrors(nodeName)) out.push(invalid(child(p, 'nodeName'), nodeName, m));
    const topology = objAt(ep.deprecatedTopology);
    const tp = child(p, 'deprecatedTopology');
    if (topology && Object.keys(topology).length > MAX_TOPOLOGY_LABELS)
      out.push(tooMany(tp, Object.keys(topology).length, MAX_TOPOLOGY_LABELS));
    out.push(...validateLabels(topology, tp));
    const hostname = strAt(ep.hostname);
    if (hostname !== undefined)
      for (const m of dns1123LabelErrors(hostname)) out.push(invalid(child(p, 'hostname'), hostname, m));
    const hints = objAt(ep.hints);
    if (hints) out.push(...validateHints(hints, child(p, 'hints')));
  }
  return out;
}

function validatePorts(ports: unknown[]): StatusCause[] {
  if (ports.length > MAX_PORTS) return [tooMany('ports', ports.length, MAX_PORTS)];
  const out: StatusCause[] = [];
  const names = new Set<string>();
  for (const [i, raw] of ports.entries()) {
    const port = objAt(raw) ?? {};
    const p = index('ports', i);
    const name = strAt(port.name) ?? '';
    if (name) for (const m of dns1123LabelErrors(name)) out.push(invalid(child(p, 'name'), name, m));
    if (names.has(name)) out.push(duplicate(child(p, 'name'), name));
    names.add(name);
    const protocol = port.protocol;
    if (protocol === undefined || protocol === null) out.push(required(child(p, 'protocol'), ''));
    else if (typeof protocol !== 'string' || !PORT_PROTOCOLS.includes(protocol))
      out.push(notSupported(child(p, 'protocol'), protocol, PORT_PROTOCOLS));
    const appProtocol = strAt(port.appProtocol);
    if (appProtocol !== undefined)
      for (const m of qualifiedNameErrors(appProtocol)) out.push(invalid(child(p, 'appProtocol'), appProtocol, m));
  }
  return out;
}

function validateSlice(obj: KubeObject, addressTypes: readonly string[]): StatusCause[] {
  const slice = obj as Obj;
  const out: StatusCause[] = [];
  const addressType = slice.addressType;
  if (addressType === undefined || addressType === null || addressType === '') out.push(required('addressType', ''));
  else if (typeof addressType !== 'string' || !addressTypes.includes(addressType))
    out.push(notSupported('addressType', addressType, addressTypes));
  out.push(...validateEndpoints(arrAt(slice.endpoints), strAt(addressType) ?? ''));
  out.push(...validatePorts(arrAt(slice.ports)));
  return out;
}

export function validateEndpointSlice(obj: KubeObject): StatusCause[] {
  return validateSlice(obj, ADDRESS_TYPES);
}

export function validateEndpointSliceUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateSlice(obj, ADDRESS_TYPES_ON_UPDATE)];
  const now = (obj as Obj).addressType;
  if (now !== (old as Obj).addressType) out.push(immutable('addressType', now ?? ''));
  return out;
}

export function defaultEndpointSlice(slice: Obj): void {
  for (const raw of arrAt(slice.ports)) {
    const port = objAt(raw);
    if (!port) continue;
    setIfUnset(port, 'name', '');
    setIfUnset(port, 'protocol', 'TCP');
  }
}
