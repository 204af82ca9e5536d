import { EndpointSlice, Service } from '@skiff/kube-types';
import { EndpointTarget, Ipv4Cidr, ServiceRules, serviceRulesOf, servicePortPlans } from '@skiff/service-routing';
import { EdgeMaps } from '../edge/edge-ruleset';

/** What the edge's rules of one SLB's listeners need to know. */
export interface SlbListenerOptions {
  /** rr and wrr (all backends weigh the same) take turns; wlc, which nftables cannot count, picks at random. */
  scheduler: 'rr' | 'wrr' | 'wlc';
  /** L4 session persistence (ClientIP affinity), in seconds. */
  persistenceTimeoutSeconds?: number;
  /** Whether the SLB owns its address (not one reused from another Service): the address-wide rules are its own. */
  ownsAddress: boolean;
  addressType: 'internet' | 'intranet';
  /** Who may connect: only these CIDRs (white), or all but these (black). */
  acl?: { type: 'white' | 'black'; cidrs: string[] };
}

/**
 * The edge rules of a LoadBalancer Service on its SLB address: per port a listener DNATing straight to ready pods
 * (no node ports: serverless), kube-proxy's endpoint choice (ready ones, else serving-terminating), minus the
 * backends failing the SLB's health check; and for the address, its ACL and whether the internet side may reach it.
 */
export function slbRulesOf(
  svc: Service,
  address: string,
  slices: readonly EndpointSlice[],
  vswitch: Ipv4Cidr,
  options: SlbListenerOptions,
  healthy: (backend: EndpointTarget) => boolean = () => true,
): ServiceRules {
  const plans = servicePortPlans(svc, slices, vswitch).map((p) => ({
    ...p,
    addresses: [address],
    endpoints: p.endpoints.filter(healthy),
    affinityTimeoutSeconds: options.persistenceTimeoutSeconds ?? p.affinityTimeoutSeconds,
  }));
  const rules = serviceRulesOf(plans, { pick: options.scheduler === 'wlc' ? 'random' : 'round-robin', hairpin: false });
  if (!options.ownsAddress) return rules;
  if (options.addressType === 'intranet') rules.elements.push({ map: EdgeMaps.intranetOnly, key: address, verdict: 'drop' });
  if (options.acl && options.acl.cidrs.length > 0) {
    const chain = `acl-${svc.metadata.namespace}/${svc.metadata.name}`;
    const set = `{ ${options.acl.cidrs.join(', ')} }`;
    rules.chains.push({
      name: chain,
      rules: options.acl.type === 'white' ? [`ip saddr ${set} accept`, 'drop'] : [`ip saddr ${set} drop`],
    });
    rules.elements.push({ map: EdgeMaps.acls, key: address, verdict: `goto ${chain}` });
  }
  return rules;
}

/** The (protocol, port) pairs an SLB's rules listen on, as `service-ips` keys hold them. */
export function listenersOf(rules: ServiceRules | undefined): Set<string> {
  const out = new Set<string>();
  for (const e of rules?.elements ?? []) if (e.map === 'service-ips' || e.map === 'no-endpoint-services') out.add(e.key);
  return out;
}
