import { KubeObject } from '@skiff/api-machinery';
import { claimObjects, ClaimRequest } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';

/**
 * claimObjects for a typed kind: what it answers are the candidates themselves or the API's
 * answers to adopting them, so objects of the candidates' kind.
 */
export async function claimTyped<T extends KubeObject>(
  client: KubeClient,
  req: ClaimRequest & { candidates: readonly T[] },
): Promise<T[]> {
  return (await claimObjects(client, req)) as T[];
}
