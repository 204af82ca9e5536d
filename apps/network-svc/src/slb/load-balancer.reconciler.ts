import { Inject, Injectable } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import {
  Controller,
  ControllerContext,
  ENDPOINT_SLICES,
  Informer,
  objectKey,
  ReconcileResult,
  SERVICES,
  splitKey,
} from '@skiff/controller-runtime';
import { ignoreNotFound } from '@skiff/kube-client';
import { EndpointSlice, Service, SERVICE_NAME_LABEL } from '@skiff/kube-types';
import { Ipv4Cidr, ServicePortPlan, servicePortPlans, ServiceRules } from '@skiff/service-routing';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { AddressPool, AddressPoolError } from '../edge/address-pool';
import { BandwidthLimit } from '../edge/edge-bandwidth';
import { EdgeContributor, EdgeDataPlane } from '../edge/edge-data-plane';
import { SLB_POOL } from '../edge/edge.providers';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';
import { SlbHealthChecker } from './slb-health-checker';
import { healthCheckOf, listenerProtocolOf, SlbHealthCheck, SlbOptions, slbOptionsOf } from './slb-options';
import { listenersOf, slbRulesOf } from './slb-rules';

/** ASK's cloud controller manager labels a Service with the id of its SLB. */
export const LOADBALANCER_ID_LABEL = 'service.k8s.alibaba/loadbalancer-id';
const OWNER = 'svc:';
const RETRY_MS = 10_000;

/**
 * The SLB of each LoadBalancer Service (upstream's service controller with ASK's cloud provider): an address from
 * the SLB pool — `spec.loadBalancerIP`, or the address of an existing SLB named by the `…loadbalancer-id`
 * annotation — written to status.loadBalancer.ingress; listeners in the edge for every port, to the Service's
 * ready pods; released when the Service goes or stops being a LoadBalancer. Services of another
 * `loadBalancerClass` are left to their controller.
 */
@Injectable()
export class LoadBalancerReconciler implements Controller, EdgeContributor {
  readonly name = 'slb-controller';
  // One at a time: listeners of Services sharing an SLB are checked against each other.
  readonly workers = 1;
  private services!: Informer<Service>;
  private slices!: Informer<EndpointSlice>;
  private readonly vswitch: Ipv4Cidr;
  /** Service key → the SLB it is on. */
  private readonly slbOf = new Map<string, string>();
  /** Service key → the warnings last recorded for it. */
  private readonly warned = new Map<string, string>();
  private enqueue?: (key: string) => void;

  constructor(
    @Inject(NETWORK_SVC_CONFIG) config: NetworkSvcConfig,
    private readonly dataPlane: EdgeDataPlane,
    @Inject(SLB_POOL) private readonly pool: AddressPool,
    private readonly health: SlbHealthChecker,
  ) {
    this.vswitch = new Ipv4Cidr(config.vswitchCidr);
    dataPlane.register(this);
    // A backend passing or failing its health check changes the listeners.
    health.onChange((key) => this.enqueue?.(key));
  }

  begin(ctx: ControllerContext): void {
    this.enqueue = (key) => ctx.enqueue(key);
    this.services = ctx.informers.get<Service>(SERVICES);
    this.slices = ctx.informers.get<EndpointSlice>(ENDPOINT_SLICES);
    for (const e of ['add', 'update', 'delete'] as const) {
      this.services.on(e, (svc) => ctx.enqueue(objectKey(svc)));
      this.slices.on(e, (s) => {
        const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
        if (svc) ctx.enqueue(`${s.metadata.namespace}/${svc}`);
      });
    }
  }

  prepare(): void {
    for (const key of this.slbOf.keys()) this.health.unwatch(key);
    this.slbOf.clear();
    const held: { owner: string; address: string }[] = [];
    for (const svc of this.services.list()) {
      const address = servedAddress(svc);
      if (!isOurs(svc) || !address) continue;
      const slb = slbIdOf(svc, slbOptionsOf(svc).options);
      this.slbOf.set(objectKey(svc), slb);
      held.push({ owner: slb, address });
    }
    this.pool.seed('lb-', held);
  }

