import { errorMessage, KubeObject } from '@skiff/api-machinery';
import { ignoreAlreadyExists, KubeClient } from '@skiff/kube-client';
import { CUSTOM_RESOURCE_DEFINITIONS } from './resources';

const CRD_RETRY_MS = 2_000;

/**
 * Creates the CRDs a service brings (leaving existing ones as they are). The API server may still be starting:
 * tries until it takes them, or until `stopped()`; each failed try is reported to `warn`.
 */
export async function installCustomResourceDefinitions(
  client: KubeClient,
  crds: readonly KubeObject[],
  stopped: () => boolean,
  warn: (message: string) => void,
): Promise<void> {
  for (const crd of crds) {
    while (!stopped()) {
      try {
        await client.resource(CUSTOM_RESOURCE_DEFINITIONS).create(undefined, crd).catch(ignoreAlreadyExists);
        break;
      } catch (err) {
        warn(`installing the ${crd.metadata.name} CRD: ${errorMessage(err)}; retrying`);
        await new Promise((r) => setTimeout(r, CRD_RETRY_MS));
      }
    }
  }
}
