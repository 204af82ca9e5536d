import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Controller,
  ControllerContext,
  ENDPOINT_SLICES,
  Informer,
  INGRESS_CLASSES,
  INGRESSES,
  SECRETS,
  SERVICES,
} from '@skiff/controller-runtime';
import { ignoreAlreadyExists, ignoreNotFound } from '@skiff/kube-client';
import { EndpointSlice, Ingress, IngressClass, Secret, Service } from '@skiff/kube-types';
import { ServiceRules } from '@skiff/service-routing';
import { isDeepStrictEqual } from 'node:util';
import { AddressPool, AddressPoolError } from '../edge/address-pool';
import { BandwidthLimit } from '../edge/edge-bandwidth';
import { EdgeContributor, EdgeDataPlane } from '../edge/edge-data-plane';
import { SLB_POOL } from '../edge/edge.providers';
import { IngressProxy, IngressProxyError } from './haproxy-process';
import { classNameOf, ingressProxyModel } from './ingress-model';

/** ASK's ALB Ingress controller and ingress-nginx: the classes the built-in proxy serves. */
export const ALB_INGRESS_CONTROLLER = 'ingress.k8s.alibabacloud/alb';
export const NGINX_INGRESS_CONTROLLER = 'k8s.io/ingress-nginx';
const SERVED_CONTROLLERS = new Set([ALB_INGRESS_CONTROLLER, NGINX_INGRESS_CONTROLLER]);
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** Where an IngressClass's address from the SLB pool is kept. */
export const INGRESS_ADDRESS_ANNOTATION = 'network.skiff.io/address';
const KEY = 'ingresses';
const OWNER = 'ingressclass/';

/** The classes a cluster starts with: `alb` (the default, as ASK's) and `nginx`. */
const BUILT_IN_CLASSES: IngressClass[] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'alb', annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    spec: { controller: ALB_INGRESS_CONTROLLER },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'nginx' },
    spec: { controller: NGINX_INGRESS_CONTROLLER },
  },
];

/**
 * Ingress without deploying a controller: every Ingress of a served class (the default `alb`, `nginx`) is routed by
 * one HAProxy in the edge, each class on its own address from the SLB pool, shown in the Ingresses' status. The
 * whole proxy is one key: an endpoint change goes through HAProxy's runtime API, anything else is a hitless reload.
 */
@Injectable()
export class IngressReconciler implements Controller, EdgeContributor {
  readonly name = 'ingress-controller';
  readonly workers = 1;
  private readonly log = new Logger(IngressReconciler.name);
  private ingresses!: Informer<Ingress>;
  private classes!: Informer<IngressClass>;
  private services!: Informer<Service>;
  private slices!: Informer<EndpointSlice>;
  private secrets!: Informer<Secret>;
  private classesEnsuredFor?: AbortSignal;
  private proxyStarted = false;
  private warned = new Set<string>();

  constructor(
    private readonly dataPlane: EdgeDataPlane,
    @Inject(SLB_POOL) private readonly pool: AddressPool,
    private readonly proxy: IngressProxy,
  ) {
    dataPlane.register(this);
  }

  begin(ctx: ControllerContext): void {
    this.ingresses = ctx.informers.get<Ingress>(INGRESSES);
    this.classes = ctx.informers.get<IngressClass>(INGRESS_CLASSES);
    this.services = ctx.informers.get<Service>(SERVICES);
    this.slices = ctx.informers.get<EndpointSlice>(ENDPOINT_SLICES);
    this.secrets = ctx.informers.get<Secret>(SECRETS);
    const all = () => ctx.enqueue(KEY);
    for (const e of ['add', 'update', 'delete'] as const) {
      this.ingresses.on(e, all);
      this.classes.on(e, all);
      this.services.on(e, all);
      this.slices.on(e, all);
      this.secrets.on(e, (s) => s.type === 'kubernetes.io/tls' && all());
    }
    ctx.enqueue(KEY);
  }

  prepare(): void {
    const held = this.classes
      .list()
      .filter((c) => c.metadata.annotations?.[INGRESS_ADDRESS_ANNOTATION])
      .map((c) => ({ owner: OWNER + c.metadata.name, address: c.metadata.annotations![INGRESS_ADDRESS_ANNOTATION] }));
    this.pool.seed(OWNER, held);
  }

  // The proxy binds its addresses itself: nothing in the edge's nft table.
  desiredRules(): Map<string, ServiceRules> {
    return new Map();
  }

  desiredLimits(): Map<string, BandwidthLimit> {
    return new Map();
  }