  desiredRules(): Map<string, ServiceRules> {
    const out = new Map<string, ServiceRules>();
    for (const [key, slb] of this.slbOf) {
      const { namespace, name } = splitKey(key);
      const svc = this.services.get(namespace, name);
      const address = this.pool.addressOf(slb);
      if (svc && address) out.set(OWNER + key, this.rulesOf(key, svc, address, slbOptionsOf(svc).options));
    }
    return out;
  }

  desiredLimits(): Map<string, BandwidthLimit> {
    const out = new Map<string, BandwidthLimit>();
    for (const [key, slb] of this.slbOf) {
      const { namespace, name } = splitKey(key);
      const svc = this.services.get(namespace, name);
      const address = this.pool.addressOf(slb);
      const limit = svc && address && limitOf(address, slbOptionsOf(svc).options);
      if (limit) out.set(OWNER + key, limit);
    }
    return out;
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    await this.dataPlane.ready(ctx.signal);
    const { namespace, name } = splitKey(key);
    const svc = this.services.get(namespace, name);
    if (!svc || !isOurs(svc)) return this.release(ctx, key, svc);
    const { options, warnings } = slbOptionsOf(svc);
    // Said once per change of what is wrong, not at every endpoint change.
    const said = warnings.map((w) => `${w.annotation}: ${w.message}`);
    if (this.warned.get(key) !== said.join('\n')) {
      for (const message of said) void ctx.events.record(svc, 'Warning', 'InvalidLoadBalancerSpec', message);
      this.warned.set(key, said.join('\n'));
    }
    const slb = slbIdOf(svc, options);
    const previous = this.slbOf.get(key);
    if (previous && previous !== slb) await this.release(ctx, key, undefined);
    let address: string;
    try {
      address = this.addressFor(slb, svc, options);
    } catch (err) {
      if (!(err instanceof AddressPoolError)) throw err;
      void ctx.events.record(svc, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: ${err.message}`);
      return { requeueAfterMs: RETRY_MS };
    }
    const rules = this.rulesOf(key, svc, address, options);
    const clash = this.clashOf(key, slb, rules);
    if (clash) {
      void ctx.events.record(svc, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: ${clash}`);
      return { requeueAfterMs: RETRY_MS };
    }
    this.slbOf.set(key, slb);
    // The SLB's address moved: the Services reusing it move with it.
    if (servedAddress(svc) !== address)
      for (const [other, otherSlb] of this.slbOf) if (other !== key && otherSlb === slb) ctx.enqueue(other);
    await this.dataPlane.set(OWNER + key, rules);
    await this.dataPlane.setLimit(OWNER + key, limitOf(address, options));
    await this.writeStatus(ctx, svc, slb, address);
  }

  private addressFor(slb: string, svc: Service, options: SlbOptions): string {
    if (options.loadBalancerId) {
      // Reusing an SLB: it must exist, held by the Service that made it.
      const address = this.pool.addressOf(slb);
      if (!address) throw new AddressPoolError('NotInPool', `the SLB ${slb} does not exist`);
      return address;
    }
    return this.pool.allocate(slb, svc.spec.loadBalancerIP || undefined);
  }

  /** The Service's listeners, without the backends its health check finds failing (which it keeps probing). */
  private rulesOf(key: string, svc: Service, address: string, options: SlbOptions): ServiceRules {
    const own = this.slices
      .list()
      .filter(
        (s) =>
          s.metadata.namespace === svc.metadata.namespace &&
          s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name,
      );
    const plans = servicePortPlans(svc, own, this.vswitch);
    const checks = new Map<ServicePortPlan, SlbHealthCheck>();
    for (const plan of plans) {
      const port = svc.spec.ports?.find(
        (p) => p.port === plan.port && (p.protocol ?? 'TCP').toLowerCase() === plan.protocol,
      );
      const check = port && healthCheckOf(options, listenerProtocolOf(options, port));
      if (check) checks.set(plan, check);
    }
    const checked = [...checks.keys()].flatMap((p) => p.endpoints.map((e) => `${e.ip}:${e.port}`));
    const check = checks.values().next().value;
    if (check) this.health.watch(key, checked, check);
    else this.health.unwatch(key);
    const healthy = this.health.healthy(key);
    return slbRulesOf(svc, address, plans, options, !options.loadBalancerId, (plan, e) =>
      checks.has(plan) ? healthy.has(`${e.ip}:${e.port}`) : true,
    );
  }

