import { Injectable } from '@nestjs/common';
import {
  Controller,
  ControllerContext,
  ENDPOINTS,
  Informer,
  objectKey,
  PODS,
  SERVICES,
  splitKey,
} from '@skiff/controller-runtime';
import { ignoreNotFound } from '@skiff/kube-client';
import { Endpoints, Pod, Service } from '@skiff/kube-types';
import { isDeepStrictEqual } from 'node:util';
import { desiredEndpoints } from './endpoints-object';
import { enqueueSelectingServices, podEndpoints, selectsPods } from './service-endpoints';

/**
 * Upstream's endpoints controller: one v1 Endpoints per Service with a selector, listing the
 * pods it selects (ready and not ready, terminating ones left out), with each pod's own target
 * port. A deleted Service's Endpoints go with it; selectorless Services' Endpoints are their users'.
 */
@Injectable()
export class EndpointsReconciler implements Controller {
  readonly name = 'endpoints-controller';
  readonly workers = 4;
  private services!: Informer<Service>;
  private pods!: Informer<Pod>;
  private endpoints!: Informer<Endpoints>;

  begin(ctx: ControllerContext): void {
    this.services = ctx.informers.get<Service>(SERVICES);
    this.pods = ctx.informers.get<Pod>(PODS);
    this.endpoints = ctx.informers.get<Endpoints>(ENDPOINTS);
    for (const e of ['add', 'update', 'delete'] as const) this.services.on(e, (svc) => ctx.enqueue(objectKey(svc)));
    enqueueSelectingServices(ctx, this.pods, this.services);
    // Someone deleted an Endpoints the controller keeps: write it again.
    this.endpoints.on('delete', (eps) => ctx.enqueue(objectKey(eps)));
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const api = ctx.client.resource<Endpoints>(ENDPOINTS);
    const svc = this.services.get(namespace, name);
    const current = this.endpoints.get(namespace, name);
    if (!svc) {
      if (current) await api.delete(namespace, name).catch(ignoreNotFound);
      return;
    }
    if (!selectsPods(svc)) return;
    const desired = desiredEndpoints(svc, podEndpoints(svc, this.pods.list()));
    if (!current) {
      await api.create(namespace, desired);
      return;
    }
    if (isDeepStrictEqual(current.subsets ?? [], desired.subsets ?? []) && sameLabels(current, desired)) return;
    const { subsets: _old, ...rest } = current;
    await api.update(namespace, {
      ...rest,
      metadata: { ...current.metadata, labels: desired.metadata.labels },
      ...(desired.subsets ? { subsets: desired.subsets } : {}),
    });
  }
}

function sameLabels(a: Endpoints, b: Endpoints): boolean {
  return isDeepStrictEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {});
}
