import { KubeObject } from '@skiff/api-machinery';
import {
  ControllerContext,
  PERSISTENT_VOLUME_CLAIMS,
  PERSISTENT_VOLUMES,
  STORAGE_CLASSES,
} from '@skiff/controller-runtime';
import { KubeApiError, KubeClient, ResourceRef } from '@skiff/kube-client';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/kube-types';
import { FakeCluster } from '@skiff/testing';
import { ProvisioningError } from './provisioning.error';
import { requestedBytes } from './volume-matching';
import { VolumeProvisioner } from './volume-provisioner';

type Op = 'provision' | 'delete' | 'expand';

/** A backend that keeps its volumes in a map: sizes by volume handle, each call logged, failures on demand. */
export class FakeVolumeProvisioner extends VolumeProvisioner {
  readonly sizes = new Map<string, number>();
  readonly calls: string[] = [];
  private readonly failures: { op: Op; error: Error }[] = [];

  /** `nameVolumes`: the backend names its PVs (as disks do, `d-…`); otherwise the controller names them. */
  constructor(
    readonly names: readonly string[],
    private readonly nameVolumes = true,
  ) {
    super();
  }

  /** The next call of `op` throws `error`. */
  fail(op: Op, error: Error): void {
    this.failures.push({ op, error });
  }

  async provision(claim: PersistentVolumeClaim, sc: StorageClass, node?: string): Promise<PersistentVolume> {
    this.call('provision', `${claim.metadata.name}${node ? ` on ${node}` : ''}`);
    const handle = `d-${claim.metadata.uid}`; // the same volume when asked again for the claim
    this.sizes.set(handle, requestedBytes(claim));
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: this.nameVolumes ? { name: handle } : {},
      spec: {
        capacity: { storage: claim.spec.resources!.requests!.storage },
        accessModes: claim.spec.accessModes,
        csi: { driver: sc.provisioner, volumeHandle: handle, fsType: 'ext4' },
      },
    };
  }

  async delete(pv: PersistentVolume): Promise<void> {
    this.call('delete', pv.metadata.name!);
    this.sizes.delete(pv.spec.csi!.volumeHandle);
  }

  async expand(pv: PersistentVolume, bytes: number): Promise<void> {
    this.call('expand', `${pv.metadata.name} to ${bytes}`);
    this.sizes.set(pv.spec.csi!.volumeHandle, bytes);
  }

  private call(op: Op, what: string): void {
    this.calls.push(`${op} ${what}`);
    const i = this.failures.findIndex((f) => f.op === op);
    if (i >= 0) throw this.failures.splice(i, 1)[0].error;
  }
}

export const infeasible = (detail: string) => new ProvisioningError('InvalidArgument', detail);
export const unavailable = (detail: string) => new ProvisioningError('Unavailable', detail);

/**
 * The controllers' context on a FakeCluster, with what they rely on from the real API server beyond it: a delete
 * of an object with finalizers only sets its deletionTimestamp, the object goes when its last finalizer does, and
 * `list` answers from the store (a live list).
 */
export function apiContext(cluster: FakeCluster): ControllerContext {
  const base = cluster.ctx;
  const resource = (ref: ResourceRef) => {
    const api = base.client.resource(ref);
    const reaped = (o: KubeObject) => {
      if (o.metadata.deletionTimestamp && !o.metadata.finalizers?.length)
        cluster.remove(ref, o.metadata.namespace, o.metadata.name!);
      return o;
    };
    return {
      get: api.get.bind(api),
      create: api.create.bind(api),
      patch: async (...args: Parameters<typeof api.patch>) => reaped(await api.patch(...args)),
      patchStatus: async (...args: Parameters<typeof api.patchStatus>) => reaped(await api.patchStatus(...args)),
      delete: async (ns: string | undefined, name: string) => {
        cluster.writes.push(`delete ${name}`);
        deleteAsApiServer(cluster, ref, ns, name);
      },
      list: async (ns?: string) => ({
        metadata: {},
        items: cluster.list(ref).filter((o) => !ns || o.metadata.namespace === ns),
      }),
    };
  };
  return { ...base, client: { resource } as unknown as KubeClient };
}

/** A delete as the API server does it: with finalizers the object stays, marked for deletion. */
export function deleteAsApiServer(cluster: FakeCluster, ref: ResourceRef, ns: string | undefined, name: string): void {
  const o = cluster.get(ref, ns, name);
  if (!o) throw new KubeApiError(404, 'NotFound', `${name} not found`);
  if (!o.metadata.finalizers?.length) return cluster.remove(ref, ns, name);
  if (!o.metadata.deletionTimestamp)
    cluster.put(ref, { ...o, metadata: { ...o.metadata, deletionTimestamp: '2024-03-01T10:00:00Z' } });
}

export const GI = 1024 ** 3;

export function storageClass(name: string, extra: Partial<StorageClass> = {}): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'diskplugin.csi.alibabacloud.com',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    ...extra,
  };
}

export function claim(
  name: string,
  spec: Partial<PersistentVolumeClaim['spec']> = {},
  metadata: Partial<PersistentVolumeClaim['metadata']> = {},
): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { namespace: 'team', name, ...metadata },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
      volumeMode: 'Filesystem',
      ...spec,
    },
    status: { phase: 'Pending' },
  };
}

export function volume(
  name: string,
  spec: Partial<PersistentVolume['spec']> = {},
  metadata: Partial<PersistentVolume['metadata']> = {},
): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...metadata },
    spec: {
      capacity: { storage: '20Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      volumeMode: 'Filesystem',
      nfs: { server: 'nas.example', path: `/share/${name}` },
      ...spec,
    },
    status: { phase: 'Available' },
  };
}

export const claimIn = (cluster: FakeCluster, name: string) =>
  cluster.get<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS, 'team', name);
export const volumeIn = (cluster: FakeCluster, name: string) =>
  cluster.get<PersistentVolume>(PERSISTENT_VOLUMES, undefined, name);
export const putClass = (cluster: FakeCluster, sc: StorageClass) => cluster.put(STORAGE_CLASSES, sc);
