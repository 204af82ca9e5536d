import { DynamicModule, Module } from '@nestjs/common';
import { loadSandboxAgentConfig, SandboxAgentConfig } from '@skiff/config';
import { KubeClient } from '@skiff/kube-client';
import { NatsConnection } from 'nats';
import { AGENT_CONFIG, agentProviders, KUBE_CLIENT, NATS } from './platform/agent.providers';
import { PodManager } from './pods/pod-manager.service';
import { podManagerConfigOf } from './pods/pod-manager.config';
import { SandboxHost } from './pods/sandbox-host';
import { SyncPodProcessor } from './pods/sync-pod.processor';
import { HostRegistrationService } from './registration/host-registration.service';

@Module({})
export class SandboxAgentModule {
  static forRoot(config: SandboxAgentConfig = loadSandboxAgentConfig()): DynamicModule {
    return {
      module: SandboxAgentModule,
      providers: [
        ...agentProviders(config),
        {
          provide: SandboxHost,
          useFactory: (c: SandboxAgentConfig) =>
            new SandboxHost({ stateDir: c.stateDir, bridge: c.bridge, vswitchCidr: c.vswitchCidr, allowEgress: c.allowEgress, mirrors: c.mirrors }),
          inject: [AGENT_CONFIG],
        },
        {
          provide: PodManager,
          useFactory: (c: SandboxAgentConfig, client: KubeClient, nats: NatsConnection, host: SandboxHost) => new PodManager(podManagerConfigOf(c), client, nats, host),
          inject: [AGENT_CONFIG, KUBE_CLIENT, NATS, SandboxHost],
        },
        SyncPodProcessor,
        HostRegistrationService,
      ],
    };
  }
}
