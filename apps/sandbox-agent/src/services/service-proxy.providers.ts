import { Provider } from '@nestjs/common';
import { SandboxAgentConfig } from '@skiff/config';
import { ProcessRunner } from '@skiff/host-tools';
import { KubeClient } from '@skiff/kube-client';
import { AGENT_CONFIG, KUBE_CLIENT } from '../platform/agent.providers';
import { nftTableOf } from '../pods/agent-cleanup';
import { Nftables } from '@skiff/host-tools';
import { serviceCachesOf } from './service-caches';
import { SERVICE_CACHES, SERVICE_PROXY_CONFIG, ServiceProxyConfig, serviceTableOf } from './service-proxy.config';
import { ServiceProxy } from './service-proxy.service';

/** The Service data plane of this host: its table, its caches of Services and EndpointSlices, and the syncer. */
export const serviceProxyProviders: Provider[] = [
  {
    provide: SERVICE_PROXY_CONFIG,
    useFactory: (c: SandboxAgentConfig): ServiceProxyConfig => ({
      table: serviceTableOf(nftTableOf(c.bridge)),
      bridge: c.bridge,
      podCidr: c.vswitchCidr,
      hostServicePorts: c.hostServicePorts,
    }),
    inject: [AGENT_CONFIG],
  },
  { provide: SERVICE_CACHES, useFactory: (client: KubeClient) => serviceCachesOf(client), inject: [KUBE_CLIENT] },
  { provide: Nftables, useFactory: (runner: ProcessRunner) => new Nftables(runner), inject: [ProcessRunner] },
  ServiceProxy,
];
