// Replicas that serve behind a Service without pods (the API server for default/kubernetes, the
// cluster DNS for kube-system/kube-dns) each renew a Lease carrying their address; the Service's
// Endpoints list the replicas whose Lease is fresh, as upstream's lease endpoint reconciler does.
import { KubeObject } from '@skiff/api-machinery';
import { isNotFound, KubeClient } from '@skiff/kube-client';
import { Lease } from '@skiff/kube-types';
import { microTime } from './leader-elector';
import { LEASES } from './resources';

export const ADVERTISE_ADDRESS_ANNOTATION = 'skiff.io/advertise-address';
export const REPLICA_LEASE_SECONDS = 30;

/** The Lease `<prefix><identity>` in kube-system a replica renews, with its address. */
export function replicaLease(prefix: string, identity: string, address: string, now: Date): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: `${prefix}${identity}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-'),
      namespace: 'kube-system',
      annotations: { [ADVERTISE_ADDRESS_ANNOTATION]: address },
    },
    spec: { holderIdentity: identity, leaseDurationSeconds: REPLICA_LEASE_SECONDS, renewTime: microTime(now) },
  };
}

/** Writes a replica's Lease: created the first time, replaced (at the version read) after. */
export async function renewReplicaLease(client: KubeClient, lease: Lease): Promise<void> {
  const api = client.resource<Lease>(LEASES);
  const current = await api.get('kube-system', lease.metadata.name!).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (current)
    await api.update('kube-system', {
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: current.metadata.resourceVersion },
    });
  else await api.create('kube-system', lease);
}

/** The addresses of the replicas (Leases named `<prefix>…`) whose Lease has not expired, sorted. */
export function liveReplicaAddresses(leases: readonly KubeObject[], prefix: string, nowMs: number): string[] {
  const live = leases.filter((l) => {
    if (!l.metadata.name?.startsWith(prefix)) return false;
    const spec = (l as Lease).spec;
    return Boolean(spec?.renewTime) && Date.parse(spec!.renewTime!) + (spec!.leaseDurationSeconds ?? 0) * 1000 > nowMs;
  });
  return [
    ...new Set(live.map((l) => l.metadata.annotations?.[ADVERTISE_ADDRESS_ANNOTATION]).filter(Boolean)),
  ].sort() as string[];
}
