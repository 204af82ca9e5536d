import { Provider } from '@nestjs/common';
import { SandboxAgentConfig } from '@skiff/config';
import { ProcessRunner } from '@skiff/host-tools';
import { AGENT_CONFIG } from '../platform/agent.providers';
import { nftTableOf } from '../pods/agent-cleanup';
import { Nftables } from '@skiff/host-tools';
import { SERVICE_PROXY_CONFIG, ServiceProxyConfig, serviceTableOf } from './service-proxy.config';
import { ServiceProxy } from './service-proxy.service';

/** The Service data plane of this host: its table and the syncer (its caches are SERVICE_CACHES, shared with pods' env). */
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
  { provide: Nftables, useFactory: (runner: ProcessRunner) => new Nftables(runner), inject: [ProcessRunner] },
  ServiceProxy,
];
