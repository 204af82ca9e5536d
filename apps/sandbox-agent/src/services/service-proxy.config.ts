/** Where the data plane writes: its own nft table, the pod bridge it serves, the addresses that bridge reaches. */
export interface ServiceProxyConfig {
  /** nft table (family inet), e.g. `skiff_svc`; must start with `skiff`. */
  table: string;
  bridge: string;
  /** The VSwitch CIDR on the bridge: endpoints outside it are not programmed. */
  podCidr: string;
  /**
   * Ports of the host's own services (the API server, the cluster DNS) on its loopback: a system Service's
   * endpoint on the bridge's gateway address with one of these ports is sent there.
   */
  hostServicePorts: number[];
}

export const SERVICE_PROXY_CONFIG = Symbol('SERVICE_PROXY_CONFIG');
export const SERVICE_CACHES = Symbol('SERVICE_CACHES');

/** The data plane's table beside the host table of the egress drop (`skiff` → `skiff_svc`). */
export function serviceTableOf(hostTable: string): string {
  return `${hostTable}_svc`;
}
