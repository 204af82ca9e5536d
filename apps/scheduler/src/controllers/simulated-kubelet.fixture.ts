import { apiRequest, TestCluster } from '@skiff/testing';

/**
 * For controller integration specs, as upstream's: no sandbox runs, so the spec plays the
 * kubelet and writes pod status itself. Pods whose template names this node are left alone
 * by the scheduler's placement (they are already bound).
 */
export const SIMULATED_NODE = 'simulated-node';

export interface PodView {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    deletionTimestamp?: string;
    creationTimestamp: string;
    annotations?: Record<string, string>;
  };
  spec: { containers: { image: string }[]; nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export function simulatedKubelet(cluster: TestCluster, namespace: string) {
  const podsPath = `/api/v1/namespaces/${namespace}/pods`;
  const setStatus = async (name: string, status: object): Promise<void> => {
    const res = await apiRequest(
      cluster.stack,
      'PATCH',
      `${podsPath}/${name}/status`,
      { status },
      'application/merge-patch+json',
    );
    if (res.status !== 200) throw new Error(`status of pod ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const now = (): string => new Date().toISOString();
  let loop: NodeJS.Timeout | undefined;
  const kubelet = {
    /**
     * Every 200 ms: finishes graceful deletions as a kubelet would once containers stopped, and
     * (with `autoReady`) starts new pods Running and Ready unless they carry the label `simulated/stuck`.
     */
    start(opts: { autoReady?: boolean } = {}): void {
      loop = setInterval(() => {
        void (async () => {
          const res = await apiRequest(cluster.stack, 'GET', podsPath);
          for (const pod of (res.body as { items?: PodView[] }).items ?? []) {
            if (pod.metadata.deletionTimestamp)
              await apiRequest(cluster.stack, 'DELETE', `${podsPath}/${pod.metadata.name}`, {
                gracePeriodSeconds: 0,
                preconditions: { uid: pod.metadata.uid },
              });
            else if (opts.autoReady && pod.status?.phase === 'Pending' && !pod.metadata.labels?.['simulated/stuck'])
              await kubelet.running(pod.metadata.name);
          }
        })().catch(() => undefined);
      }, 200);
    },
    stop(): void {
      clearInterval(loop);
    },
    async pods(selector?: string): Promise<PodView[]> {
      const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
      const res = await apiRequest(cluster.stack, 'GET', `${podsPath}${q}`);
      return (res.body as { items: PodView[] }).items;
    },
    running: (name: string, ready = true): Promise<void> =>
      setStatus(name, {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now() },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now() },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now() },
        ],
      }),
    finished: (name: string, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Succeeded' ? 0 : 1): Promise<void> =>
      setStatus(name, {
        phase,
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now() }],
        containerStatuses: [
          {
            name: 'c',
            ready: false,
            restartCount: 0,
            image: 'busybox',
            imageID: '',
            state: { terminated: { exitCode, reason: phase === 'Succeeded' ? 'Completed' : 'Error' } },
          },
        ],
      }),
  };
  return kubelet;
}
