import { Logger } from '@nestjs/common';
import { ServiceRules, updateRuleset } from '@skiff/service-routing';
import { isDeepStrictEqual } from 'node:util';
import { BandwidthLimit, EdgeBandwidth } from './edge-bandwidth';
import { EdgeNetwork } from './edge-network';
import { EDGE_TABLE, fullEdgeRuleset } from './edge-ruleset';

/** A controller with rules in the edge (SLBs, EIPs): what it wants there, from its caches, at the start of a term. */
export interface EdgeContributor {
  /** Seeds its memory (address pools) from the caches; called before any contributor's `desiredRules`. */
  prepare(): void;
  /** Its rules, by owner. */
  desiredRules(): Map<string, ServiceRules>;
  /** Its bandwidth limits (an SLB's `bandwidth`, an EIP's), by owner. */
  desiredLimits(): Map<string, BandwidthLimit>;
}

/**
 * The edge's nft table, one ServiceRules per owner (an SLB's Service, an EIP's pod). The first reconcile of a
 * leadership term (`ready`) converges the whole table in one transaction from every contributor's caches; after
 * that `set` changes one owner's rules, touching nothing else — unchanged chains and affinity sets stay, so
 * established connections and persistence survive an endpoint change. Between network-svc processes the kernel
 * keeps the table serving.
 */
export class EdgeDataPlane {
  private readonly log = new Logger(EdgeDataPlane.name);
  private readonly contributors: EdgeContributor[] = [];
  private applied = new Map<string, ServiceRules>();
  private limits = new Map<string, BandwidthLimit>();
  // EdgeBandwidth.apply calls must not overlap: they run one after another.
  private shaping: Promise<void> = Promise.resolve();
  private converging?: { term: AbortSignal; promise: Promise<void> };

  constructor(
    readonly network: EdgeNetwork,
    private readonly bandwidth: EdgeBandwidth,
  ) {}

  register(contributor: EdgeContributor): void {
    this.contributors.push(contributor);
  }

  /** Converges the netns and the table once per term (`term` is the term's abort signal), and again after a failure. */
  ready(term: AbortSignal): Promise<void> {
    // Every controller of the edge waits for the same convergence: a second one would re-seed the pools and
    // rewrite the table under changes the first controllers already made.
    if (this.converging?.term !== term) {
      const promise = this.converge();
      this.converging = { term, promise };
      promise.catch(() => {
        if (this.converging?.promise === promise) this.converging = undefined;
      });
    }
    return this.converging!.promise;
  }

  private async converge(): Promise<void> {
    await this.network.ensure();
    for (const c of this.contributors) c.prepare();
    const desired = new Map<string, ServiceRules>();
    const limits = new Map<string, BandwidthLimit>();
    for (const c of this.contributors) {
      for (const [owner, rules] of c.desiredRules()) desired.set(owner, rules);
      for (const [owner, limit] of c.desiredLimits()) limits.set(owner, limit);
    }
    await this.network.nft.apply(fullEdgeRuleset(desired.values()));
    this.applied = desired;
    this.limits = limits;
    await this.shape();
    this.log.log(`edge ${this.network.config.netns}: programmed ${desired.size} SLB listeners and EIPs`);
  }

  /** One owner's new rules (undefined: it has none any more). */
  async set(owner: string, rules: ServiceRules | undefined): Promise<void> {
    const before = this.applied.get(owner);
    if (isDeepStrictEqual(before, rules)) return;
    const script = updateRuleset(EDGE_TABLE, [{ before, after: rules }]);
    try {
      if (script) await this.network.nft.apply(script);
    } catch (err) {
      // The table is not what we think (someone flushed it, the netns went away): the next pass rewrites it all.
      this.converging = undefined;
      throw err;
    }
    if (rules) this.applied.set(owner, rules);
    else this.applied.delete(owner);
  }

  /** One owner's bandwidth limit (undefined: none). */
  async setLimit(owner: string, limit: BandwidthLimit | undefined): Promise<void> {
    if (isDeepStrictEqual(this.limits.get(owner), limit)) return;
    if (limit) this.limits.set(owner, limit);
    else this.limits.delete(owner);
    await this.shape();
  }

  private shape(): Promise<void> {
    const next = this.shaping.then(() => this.bandwidth.apply([...this.limits.values()]));
    this.shaping = next.catch(() => undefined);
    return next;
  }

  /** The rules applied for an owner (another owner's listeners are checked against them). */
  rulesOf(owner: string): ServiceRules | undefined {
    return this.applied.get(owner);
  }
}
