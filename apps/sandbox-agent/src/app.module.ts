import { DynamicModule, Module } from '@nestjs/common';
import { loadSandboxAgentConfig, SandboxAgentConfig } from '@skiff/config';
import { KubeClient } from '@skiff/kube-client';
import { NatsConnection } from 'nats';
import { AGENT_CONFIG, agentProviders, KUBE_CLIENT, NATS } from './platform/agent.providers';
import { sandboxHostOf } from './pods/agent-cleanup';
import { PodContainerLocator } from './pods/pod-container.locator';
import { PodManager } from './pods/pod-manager.service';
import { podManagerConfigOf } from './pods/pod-manager.config';
import { SandboxHost } from './pods/sandbox-host';
import { SyncPodProcessor } from './pods/sync-pod.processor';
import { HostRegistrationService } from './registration/host-registration.service';
import { CONTAINER_LOG_LOCATOR } from './streaming/container-log-locator';
import { StreamingController } from './streaming/streaming.controller';
import { streamingProviders } from './streaming/streaming.providers';

@Module({})
export class SandboxAgentModule {
  static forRoot(config: SandboxAgentConfig = loadSandboxAgentConfig()): DynamicModule {
    return {
      module: SandboxAgentModule,
      controllers: [StreamingController],
      providers: [
        ...agentProviders(config),
        { provide: SandboxHost, useFactory: (c: SandboxAgentConfig) => sandboxHostOf(c), inject: [AGENT_CONFIG] },
        {
          provide: PodManager,
          useFactory: (c: SandboxAgentConfig, client: KubeClient, nats: NatsConnection, host: SandboxHost) =>
            new PodManager(podManagerConfigOf(c), client, nats, host),
          inject: [AGENT_CONFIG, KUBE_CLIENT, NATS, SandboxHost],
        },
        {
          provide: CONTAINER_LOG_LOCATOR,
          useFactory: (pods: PodManager, host: SandboxHost) => new PodContainerLocator(() => pods.known(), host),
          inject: [PodManager, SandboxHost],
        },
        ...streamingProviders,
        SyncPodProcessor,
        HostRegistrationService,
      ],
    };
  }
}
