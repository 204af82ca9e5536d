import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { applyJsonMergePatch, Clock, JsonValue, KubeObject, metaTime, Status } from '@skiff/api-machinery';
import { EventRecorder } from '@skiff/controller-runtime';
import { DeleteOptions, KubeApiError, KubeList, ListOptions } from '@skiff/kube-client';
import { Container, Pod, SANDBOX_HOST_ANNOTATION, Service } from '@skiff/kube-types';
import { IpAllocation, IpAllocationRequest } from '@skiff/messaging';
import { FakeClock } from '@skiff/testing';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CONFIG_OBJECT_SOURCE, POD_API, POD_MANAGER_CONFIG, PodApi } from '../platform/agent.providers';
import { ConfigObjectSource } from './env-resolver';
import { FakePodHost } from './fake-pod-host.fixture';
import { IpamClient } from './ipam.client';
import { PodHost } from './pod-host';
import { PodLogs } from './pod-logs';
import { PodManagerConfig } from './pod-manager.config';
import { podProviders } from './pod.providers';
import { PodRecord, PodStateStore } from './pod-state.store';

const notFound = (name: string) => new KubeApiError(404, 'NotFound', `pods "${name}" not found`);

/** The pods resource in memory, as the API server keeps it: uids, resourceVersions, merge-patched status, graceful deletion. */
export class FakePodApi implements PodApi {
  readonly statusPatches: { name: string; status: Pod['status'] }[] = [];
  readonly deletes: { name: string; opts: DeleteOptions }[] = [];
  gets = 0;
  private readonly pods = new Map<string, Pod>();
  private rv = 1;

  constructor(private readonly clock: Clock) {}

  /** A pod as the scheduler leaves it: bound to the zone's virtual node and annotated with this host. */
  add(config: PodManagerConfig, name: string, spec: Partial<Pod['spec']> & { containers: Container[] }): Pod {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'default',
        uid: randomUUID(),
        resourceVersion: String(++this.rv),
        creationTimestamp: metaTime(this.clock.nowMs()),
        annotations: { [SANDBOX_HOST_ANNOTATION]: config.hostId },
      },
      spec: { ...spec, nodeName: `virtual-kubelet-${config.zone}` },
      status: { phase: 'Pending' },
    };
    this.pods.set(name, pod);
    return structuredClone(pod);
  }

  /** A user's graceful delete: the pod stays, marked, until its kubelet finishes it. */
  beginDeletion(name: string, graceSeconds = 30): void {
    const pod = this.find(name);
    pod.metadata.deletionTimestamp = metaTime(this.clock.nowMs());
    pod.metadata.deletionGracePeriodSeconds = graceSeconds;
    pod.metadata.resourceVersion = String(++this.rv);
  }

  /** Gone from the API without this agent finishing it (a force deletion, say). */
  remove(name: string): void {
    this.pods.delete(name);
  }

  peek(name: string): Pod | undefined {
    const pod = this.pods.get(name);
    return pod && structuredClone(pod);
  }

  async get(_ns: string | undefined, name: string): Promise<Pod> {
    this.gets += 1;
    return structuredClone(this.find(name));
  }

  async list(_ns?: string, opts: ListOptions = {}): Promise<KubeList<Pod>> {
    const node = /^spec\.nodeName=(.*)$/.exec(opts.fieldSelector ?? '')?.[1];
    const items = [...this.pods.values()].filter((p) => node === undefined || p.spec.nodeName === node);
    return { metadata: { resourceVersion: String(this.rv) }, items: items.map((p) => structuredClone(p)) };
  }

  async patchStatus(_ns: string | undefined, name: string, patch: unknown): Promise<Pod> {
    // What goes over the wire is JSON: undefined fields are not sent.
    const body = JSON.parse(JSON.stringify(patch)) as { status: Pod['status'] };
    const pod = this.find(name);
    const patched = applyJsonMergePatch(pod as unknown as JsonValue, body as unknown as JsonValue) as unknown as Pod;
    patched.metadata.resourceVersion = String(++this.rv);
    this.pods.set(name, patched);
    this.statusPatches.push({ name, status: structuredClone(body.status) });
    return structuredClone(patched);
  }

  async delete(_ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<Pod | Status> {
    const pod = this.find(name);
    if (opts.preconditions?.uid && opts.preconditions.uid !== pod.metadata.uid)
      throw new KubeApiError(409, 'Conflict', 'Precondition failed: UID in precondition does not match');
    this.deletes.push({ name, opts });
    if (opts.gracePeriodSeconds === 0) {
      this.pods.delete(name);
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' } as Status;
    }
    this.beginDeletion(name, opts.gracePeriodSeconds);
    return structuredClone(pod);
  }

  private find(name: string): KubeObject & Pod {
    const pod = this.pods.get(name);
    if (!pod) throw notFound(name);
    return pod;
  }
}

/** network-svc's IPAM in memory: one address per pod uid from 10.0.0.0/24. */
export class FakeIpam implements Pick<IpamClient, 'allocate' | 'release'> {
  readonly allocated = new Map<string, IpAllocation>();
  readonly allocations: string[] = [];
  readonly releases: string[] = [];
  private next = 10;

  async allocate(req: IpAllocationRequest): Promise<IpAllocation> {
    this.allocations.push(req.podUid);
    const held = this.allocated.get(req.podUid);
    if (held) return held;
    const ip = {
      podUid: req.podUid,
      ip: `10.0.0.${this.next++}`,
      prefixLength: 24,
      gateway: '10.0.0.1',
      cidr: '10.0.0.0/24',
    };
    this.allocated.set(req.podUid, ip);
    return ip;
  }

