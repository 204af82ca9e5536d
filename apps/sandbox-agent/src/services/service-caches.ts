import { ENDPOINT_SLICES, Informer, SERVICES, SharedInformers } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { EndpointSlice, Service } from '@skiff/kube-types';

/** The list+watch caches the data plane reads: every Service and EndpointSlice of the cluster. */
export interface ServiceCaches {
  services: Pick<Informer<Service>, 'list' | 'get' | 'on' | 'hasSynced'>;
  slices: Pick<Informer<EndpointSlice>, 'list' | 'on'>;
  start(): void;
  /** Resolves once both have listed (rejects after two minutes; the caller waits again). */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

/** Shared informers of the agent's own client: not leader-elected, every agent programs its own host. */
export function serviceCachesOf(client: KubeClient): ServiceCaches {
  const informers = new SharedInformers(client);
  return {
    services: informers.get<Service>(SERVICES),
    slices: informers.get<EndpointSlice>(ENDPOINT_SLICES),
    start: () => informers.start(),
    synced: () => informers.synced(),
    stop: () => informers.stop(),
  };
}
