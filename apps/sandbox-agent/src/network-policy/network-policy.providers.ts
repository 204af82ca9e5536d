import { Provider } from '@nestjs/common';
import { SandboxAgentConfig } from '@skiff/config';
import { KubeClient } from '@skiff/kube-client';
import { AGENT_CONFIG, KUBE_CLIENT } from '../platform/agent.providers';
import { nftTableOf } from '../pods/agent-cleanup';
import {
  NETWORK_POLICY_CACHES,
  NETWORK_POLICY_CONFIG,
  NetworkPolicyConfig,
  networkPolicyCachesOf,
  policyTableOf,
} from './network-policy.config';
import { NetworkPolicyEnforcer } from './network-policy.enforcer';

/** NetworkPolicy on this host: its table, its caches of policies, pods and namespaces, and the syncer. */
export const networkPolicyProviders: Provider[] = [
  {
    provide: NETWORK_POLICY_CONFIG,
    useFactory: (c: SandboxAgentConfig): NetworkPolicyConfig => ({
      table: policyTableOf(nftTableOf(c.bridge)),
      bridge: c.bridge,
    }),
    inject: [AGENT_CONFIG],
  },
  {
    provide: NETWORK_POLICY_CACHES,
    useFactory: (client: KubeClient) => networkPolicyCachesOf(client),
    inject: [KUBE_CLIENT],
  },
  NetworkPolicyEnforcer,
];
