import { Injectable } from '@nestjs/common';
import { ApiError, Clock, isJsonObject, JsonObject, KubeObject, Status } from '@skiff/api-machinery';
import { ObjectStoreRepository, WriteDecision } from '../storage/object-store.repository';
import { timestamp } from './object-meta';
import { keyOf, ResourceContext, subjectOf } from './resource-context';

/** The pods/binding subresource (upstream's BindingREST). */
@Injectable()
export class PodBindingService {
  constructor(
    private readonly store: ObjectStoreRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * pods/binding: what a scheduler posts to place a pod. Sets spec.nodeName once, marks the
   * pod PodScheduled and copies the Binding's annotations onto the pod, as upstream does.
   */
  async bind(ctx: ResourceContext, name: string, body: JsonObject, dryRun: boolean): Promise<Status> {
    const target = isJsonObject(body.target) ? body.target : {};
    const nodeName = target.name;
    if (typeof nodeName !== 'string' || nodeName === '') {
      throw ApiError.invalid('', 'Binding', name, [
        { reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' },
      ]);
    }
    const meta = isJsonObject(body.metadata) ? body.metadata : {};
    const annotations = isJsonObject(meta.annotations) ? (meta.annotations as Record<string, string>) : {};
    const now = timestamp(this.clock.now());
    const decide = (current: KubeObject | undefined): WriteDecision => {
      if (!current) throw ApiError.notFound(subjectOf(ctx, name));
      const spec = isJsonObject(current.spec) ? current.spec : {};
      if (current.metadata.deletionTimestamp)
        throw ApiError.conflict(subjectOf(ctx, name), `pod ${name} is being deleted, cannot be assigned to a host`);
      if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
        throw ApiError.conflict(subjectOf(ctx, name), `pod ${name} is already assigned to node "${spec.nodeName}"`);
      }
      const status = isJsonObject(current.status) ? current.status : {};
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
        (c) => !(isJsonObject(c) && c.type === 'PodScheduled'),
      );
      const bound: KubeObject = {
        ...current,
        metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, ...annotations } },
        spec: { ...spec, nodeName },
        status: {
          ...status,
          conditions: [
            ...conditions,
            { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
          ],
        },
      };
      return { op: 'update', object: bound };
    };
    if (!dryRun) await this.store.write(keyOf(ctx, name), decide);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }
}
