import { OnApplicationShutdown } from '@nestjs/common';
import { KubeObject } from '@skiff/api-machinery';
import { isNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';

/** Whether a pod still exists in the Kubernetes API; the seam the garbage collector is faked at. */
export abstract class PodLookup {
  /**
   * False only when the API says so: the pod is not found, or the name now belongs to a
   * newer pod with another uid. Rejects when the API cannot be asked (then nothing is freed).
   */
  abstract exists(namespace: string, name: string, uid: string): Promise<boolean>;
}

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true } as const;

/** Asks the API server through @skiff/kube-client (one GET per candidate leak). */
export class KubePodLookup extends PodLookup implements OnApplicationShutdown {
  private readonly pods: ResourceClient<KubeObject>;

  constructor(private readonly client: KubeClient) {
    super();
    this.pods = client.resource<KubeObject>(PODS);
  }

  async exists(namespace: string, name: string, uid: string): Promise<boolean> {
    try {
      const pod = await this.pods.get(namespace, name);
      return pod.metadata.uid === uid;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  onApplicationShutdown(): void {
    this.client.close();
  }
}
