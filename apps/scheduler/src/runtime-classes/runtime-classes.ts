import { MANAGED_LABEL, RuntimeClass } from '@skiff/kube-types';

/** RuntimeClass name → the sandbox agent's runtime handler. */
export const RUNTIME_HANDLERS: Record<string, string> = { runc: 'runc', gvisor: 'runsc' };

export function runtimeClassObjects(): RuntimeClass[] {
  return Object.entries(RUNTIME_HANDLERS).map(([name, handler]) => ({
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name, labels: { [MANAGED_LABEL]: 'true' } },
    handler,
  }));
}
