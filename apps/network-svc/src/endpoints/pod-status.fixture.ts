import { apiRequest } from '@skiff/testing';
import type { RunningStack } from '@skiff/stack';

/** What a sandbox agent reports for a running pod (address, Running, Ready or not), through pods/status. */
export async function reportPod(stack: RunningStack, namespace: string, name: string, ip: string, ready: boolean) {
  const res = await apiRequest(
    stack,
    'PATCH',
    `/api/v1/namespaces/${namespace}/pods/${name}/status`,
    {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      },
    },
    'application/merge-patch+json',
  );
  if (res.status !== 200) throw new Error(`reporting pod ${namespace}/${name}: ${res.status}`);
}
