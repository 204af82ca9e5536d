import { NestFactory } from '@nestjs/core';
import { PodMetricsSampler } from '@skiff/host-tools';
import { SandboxAgentModule } from './app.module';
import { LogCollector } from './logs/log-collector';
import { NetworkPolicyEnforcer } from './network-policy/network-policy.enforcer';
import { PodManager } from './pods/pod-manager.service';
import { ServiceProxy } from './services/service-proxy.service';
import { StreamUpgradeRouter } from './streaming/stream-upgrade.router';

describe(SandboxAgentModule.name, () => {
  it('resolves every provider it lists (a graph preview: nothing is instantiated or connected)', async () => {
    const app = await NestFactory.createApplicationContext(
      SandboxAgentModule.forRoot({
        redisUrl: 'redis://127.0.0.1:1',
        natsUrl: 'nats://127.0.0.1:1',
        natsPrefix: 'skiff',
        hostId: 'h1',
        zone: 'zone-a',
        stateDir: '/nonexistent',
        caFile: '/nonexistent/ca.crt',
        port: 0,
        listenHost: '127.0.0.1',
        address: '127.0.0.1',
        bridge: 'skiff0',
        edgeLink: 'skiffedge',
        storageRoot: '/nonexistent/storage',
        nasBackend: 'directory',
        vswitchCidr: '10.0.0.0/24',
        allowEgress: false,
        mirrors: [],
        capacity: { cpuMilli: 1000, memoryBytes: 2 ** 30, pods: 10 },
        concurrency: 1,
        startConcurrency: 1,
        logFormat: 'text',
        hostServicePorts: [6443, 10053],
        metricsResolutionSeconds: 15,
      }),
      { preview: true, logger: false, abortOnError: false },
    );
    expect(app.get(PodManager)).toBeDefined();
    expect(app.get(StreamUpgradeRouter)).toBeDefined();
    expect(app.get(ServiceProxy)).toBeDefined();
    expect(app.get(NetworkPolicyEnforcer)).toBeDefined();
    expect(app.get(LogCollector)).toBeDefined();
    expect(app.get(PodMetricsSampler)).toBeDefined();
    await app.close();
  });
});