  /** Another Service on the same SLB already listening on one of these ports. */
  private clashOf(key: string, slb: string, rules: ServiceRules): string | undefined {
    const mine = listenersOf(rules);
    for (const [other, otherSlb] of this.slbOf) {
      if (other === key || otherSlb !== slb) continue;
      for (const l of listenersOf(this.dataPlane.rulesOf(OWNER + other))) {
        if (mine.has(l)) return `the listener ${l.split(' . ').slice(1).join('/')} of SLB ${slb} is Service ${other}'s`;
      }
    }
    return undefined;
  }

  private async writeStatus(ctx: ControllerContext, svc: Service, slb: string, address: string): Promise<void> {
    const api = ctx.client.resource<Service>(SERVICES);
    const ns = svc.metadata.namespace;
    if (svc.metadata.labels?.[LOADBALANCER_ID_LABEL] !== slb) {
      await api.patch(ns, svc.metadata.name!, { metadata: { labels: { [LOADBALANCER_ID_LABEL]: slb } } }, 'merge');
    }
    const loadBalancer = { ingress: [{ ip: address }] };
    if (isDeepStrictEqual(svc.status?.loadBalancer, loadBalancer)) return;
    await api.patchStatus(ns, svc.metadata.name!, { status: { loadBalancer } }, 'merge');
    void ctx.events.record(svc, 'Normal', 'EnsuredLoadBalancer', `Ensured load balancer ${slb} at ${address}`);
  }

  /** The Service is gone or no longer ours: its listeners go, and its SLB when no other Service is on it. */
  private async release(ctx: ControllerContext, key: string, svc: Service | undefined): Promise<void> {
    this.health.unwatch(key);
    this.warned.delete(key);
    await this.dataPlane.set(OWNER + key, undefined);
    await this.dataPlane.setLimit(OWNER + key, undefined);
    const slb = this.slbOf.get(key);
    this.slbOf.delete(key);
    if (slb && ![...this.slbOf.values()].includes(slb)) this.pool.release(slb);
    if (!svc?.status?.loadBalancer?.ingress?.length) return;
    const { namespace, name } = splitKey(key);
    try {
      await ctx.client
        .resource<Service>(SERVICES)
        .patchStatus(namespace, name, { status: { loadBalancer: { ingress: null } } }, 'merge');
      void ctx.events.record(svc, 'Normal', 'DeletedLoadBalancer', `Deleted load balancer ${slb ?? ''}`.trim());
    } catch (err) {
      ignoreNotFound(err);
    }
  }
}

/** The SLB's bandwidth cap, on its own address (a Service reusing another's SLB does not set it). */
function limitOf(address: string, options: SlbOptions): BandwidthLimit | undefined {
  return options.bandwidthMbps && !options.loadBalancerId ? { address, mbit: options.bandwidthMbps } : undefined;
}

function isOurs(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

function servedAddress(svc: Service): string | undefined {
  return svc.status?.loadBalancer?.ingress?.find((i) => i.ip)?.ip;
}

/** The SLB a Service is on: the one its annotation names, else its own (an id derived from its uid). */
export function slbIdOf(svc: Service, options: SlbOptions): string {
  if (options.loadBalancerId) return options.loadBalancerId;
  return `lb-${createHash('sha256')
    .update(svc.metadata.uid ?? objectKey(svc))
    .digest('hex')
    .slice(0, 21)}`;
}
