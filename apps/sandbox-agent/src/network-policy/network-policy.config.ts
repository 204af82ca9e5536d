import { Informer, NAMESPACES, NETWORK_POLICIES, PODS, SharedInformers } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { Namespace, NetworkPolicy, Pod } from '@skiff/kube-types';

/** Where NetworkPolicies are enforced: the agent's own nft table and the pod bridge it guards. */
export interface NetworkPolicyConfig {
  /** nft table (family inet), e.g. `skiff_pol`; must start with `skiff`. */
  table: string;
  bridge: string;
}

export const NETWORK_POLICY_CONFIG = Symbol('NETWORK_POLICY_CONFIG');
export const NETWORK_POLICY_CACHES = Symbol('NETWORK_POLICY_CACHES');

/** The policy table beside the host table of the egress drop (`skiff` → `skiff_pol`). */
export function policyTableOf(hostTable: string): string {
  return `${hostTable}_pol`;
}

/** What policies are computed from: every NetworkPolicy, Pod and Namespace of the cluster (peers live anywhere). */
export interface NetworkPolicyCaches {
  policies: Pick<Informer<NetworkPolicy>, 'list' | 'on'>;
  pods: Pick<Informer<Pod>, 'list' | 'on'>;
  namespaces: Pick<Informer<Namespace>, 'list' | 'on'>;
  start(): void;
  /** Resolves once all have listed (rejects after two minutes; the caller waits again). */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

/** Shared informers of the agent's own client: not leader-elected, every agent guards its own host. */
export function networkPolicyCachesOf(client: KubeClient): NetworkPolicyCaches {
  const informers = new SharedInformers(client);
  return {
    policies: informers.get<NetworkPolicy>(NETWORK_POLICIES),
    pods: informers.get<Pod>(PODS),
    namespaces: informers.get<Namespace>(NAMESPACES),
    start: () => informers.start(),
    synced: () => informers.synced(),
    stop: () => informers.stop(),
  };
}
