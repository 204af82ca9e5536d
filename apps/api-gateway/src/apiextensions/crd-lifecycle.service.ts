import { Injectable, Logger } from '@nestjs/common';
import { ApiError, Clock, isJsonObject, KubeObject, errorMessage } from '@skiff/api-machinery';
import {
  acceptedNamesOf,
  apiVersionOf,
  CRD_GROUP,
  CRD_RESOURCE,
  CrdCondition,
  crdSpecOf,
  CUSTOM_RESOURCE_CLEANUP_FINALIZER,
  decideNames,
  NamesVerdict,
  ResourceRegistry,
  storageVersionOf,
} from '@skiff/api-server';
import { isDeepStrictEqual } from 'node:util';
import { DeletionService } from '../kube-api/deletion.service';
import { timestamp } from '../kube-api/object-meta';
import { ResourceContext } from '../kube-api/resource-context';
import { ObjectStoreRepository } from '../storage/object-store.repository';

/**
 * The CRD controllers of apiextensions-apiserver, run by every gateway (their writes are
 * idempotent): naming and establishing (status conditions, acceptedNames, storedVersions), and
 * the customresourcecleanup finalizer (a deleted CRD's objects go first, then the CRD).
 */
@Injectable()
export class CustomResourceDefinitionLifecycleService {
  private readonly log = new Logger(CustomResourceDefinitionLifecycleService.name);

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStoreRepository,
    private readonly deletion: DeletionService,
    private readonly clock: Clock,
  ) {}

  /** `crds`: every stored CRD, already served by this gateway's registry. */
  async reconcile(crds: KubeObject[]): Promise<void> {
    const verdicts = decideNames(crds);
    for (const crd of crds) {
      const name = crd.metadata.name ?? '';
      try {
        if (crd.metadata.deletionTimestamp) await this.finalize(crd);
        else await this.writeStatus(name, verdicts.get(name));
      } catch (err) {
        this.log.warn(`CustomResourceDefinition ${name}: ${errorMessage(err)}`);
      }
    }
  }

  private async writeStatus(name: string, verdict: NamesVerdict | undefined): Promise<void> {
    if (!verdict) return;
    const now = timestamp(this.clock.now());
    await this.store.write(crdKey(name), (current) => {
      if (!current || current.metadata.deletionTimestamp) return { op: 'none', object: current };
      const status = isJsonObject(current.status) ? current.status : {};
      const spec = crdSpecOf(current);
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as unknown as CrdCondition[];
      const accepted = verdict.accepted
        ? [
            condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found'),
            condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted'),
          ]
        : [
            condition('NamesAccepted', 'False', verdict.reason, verdict.message),
            condition('Established', 'False', 'NotAccepted', 'not all names are accepted'),
          ];
      const storage = storageVersionOf(spec);
      const stored = Array.isArray(status.storedVersions) ? (status.storedVersions as string[]) : [];
      const next = {
        ...status,
        conditions: mergeConditions(conditions, accepted, now),
        acceptedNames: verdict.accepted
          ? acceptedNamesOf(spec.names)
          : (status.acceptedNames ?? { plural: '', kind: '' }),
        storedVersions: storage && !stored.includes(storage) ? [...stored, storage] : stored,
      };
      if (isDeepStrictEqual(next, status)) return { op: 'none', object: current };
      return { op: 'update', object: { ...current, status: next } };
    });
  }

  // Deletes the CRD's objects; once none is left, drops the finalizer (and so the CRD).
  private async finalize(crd: KubeObject): Promise<void> {
    const name = crd.metadata.name ?? '';
    if (!(crd.metadata.finalizers ?? []).includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) return;
    const spec = crdSpecOf(crd);
    const type = this.registry.all().find((t) => t.custom?.crd === name && t.version === storageVersionOf(spec));
    if (type) {
      const ctx: ResourceContext = {
        info: { verb: 'delete', group: type.group, version: type.version, resource: type.resource },
        type,
        apiVersion: apiVersionOf(type),
        namespace: '',
      };
      const { items } = await this.store.list({ group: type.group, resource: type.resource });
      if (items.length > 0) {
        await this.setTerminating(name, 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress');
        for (const item of items) {
          if (item.metadata.deletionTimestamp) continue; // waiting for its own finalizers
          try {
            await this.deletion.delete({ ...ctx, namespace: item.metadata.namespace ?? '' }, item.metadata.name ?? '', {
              dryRun: false,
              propagationPolicy: 'Background',
            });
          } catch (err) {
            if (!(err instanceof ApiError && err.code === 404)) throw err;
          }
        }
        const left = await this.store.list({ group: type.group, resource: type.resource, limit: 1 });
        if (left.items.length > 0) return;
      }
    }
    await this.store.write(crdKey(name), (current) => {
      if (!current?.metadata.deletionTimestamp) return { op: 'none', object: current };
      const finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== CUSTOM_RESOURCE_CLEANUP_FINALIZER);
      const next = { ...current, metadata: { ...current.metadata, finalizers } };
      return finalizers.length === 0 ? { op: 'delete', object: next } : { op: 'update', object: next };
    });
  }

  private async setTerminating(
    name: string,
    status: CrdCondition['status'],
    reason: string,
    message: string,
  ): Promise<void> {
    const now = timestamp(this.clock.now());
    await this.store.write(crdKey(name), (current) => {
      if (!current) return { op: 'none', object: current };
      const st = isJsonObject(current.status) ? current.status : {};
      const conditions = (Array.isArray(st.conditions) ? st.conditions : []) as unknown as CrdCondition[];
      const merged = mergeConditions(conditions, [condition('Terminating', status, reason, message)], now);
      if (isDeepStrictEqual(merged, conditions)) return { op: 'none', object: current };
      return { op: 'update', object: { ...current, status: { ...st, conditions: merged } } };
    });
  }
}

function crdKey(name: string): { group: string; resource: string; namespace: string; name: string } {
  return { group: CRD_GROUP, resource: CRD_RESOURCE, namespace: '', name };
}

function condition(type: string, status: CrdCondition['status'], reason: string, message: string): CrdCondition {
  return { type, status, reason, message };
}

// A condition keeps its lastTransitionTime unless its status changes.
function mergeConditions(current: CrdCondition[], wanted: CrdCondition[], now: string): CrdCondition[] {
  const out = current.filter((c) => !wanted.some((w) => w.type === c.type));
  for (const w of wanted) {
    const old = current.find((c) => c.type === w.type);
    out.push({
      ...w,
      lastTransitionTime: old && old.status === w.status && old.lastTransitionTime ? old.lastTransitionTime : now,
    });
  }
  return out.sort((a, b) => CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type));
}

const CONDITION_ORDER = ['NamesAccepted', 'Established', 'Terminating'];
