import { Injectable } from '@nestjs/common';
import {
  Controller,
  ControllerContext,
  ENDPOINT_SLICES,
  ENDPOINTS,
  Informer,
  objectKey,
  PODS,
  SERVICES,
  splitKey,
} from '@skiff/controller-runtime';
import { ignoreNotFound } from '@skiff/kube-client';
import {
  EndpointSlice,
  Endpoints,
  ENDPOINTSLICE_MANAGED_BY_LABEL as MANAGED_BY_LABEL,
  Pod,
  Service,
  SERVICE_NAME_LABEL,
} from '@skiff/kube-types';
import { isDeepStrictEqual } from 'node:util';
import {
  DesiredSlice,
  MIRRORING_CONTROLLER,
  portsKeyOf,
  SLICE_CONTROLLER,
  slicesFromEndpoints,
  slicesFromPods,
} from './endpoint-slices';
import { enqueueSelectingServices, podEndpoints, selectsPods } from './service-endpoints';

const MANAGERS = [SLICE_CONTROLLER, MIRRORING_CONTROLLER];

/**
 * Upstream's EndpointSlice and EndpointSlice mirroring controllers, keyed by Service: the slices
 * of a Service with a selector come from its pods (terminating ones included, with conditions);
 * a selectorless Service's slices mirror the Endpoints its users write. Existing slices are
 * reused for the same port set before new ones are made; surplus ones are deleted.
 */
@Injectable()
export class EndpointSliceReconciler implements Controller {
  readonly name = 'endpointslice-controller';
  readonly workers = 4;
  private services!: Informer<Service>;
  private pods!: Informer<Pod>;
  private endpoints!: Informer<Endpoints>;
  private slices!: Informer<EndpointSlice>;

  begin(ctx: ControllerContext): void {
    this.services = ctx.informers.get<Service>(SERVICES);
    this.pods = ctx.informers.get<Pod>(PODS);
    this.endpoints = ctx.informers.get<Endpoints>(ENDPOINTS);
    this.slices = ctx.informers.get<EndpointSlice>(ENDPOINT_SLICES);
    const byKey = (obj: Service | Endpoints): void => ctx.enqueue(objectKey(obj));
    enqueueSelectingServices(ctx, this.pods, this.services);
    for (const e of ['add', 'update', 'delete'] as const) {
      this.services.on(e, byKey);
      this.endpoints.on(e, byKey);
      this.slices.on(e, (slice) => {
        const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
        if (service && MANAGERS.includes(slice.metadata.labels?.[MANAGED_BY_LABEL] ?? ''))
          ctx.enqueue(`${slice.metadata.namespace}/${service}`);
      });
    }
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const api = ctx.client.resource<EndpointSlice>(ENDPOINT_SLICES);
    const svc = this.services.get(namespace, name);
    const desired = svc ? this.desired(svc) : [];
    const existing = this.slices
      .list()
      .filter(
        (s) =>
          s.metadata.namespace === namespace &&
          s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
          MANAGERS.includes(s.metadata.labels?.[MANAGED_BY_LABEL] ?? ''),
      )
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    const unused = new Set(existing);
    for (const d of desired) {
      const reuse = existing.find(
        (s) => unused.has(s) && s.metadata.labels?.[MANAGED_BY_LABEL] === d.managedBy && portsKeyOf(s) === d.portsKey,
      );
      if (!reuse) {
        await api.create(namespace, d.slice);
        continue;
      }
      unused.delete(reuse);
      if (sameSlice(reuse, d)) continue;
      await api.update(namespace, {
        ...reuse,
        metadata: {
          ...reuse.metadata,
          labels: d.slice.metadata.labels,
          ownerReferences: d.slice.metadata.ownerReferences,
        },
        endpoints: d.slice.endpoints,
        ports: d.slice.ports,
      });
    }
    for (const s of unused) await api.delete(namespace, s.metadata.name!).catch(ignoreNotFound);
  }

  private desired(svc: Service): DesiredSlice[] {
    if (selectsPods(svc)) return slicesFromPods(svc, podEndpoints(svc, this.pods.list()));
    const eps = this.endpoints.get(svc.metadata.namespace, svc.metadata.name!);
    return eps && svc.spec?.type !== 'ExternalName' ? slicesFromEndpoints(svc, eps) : [];
  }
}

function sameSlice(s: EndpointSlice, d: DesiredSlice): boolean {
  return (
    isDeepStrictEqual(s.endpoints ?? [], d.slice.endpoints ?? []) &&
    isDeepStrictEqual(s.ports ?? [], d.slice.ports ?? []) &&
    isDeepStrictEqual(s.metadata.labels ?? {}, d.slice.metadata.labels ?? {}) &&
    isDeepStrictEqual(s.metadata.ownerReferences ?? [], d.slice.metadata.ownerReferences ?? [])
  );
}
