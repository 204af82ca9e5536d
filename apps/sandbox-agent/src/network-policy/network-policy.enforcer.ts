import { readFile } from 'node:fs/promises';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Nftables } from '@skiff/host-tools';
import { Pod } from '@skiff/kube-types';
import {
  NETWORK_POLICY_CACHES,
  NETWORK_POLICY_CONFIG,
  NetworkPolicyCaches,
  NetworkPolicyConfig,
} from './network-policy.config';
import { NftSyncLoop } from '../platform/nft-sync-loop';
import { compilePolicies, PolicyDataplane } from './policy-dataplane';
import { fullPolicyRuleset, policyElementUpdate, policySkeleton, PolicyTableConfig } from './policy-ruleset';

// How long a pod start waits for its address to be in the table (a slow or failing nft must not stop pods).
const GUARD_WAIT_MS = 2_000;
// A starting pod the caches have not seen yet keeps its address this long on the agent's word alone.
const UNSEEN_POD_TTL_MS = 30_000;

/**
 * NetworkPolicy on this host: every NetworkPolicy, Pod and Namespace of the cluster becomes named sets of pod
 * addresses and the rules that use them, in the agent's own nft table. Any event marks the table dirty; one sync
 * at a time computes it all again and writes the difference to what it last applied as one `nft -f` transaction:
 * set elements only when no policy changed (a label, a pod, a namespace), the whole table when one did. The first
 * sync (and any after a failed write) replaces the table. Rules stay when the agent stops: pods stay guarded
 * until the next agent rebuilds them; the agent's cleanup deletes the table.
 */
@Injectable()
export class NetworkPolicyEnforcer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(NetworkPolicyEnforcer.name);
  private readonly table: PolicyTableConfig;
  private readonly loop = new NftSyncLoop(this, this.log, 'NetworkPolicies, Pods and Namespaces');
  private applied?: { plane: PolicyDataplane; skeleton: string };
  private dirty = true;
  private stopped = false;
  // This host's starting pods by uid: their addresses before the API's status has them.
  private readonly starting = new Map<string, { pod: Pod; ip: string; since: number }>();

  constructor(
    @Inject(NETWORK_POLICY_CONFIG) config: NetworkPolicyConfig,
    @Inject(NETWORK_POLICY_CACHES) private readonly caches: NetworkPolicyCaches,
    private readonly nft: Nftables,
  ) {
    if (!/^skiff[\w-]*$/.test(config.table)) throw new Error(`nft table "${config.table}" must start with "skiff"`);
    this.table = { table: config.table, bridge: config.bridge };
  }

  onApplicationBootstrap(): void {
    this.start();
    void this.checkBridgeFiltering();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    const { policies, pods, namespaces } = this.caches;
    for (const e of ['add', 'update', 'delete'] as const) {
      policies.on(e, () => this.markDirty());
      pods.on(e, (pod) => {
        if (e === 'delete') this.starting.delete(pod.metadata.uid ?? '');
        this.markDirty();
      });
      namespaces.on(e, () => this.markDirty());
    }
    this.caches.start();
    void this.loop.start(() => this.caches.synced());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    await this.caches.stop();
  }

  /**
   * A pod of this host is about to start with this address: it goes into the sets (isolation included) before
   * any container of it runs, instead of when its status reaches the API.
   */
  async guardAddress(pod: Pod, ip: string): Promise<void> {
    const uid = pod.metadata.uid;
    if (!uid || this.stopped) return;
    this.starting.set(uid, { pod, ip, since: Date.now() });
    this.markDirty();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, GUARD_WAIT_MS)));
    await Promise.race([this.loop.whenSynced(), late]);
    clearTimeout(timer);
  }

  /** Resolves when the table matches the caches as of now (tests). */
  whenSynced(): Promise<void> {
    return this.loop.whenSynced();
  }

  pending(): boolean {
    return this.dirty;
  }

  async sync(): Promise<void> {
    this.dirty = false;
    const started = Date.now();
    const plane = compilePolicies({
      policies: this.caches.policies.list(),
      pods: this.podsWithAddresses(),
      namespaces: this.caches.namespaces.list(),
    });
    const skeleton = policySkeleton(this.table, plane);
    try {
      if (this.applied?.skeleton === skeleton) {
        const script = policyElementUpdate(this.table.table, this.applied.plane, plane);
        if (script) await this.nft.apply(script);
      } else {
        await this.nft.apply(fullPolicyRuleset(this.table, plane));
        this.log.log(
          `programmed ${plane.policies.length} NetworkPolicies in table inet ${this.table.table} (${Date.now() - started} ms)`,
        );
      }
      this.applied = { plane, skeleton };
    } catch (err) {
      // The transaction left the table as it was; what is in it is no longer known to be exact: rebuild it all.
      this.applied = undefined;
      this.dirty = true;
      throw err;
    }
  }

  // Pods on one bridge talk at layer 2: only br_netfilter brings their packets to the forward hook.
  private async checkBridgeFiltering(): Promise<void> {
    const value = await readFile('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').catch(() => '');
    if (value.trim() !== '1')
      this.log.error(
        'net.bridge.bridge-nf-call-iptables is not 1 (modprobe br_netfilter): NetworkPolicy does not apply between pods of this host',
      );
  }

  private markDirty(): void {
    this.dirty = true;
    this.loop.poke();
  }

  private podsWithAddresses(): Pod[] {
    const seen = new Set<string>();
    const pods = this.caches.pods.list().map((pod) => {
      const uid = pod.metadata.uid ?? '';
      seen.add(uid);
      const local = this.starting.get(uid);
      if (!local) return pod;
      if (pod.status?.podIP) {
        this.starting.delete(uid);
        return pod;
      }
      return { ...pod, status: { ...pod.status, podIP: local.ip } };
    });
    for (const [uid, local] of this.starting) {
      if (seen.has(uid)) continue;
      if (Date.now() - local.since > UNSEEN_POD_TTL_MS) this.starting.delete(uid);
      else pods.push({ ...local.pod, status: { ...local.pod.status, podIP: local.ip } });
    }
    return pods;
  }
}