  async release(podUid: string): Promise<boolean> {
    this.releases.push(podUid);
    return this.allocated.delete(podUid);
  }
}

export class FakeEvents implements Pick<EventRecorder, 'record'> {
  readonly recorded: { name: string; type: string; reason: string; message: string }[] = [];

  async record(involved: KubeObject, type: string, reason: string, message: string): Promise<void> {
    this.recorded.push({ name: involved.metadata.name ?? '', type, reason, message });
  }

  reasons(name: string): string[] {
    return this.recorded.filter((e) => e.name === name).map((e) => e.reason);
  }
}

/** The log collection as the pod code drives it: the pods followed, and each drain and forget with what was left then. */
export class FakePodLogs extends PodLogs {
  readonly followed = new Set<string>();
  readonly calls: { op: 'drain' | 'forget'; uid: string; sandboxRemoved: boolean; volumesTornDown: boolean }[] = [];

  constructor(private readonly host: FakePodHost) {
    super();
  }

  follow(record: PodRecord): void {
    this.followed.add(record.uid);
  }

  async drain(record: PodRecord): Promise<void> {
    this.note('drain', record.uid);
  }

  async forget(uid: string): Promise<void> {
    this.followed.delete(uid);
    this.note('forget', uid);
  }

  private note(op: 'drain' | 'forget', uid: string): void {
    const removals = [...this.host.runc.sandbox.removals, ...this.host.runsc.sandbox.removals];
    this.calls.push({
      op,
      uid,
      sandboxRemoved: removals.includes(uid),
      volumesTornDown: this.host.volumes.tearDowns.includes(uid),
    });
  }
}

class NoConfigObjects implements ConfigObjectSource {
  async configMap(): Promise<undefined> {
    return undefined;
  }

  async secret(): Promise<undefined> {
    return undefined;
  }

  async services(): Promise<Service[]> {
    return [];
  }

  async claim(): Promise<undefined> {
    return undefined;
  }

  async volume(): Promise<undefined> {
    return undefined;
  }

  async claimResized(): Promise<void> {}

  async serviceAccountToken(): Promise<string> {
    throw new Error('serviceaccounts "default" not found');
  }
}

@Module({})
class PodAgentTestModule {}

/**
 * The pod code wired as the agent wires it (`podProviders`), with fakes at its boundary: an in-memory
 * host, pods API, IPAM, event recorder and log collection, a FakeClock, and a PodStateStore over a temp dir. `restart()`
 * gives a fresh agent over the same state dir, host and API. PodManager is not started: specs drive its parts.
 */
export class PodAgentTestBed {
  readonly clock = new FakeClock();
  readonly host = new FakePodHost(this.clock);
  readonly api = new FakePodApi(this.clock);
  readonly ipam = new FakeIpam();
  readonly events = new FakeEvents();
  readonly logs = new FakePodLogs(this.host);
  stateDir!: string;
  config!: PodManagerConfig;
  agent!: INestApplicationContext;
  private readonly agents: INestApplicationContext[] = [];

  async start(): Promise<this> {
    this.stateDir = await fs.mkdtemp(path.join(tmpdir(), 'skiff-unit-pods-'));
    this.config = {
      hostId: 'host-a',
      zone: 'zone-a',
      stateDir: this.stateDir,
      natsPrefix: 'skiff',
      capacity: { cpuMilli: 2000, memoryBytes: 4 * 2 ** 30, pods: 10 },
      startConcurrency: 4,
      defaultRuntimeClass: 'runc',
      pauseImage: 'busybox',
      statusIntervalMs: 1_000,
      resyncIntervalMs: 30_000,
      volumeRefreshMs: 10_000,
      dns: { nameserver: '10.96.0.10', domain: 'cluster.local', host: { nameservers: [], searches: [], options: [] } },
    };
    await this.restart();
    return this;
  }

  /** A new agent process: empty memory, the same state dir, host and API. */
  async restart(): Promise<INestApplicationContext> {
    this.agent = await NestFactory.createApplicationContext(
      {
        module: PodAgentTestModule,
        providers: [
          { provide: POD_MANAGER_CONFIG, useValue: this.config },
          { provide: Clock, useValue: this.clock },
          { provide: PodHost, useValue: this.host },
          { provide: POD_API, useValue: this.api },
          { provide: IpamClient, useValue: this.ipam },
          { provide: EventRecorder, useValue: this.events },
          { provide: PodLogs, useValue: this.logs },
          { provide: CONFIG_OBJECT_SOURCE, useValue: new NoConfigObjects() },
          { provide: PodStateStore, useFactory: () => new PodStateStore(this.stateDir) },
          ...podProviders,
        ],
      },
      { logger: false, abortOnError: false },
    );
    this.agents.push(this.agent);
    return this.agent;
  }

  /** Creates a pod placed on this host. */
  addPod(name: string, spec: Partial<Pod['spec']> & { containers: Container[] }): Pod {
    return this.api.add(this.config, name, spec);
  }

  /** The records in the state dir, read as the next agent would. */
  saved(): Promise<{ uid: string; ip?: IpAllocation }[]> {
    return new PodStateStore(this.stateDir).loadAll();
  }

  async dispose(): Promise<void> {
    for (const a of this.agents) await a.close();
    if (this.stateDir) await fs.rm(this.stateDir, { recursive: true, force: true });
  }
}
