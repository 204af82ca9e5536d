// networking.k8s.io/v1 NetworkPolicy (pkg/apis/networking/validation, v1/defaults.go).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { child, forbidden, GoValue, index, invalid, notSupported, required } from './field-errors';
import { arrAt, ensureObj, objAt, setIfUnset, strAt, type Obj } from './json-access';
import { cidrContains, parseCidr } from './ip-rules';
import { validateLabelSelector } from './label-selector.validation';
import { portNameErrors, portNumErrors } from '@skiff/api-machinery';
import { validateObjectMetaUpdate } from './object-meta.validation';

// Listed in upstream's order, not sorted.
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

function validatePort(port: Obj, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const protocol = port.protocol;
  if (protocol !== undefined && protocol !== null && (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol))) {
    out.push(notSupported(child(path, 'protocol'), protocol, PROTOCOLS));
  }
  const p = port.port;
  const endPort = typeof port.endPort === 'number' ? port.endPort : undefined;
  if (typeof p === 'number') {
    for (const m of portNumErrors(p)) out.push(invalid(child(path, 'port'), p, m));
    if (endPort !== undefined) {
      if (endPort < p) out.push(invalid(child(path, 'endPort'), endPort, 'must be greater than or equal to `port`'));
      for (const m of portNumErrors(endPort)) out.push(invalid(child(path, 'endPort'), endPort, m));
    }
  } else if (typeof p === 'string') {
    if (endPort !== undefined)
      out.push(invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is non-numeric'));
    for (const m of portNameErrors(p)) out.push(invalid(child(path, 'port'), p, m));
  } else if (endPort !== undefined) {
    out.push(invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is not specified'));
  }
  return out;
}

/** ValidateIPBlock: a CIDR, and exceptions strictly inside it. */
function validateIpBlock(block: Obj, path: string): StatusCause[] {
  const cidr = strAt(block.cidr) ?? '';
  if (!cidr) return [required(child(path, 'cidr'), '')];
  const net = parseCidr(cidr);
  if (!net) return [invalid(child(path, 'cidr'), cidr, 'not a valid CIDR')];
  const out: StatusCause[] = [];
  for (const [i, raw] of arrAt(block.except).entries()) {
    const text = String(raw);
    const p = index(child(path, 'except'), i);
    const except = parseCidr(text);
    // Upstream stops at the first malformed exception.
    if (!except) return [...out, invalid(p, text, 'not a valid CIDR')];
    if (!cidrContains(net, except.network) || net.prefix >= except.prefix)
      out.push(invalid(p, text, 'must be a strict subset of `cidr`'));
  }
  return out;
}

function validatePeer(peer: Obj, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  let peers = 0;
  if (objAt(peer.podSelector)) {
    peers++;
    out.push(...validateLabelSelector(peer.podSelector, child(path, 'podSelector')));
  }
  if (objAt(peer.namespaceSelector)) {
    peers++;
    out.push(...validateLabelSelector(peer.namespaceSelector, child(path, 'namespaceSelector')));
  }
  const block = objAt(peer.ipBlock);
  if (block) {
    peers++;
    out.push(...validateIpBlock(block, child(path, 'ipBlock')));
  }
  if (peers === 0) out.push(required(path, 'must specify a peer'));
  else if (peers > 1 && block) out.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return out;
}

function validateRules(spec: Obj, field: 'ingress' | 'egress', peersField: 'from' | 'to'): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [i, raw] of arrAt(spec[field]).entries()) {
    const rule = objAt(raw) ?? {};
    const rp = index(child('spec', field), i);
    for (const [j, port] of arrAt(rule.ports).entries())
      out.push(...validatePort(objAt(port) ?? {}, index(child(rp, 'ports'), j)));
    for (const [j, peer] of arrAt(rule[peersField]).entries())
      out.push(...validatePeer(objAt(peer) ?? {}, index(child(rp, peersField), j)));
  }
  return out;
}

export function validateNetworkPolicy(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [
    ...validateLabelSelector(spec.podSelector, 'spec.podSelector'),
    ...validateRules(spec, 'ingress', 'from'),
    ...validateRules(spec, 'egress', 'to'),
  ];
  const types = arrAt(spec.policyTypes);
  if (types.length > POLICY_TYPES.length) {
    const shown = new GoValue(`[]networking.PolicyType{${types.map((t) => JSON.stringify(String(t))).join(', ')}}`);
    out.push(invalid('spec.policyTypes', shown, 'may not specify more than two policyTypes'));
    return out;
  }
  for (const [i, t] of types.entries()) {
    if (typeof t !== 'string' || !POLICY_TYPES.includes(t))
      out.push(notSupported(index('spec.policyTypes', i), t, POLICY_TYPES));
  }
  return out;
}

export function validateNetworkPolicyUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateNetworkPolicy(obj)];
}

export function defaultNetworkPolicy(np: Obj): void {
  // 1.28 removed NetworkPolicy.status (the 1.27 schema still has it): the decoder drops it.
  delete np.status;
  const spec = ensureObj(np, 'spec');
  // podSelector is a struct without omitempty: an absent one is the empty (select-all) selector.
  setIfUnset(spec, 'podSelector', {});
  if (arrAt(spec.policyTypes).length === 0)
    spec.policyTypes = arrAt(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  for (const field of ['ingress', 'egress']) {
    for (const rule of arrAt(spec[field])) {
      for (const port of arrAt(objAt(rule)?.ports)) {
        const p = objAt(port);
        if (p) setIfUnset(p, 'protocol', 'TCP');
      }
    }
  }
}
