import { DynamicModule, Module } from '@nestjs/common';
import { loadSandboxAgentConfig, SandboxAgentConfig } from '@skiff/config';
import { ProcessRunner } from '@skiff/host-tools';
import { KubeClient } from '@skiff/kube-client';
import { AGENT_CONFIG, agentProviders, KUBE_CLIENT, podBoundaryProviders } from './platform/agent.providers';
import { ApiDiskAttachments } from './volumes/disk-attachments';
import { sandboxHostOf } from './pods/agent-cleanup';
import { PodContainerLocator } from './pods/pod-container.locator';
import { PodHost } from './pods/pod-host';
import { PodManager } from './pods/pod-manager.service';
import { podProviders } from './pods/pod.providers';
import { SandboxHost } from './pods/sandbox-host';
import { SyncPodProcessor } from './pods/sync-pod.processor';
import { logProviders } from './logs/logs.providers';
import { MetricsController } from './metrics/metrics.controller';
import { metricsProviders } from './metrics/metrics.providers';
import { HostRegistrationService } from './registration/host-registration.service';
import { networkPolicyProviders } from './network-policy/network-policy.providers';
import { serviceProxyProviders } from './services/service-proxy.providers';
import { CONTAINER_LOG_LOCATOR } from './streaming/container-log-locator';
import { StreamingController } from './streaming/streaming.controller';
import { streamingProviders } from './streaming/streaming.providers';

@Module({})
export class SandboxAgentModule {
  static forRoot(config: SandboxAgentConfig = loadSandboxAgentConfig()): DynamicModule {
    return {
      module: SandboxAgentModule,
      controllers: [StreamingController, MetricsController],
      providers: [
        ...agentProviders(config),
        ...podBoundaryProviders(),
        {
          provide: SandboxHost,
          useFactory: (c: SandboxAgentConfig, runner: ProcessRunner, client: KubeClient) =>
            sandboxHostOf(c, runner, new ApiDiskAttachments(client, c.hostId)),
          inject: [AGENT_CONFIG, ProcessRunner, KUBE_CLIENT],
        },
        { provide: PodHost, useExisting: SandboxHost },
        ...logProviders,
        ...podProviders,
        PodManager,
        {
          provide: CONTAINER_LOG_LOCATOR,
          useFactory: (pods: PodManager, host: SandboxHost) => new PodContainerLocator(() => pods.known(), host),
          inject: [PodManager, SandboxHost],
        },
        ...streamingProviders,
        ...metricsProviders,
        SyncPodProcessor,
        HostRegistrationService,
        ...serviceProxyProviders,
        ...networkPolicyProviders,
      ],
    };
  }
}
