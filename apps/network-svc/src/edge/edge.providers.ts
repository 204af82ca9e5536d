import { Provider } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { ProcessRunner } from '@skiff/host-tools';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';
import { AddressPool } from './address-pool';
import { EdgeDataPlane } from './edge-data-plane';
import { HaproxyCli } from '../ingress/haproxy-cli';
import { IngressProxy } from '../ingress/haproxy-process';
import { EdgeBandwidth } from './edge-bandwidth';
import { EDGE_HOST_LINK, EDGE_INTERNET_BRIDGE, EdgeNetwork } from './edge-network';

/** The SLB pool (LoadBalancer Services, Ingress classes) and the EIP pool, shared by the controllers that hand them out. */
export const SLB_POOL = Symbol('SLB_POOL');
export const EIP_POOL = Symbol('EIP_POOL');

export const edgeProviders: Provider[] = [
  {
    provide: EdgeNetwork,
    useFactory: (c: NetworkSvcConfig) => new EdgeNetwork(c.edge, c.vswitchCidr, new ProcessRunner()),
    inject: [NETWORK_SVC_CONFIG],
  },
  {
    provide: EdgeDataPlane,
    useFactory: (n: EdgeNetwork) =>
      new EdgeDataPlane(
        n,
        new EdgeBandwidth(new ProcessRunner(), {
          netns: n.config.netns,
          towardsPods: EDGE_HOST_LINK,
          towardsInternet: EDGE_INTERNET_BRIDGE,
        }),
      ),
    inject: [EdgeNetwork],
  },
  {
    provide: IngressProxy,
    useFactory: (c: NetworkSvcConfig) => ingressProxyOf(c),
    inject: [NETWORK_SVC_CONFIG],
  },
  {
    provide: SLB_POOL,
    useFactory: (c: NetworkSvcConfig) => new AddressPool(c.edge.slbPool),
    inject: [NETWORK_SVC_CONFIG],
  },
  {
    provide: EIP_POOL,
    useFactory: (c: NetworkSvcConfig) => new AddressPool(c.edge.eipPool),
    inject: [NETWORK_SVC_CONFIG],
  },
];

/** The edge's Ingress proxy (HAProxy in the edge netns, its state in SKIFF_EDGE_STATE_DIR). */
export function ingressProxyOf(c: NetworkSvcConfig): IngressProxy {
  return new IngressProxy(new ProcessRunner(), new HaproxyCli(), { netns: c.edge.netns, stateDir: c.edge.stateDir });
}
