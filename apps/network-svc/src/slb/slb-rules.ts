import { Service } from '@skiff/kube-types';
import { EndpointTarget, ServicePortPlan, ServiceRules, serviceRulesOf } from '@skiff/service-routing';
import { EdgeMaps } from '../edge/edge-ruleset';
import { SlbOptions } from './slb-options';

/**
 * The edge rules of a LoadBalancer Service on its SLB address: per port a listener DNATing straight to ready pods
 * (no node ports: serverless), minus the backends failing the SLB's health check; and for the address, its ACL
 * (loadBalancerSourceRanges, acl-*) and whether the internet side may reach it.
 */
export function slbRulesOf(
  svc: Service,
  address: string,
  plans: readonly ServicePortPlan[],
  options: SlbOptions,
  /** Whether the SLB is the Service's own (not one it reuses): the address-wide rules are then its. */
  ownsAddress: boolean,
  healthy: (plan: ServicePortPlan, backend: EndpointTarget) => boolean = () => true,
): ServiceRules {
  const listeners = plans.map((p) => ({
    ...p,
    addresses: [address],
    endpoints: p.endpoints.filter((e) => healthy(p, e)),
    affinityTimeoutSeconds: options.persistenceTimeoutSeconds || p.affinityTimeoutSeconds,
  }));
  // rr and wrr (every backend weighs the same) take turns; wlc, which nftables cannot count, picks at random.
  const rules = serviceRulesOf(listeners, {
    pick: options.scheduler === 'wlc' ? 'random' : 'round-robin',
    hairpin: false,
  });
  // The address is the owner's: a Service reusing the SLB must not delete it from service-addresses when it goes.
  if (!ownsAddress) return { ...rules, addresses: [] };
  if (options.addressType === 'intranet')
    rules.elements.push({ map: EdgeMaps.intranetOnly, key: address, verdict: 'drop' });
  const acl: string[] = [];
  if (options.sourceRanges.length) acl.push(`ip saddr != { ${options.sourceRanges.join(', ')} } drop`);
  if (options.acl)
    acl.push(`ip saddr ${options.acl.type === 'white' ? '!= ' : ''}{ ${options.acl.cidrs.join(', ')} } drop`);
  if (acl.length) {
    const chain = `acl-${svc.metadata.namespace}/${svc.metadata.name}`;
    rules.chains.push({ name: chain, rules: acl });
    rules.elements.push({ map: EdgeMaps.acls, key: address, verdict: `goto ${chain}` });
  }
  return rules;
}

/** The (protocol, port) pairs an SLB's rules listen on, as `service-ips` keys hold them. */
export function listenersOf(rules: ServiceRules | undefined): Set<string> {
  const out = new Set<string>();
  for (const e of rules?.elements ?? [])
    if (e.map === 'service-ips' || e.map === 'no-endpoint-services') out.add(e.key);
  return out;
}
