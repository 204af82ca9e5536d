import { Provider } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { ProcessRunner } from '@skiff/host-tools';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';
import { AddressPool } from './address-pool';
import { EdgeDataPlane } from './edge-data-plane';
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
