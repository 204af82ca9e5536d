import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Clock } from '@skiff/api-machinery';
import { loadInfraConfig } from '@skiff/config';
import { ProcessRunner } from '@skiff/host-tools';
import { KubeClient } from '@skiff/kube-client';
import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, NatsConnection } from 'nats';
import { Client } from 'pg';
import { TestRegistry } from '@skiff/dev-registry';
import { logProviders } from '../logs/logs.providers';
import { KUBE_CLIENT, NATS, POD_MANAGER_CONFIG, podBoundaryProviders } from '../platform/agent.providers';
import { PodHost } from './pod-host';
import { PodManager } from './pod-manager.service';
import { PodManagerConfig } from './pod-manager.config';
import { podProviders } from './pod.providers';
import { Container, Pod, SANDBOX_HOST_ANNOTATION } from '@skiff/kube-types';
import { SandboxHost } from './sandbox-host';
import * as path from 'node:path';

@Module({})
class PodManagerTestModule {}

/**
 * A PodManager (with the log collection) run in-process against a real api-gateway + network-svc cluster, with a
 * loopback registry, a bridge, nft table and /24 of its own. `dispose()` removes everything it made.
 */
export class PodManagerTestBed {
  readonly tag = randomBytes(3).toString('hex');
  readonly bridge = `skiffP${this.tag}`;
  readonly namespace = `pm-${this.tag}`;
  cluster!: TestCluster;
  client!: KubeClient;
  nats!: NatsConnection;
  host!: SandboxHost;
  manager!: PodManager;
  config!: PodManagerConfig;
  stateDir!: string;
  private registry?: TestRegistry;
  private readonly agents: INestApplicationContext[] = [];

  constructor(readonly subnet: string) {}

  get agentDir(): string {
    return path.join(this.stateDir, 'agent');
  }

  async start(): Promise<this> {
    this.stateDir = await fs.mkdtemp(path.join(tmpdir(), 'skiff-test-pods-'));
    this.registry = await TestRegistry.start(path.join(this.stateDir, 'registry'));
    this.cluster = await startTestCluster({ SKIFF_VSWITCH_CIDR: `${this.subnet}.0/24` }, [
      'api-gateway',
      'network-svc',
    ]);
    this.client = KubeClient.fromKubeconfig(this.cluster.stack.kubeconfig);
    this.nats = await connect({ servers: loadInfraConfig().natsUrl });
    this.host = new SandboxHost(
      {
        stateDir: this.agentDir,
        bridge: this.bridge,
        vswitchCidr: `${this.subnet}.0/24`,
        allowEgress: false,
        mirrors: [{ registry: 'docker.io', endpoint: this.registry.endpoint, insecure: true }],
        nftTable: this.bridge,
      },
      new ProcessRunner(),
    );
    this.config = {
      hostId: `h${this.tag}`,
      zone: `zone-${this.tag}`,
      stateDir: this.agentDir,
      natsPrefix: this.cluster.prefix,
      capacity: { cpuMilli: 2000, memoryBytes: 4 * 2 ** 30, pods: 50 },
      startConcurrency: 4,
      defaultRuntimeClass: 'runc',
      pauseImage: 'busybox',
      statusIntervalMs: 1_000,
      resyncIntervalMs: 30_000,
      volumeRefreshMs: 2_000,
      dns: { nameserver: '10.96.0.10', domain: 'cluster.local', host: { nameservers: [], searches: [], options: [] } },
    };
    await this.client
      .resource({ group: '', version: 'v1', resource: 'namespaces', namespaced: false })
      .create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } });
    this.manager = await this.newManager();
    return this;
  }

  /** A fresh PodManager over the same state dir, wired as the agent wires it and started: what an agent restart looks like. */
  async newManager(): Promise<PodManager> {
    const agent = await NestFactory.createApplicationContext(
      {
        module: PodManagerTestModule,
        providers: [
          { provide: POD_MANAGER_CONFIG, useValue: this.config },
          { provide: KUBE_CLIENT, useValue: this.client },
          { provide: NATS, useValue: this.nats },
          { provide: PodHost, useValue: this.host },
          { provide: SandboxHost, useValue: this.host },
          Clock,
          ...podBoundaryProviders(),
          ...logProviders,
          ...podProviders,
          PodManager,
        ],
      },
      { logger: ['error', 'warn'], abortOnError: false },
    );
    this.agents.push(agent);
    return agent.get(PodManager);
  }

  /** An agent restart: the running agent shut down (its containers keep running), a new one over the same state dir. */
  async restartAgent(): Promise<PodManager> {
    await this.agents.pop()?.close();
    this.manager = await this.newManager();
    return this.manager;
  }

  pods() {
    return this.client.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespaced: true });
  }

  /** Creates the pod as the scheduler would have bound it to this host, and syncs it once. */
  async createPod(
    name: string,
    spec: Partial<Pod['spec']> & { containers: Container[] },
    manager = this.manager,
  ): Promise<Pod> {
    const pod = await this.pods().create(this.namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: this.namespace, annotations: { [SANDBOX_HOST_ANNOTATION]: this.config.hostId } },
      spec: { terminationGracePeriodSeconds: 3, ...spec, nodeName: `virtual-kubelet-${this.config.zone}` },
    });
    await manager.sync({ podUid: pod.metadata.uid!, namespace: this.namespace, name });
    return pod;
  }

  /** Whether network-svc still holds an address for the pod (read from its table, not through the release call). */
  async ipamHolds(podUid: string): Promise<boolean> {
    const db = new Client({ connectionString: this.cluster.databaseUrl });
    await db.connect();
    try {
      return (await db.query('SELECT 1 FROM eni_allocations WHERE pod_uid = $1', [podUid])).rowCount! > 0;
    } finally {
      await db.end();
    }
  }

  getPod(name: string): Promise<Pod> {
    return this.pods().get(this.namespace, name);
  }

  async dispose(): Promise<void> {
    for (const agent of this.agents) await agent.close().catch(() => undefined);
    if (this.host) {
      for (const r of this.manager?.known() ?? []) {
        await this.host.runtimes[r.runtime].sandbox
          .remove(r.uid)
          .catch((e: unknown) => console.error('removing pod', e));
        await this.host.volumes.tearDown(r.uid).catch(() => undefined);
      }
      await this.host.hostNetwork.remove({ bridge: this.bridge, nftTable: this.bridge });
      for (const m of await this.host.mounter.mountsUnder(this.stateDir)) await this.host.mounter.unmount(m);
    }
    await this.registry?.stop();
    await this.nats?.close();
    this.client?.close();
    await this.cluster?.stop();
    if (this.stateDir) await fs.rm(this.stateDir, { recursive: true, force: true });
  }
}

/** `eventually` with the label first, as the pod manager specs read best. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  return eventually(check, timeoutMs, what);
}