  async reconcile(ctx: ControllerContext): Promise<void> {
    await this.dataPlane.ready(ctx.signal);
    await this.ensureBuiltInClasses(ctx);
    const served = await this.servedClasses(ctx);
    const defaultClass = served.find((c) => c.class.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
    const { model, warnings } = ingressProxyModel({
      classes: served.map((c) => ({ name: c.class.metadata.name!, address: c.address })),
      ...(defaultClass ? { defaultClass: defaultClass.class.metadata.name } : {}),
      ingresses: this.ingresses.list(),
      services: this.services.list(),
      slices: this.slices.list(),
      secrets: this.secrets.list(),
    });
    // Each warning is said once while it lasts, not at every endpoint change in the cluster.
    const warned = new Set<string>();
    for (const w of warnings) {
      const [namespace, name] = w.ingress.split('/');
      const ingress = this.ingresses.get(namespace, name);
      const message = w.annotation ? `${w.annotation}: ${w.message}` : w.message;
      const key = `${ingress?.metadata.uid}\u0000${message}`;
      warned.add(key);
      if (ingress && !this.warned.has(key)) void ctx.events.record(ingress, 'Warning', 'InvalidIngressSpec', message);
    }
    this.warned = warned;
    if (!this.proxyStarted) {
      if (await this.proxy.start()) this.log.log('adopted the running Ingress proxy');
      this.proxyStarted = true;
    }
    try {
      const outcome = await this.proxy.apply(model);
      if (outcome !== 'unchanged') this.log.log(`Ingress proxy: ${outcome}`);
    } catch (err) {
      if (!(err instanceof IngressProxyError) || err.code !== 'InvalidConfig') throw err;
      // The running proxy keeps its last good config; say why on every Ingress it serves.
      for (const ing of this.ingresses.list())
        if (served.some((c) => c.class.metadata.name === classNameOf(ing, defaultClass?.class.metadata.name)))
          void ctx.events.record(ing, 'Warning', 'SyncIngressFailed', err.message);
      return;
    }
    await this.writeStatuses(ctx, served, defaultClass?.class);
  }

  private async ensureBuiltInClasses(ctx: ControllerContext): Promise<void> {
    if (this.classesEnsuredFor === ctx.signal) return;
    const api = ctx.client.resource<IngressClass>(INGRESS_CLASSES);
    for (const c of BUILT_IN_CLASSES)
      if (!this.classes.get(undefined, c.metadata.name!)) await api.create(undefined, c).catch(ignoreAlreadyExists);
    this.classesEnsuredFor = ctx.signal;
  }

  /** The classes of a served controller, each with its address (handed out and recorded on it when new). */
  private async servedClasses(ctx: ControllerContext): Promise<{ class: IngressClass; address: string }[]> {
    const out: { class: IngressClass; address: string }[] = [];
    const names = new Set<string>();
    for (const c of this.classes.list()) {
      if (!SERVED_CONTROLLERS.has(c.spec.controller ?? '')) continue;
      const name = c.metadata.name!;
      names.add(OWNER + name);
      let address: string;
      try {
        address = this.pool.allocate(OWNER + name);
      } catch (err) {
        if (!(err instanceof AddressPoolError)) throw err;
        void ctx.events.record(c, 'Warning', 'AllocationFailed', err.message);
        continue;
      }
      if (c.metadata.annotations?.[INGRESS_ADDRESS_ANNOTATION] !== address) {
        const annotations = { [INGRESS_ADDRESS_ANNOTATION]: address };
        await ctx.client
          .resource<IngressClass>(INGRESS_CLASSES)
          .patch(undefined, name, { metadata: { annotations } }, 'merge')
          .catch(ignoreNotFound);
      }
      out.push({ class: c, address });
    }
    // A class deleted, or handed to another controller: its address goes back to the pool.
    for (const owner of this.pool.owners(OWNER)) if (!names.has(owner)) this.pool.release(owner);
    return out;
  }

  /** status.loadBalancer of every Ingress: its class's address when served, nothing when not (any more). */
  private async writeStatuses(
    ctx: ControllerContext,
    served: { class: IngressClass; address: string }[],
    defaultClass: IngressClass | undefined,
  ): Promise<void> {
    const api = ctx.client.resource<Ingress>(INGRESSES);
    for (const ing of this.ingresses.list()) {
      const address = served.find(
        (c) => c.class.metadata.name === classNameOf(ing, defaultClass?.metadata.name),
      )?.address;
      const current = ing.status?.loadBalancer?.ingress ?? [];
      // Another controller's Ingress keeps the status it was given; one of ours that left loses its address.
      if (!address && !current.some((i) => i.ip && this.pool.contains(i.ip))) continue;
      const loadBalancer = address ? { ingress: [{ ip: address }] } : { ingress: null };
      if (isDeepStrictEqual(current, loadBalancer.ingress ?? [])) continue;
      await api
        .patchStatus(ing.metadata.namespace, ing.metadata.name!, { status: { loadBalancer } }, 'merge')
        .catch(ignoreNotFound);
      if (address) void ctx.events.record(ing, 'Normal', 'Sync', `Scheduled for sync at ${address}`);
    }
  }
}
