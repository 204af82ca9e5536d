// Evicts a pod through @kubernetes/client-node's createNamespacedPodEviction (policy/v1 Eviction).
// Prints one JSON line: the answer, or the refusal's HTTP code and Status.
import * as k8s from '@kubernetes/client-node';

const [kubeconfig, ns, pod] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);

try {
  const res = await core.createNamespacedPodEviction({
    name: pod,
    namespace: ns,
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: ns } },
  });
  console.log(JSON.stringify({ step: 'evict', code: 201, body: res }));
} catch (err) {
  console.log(JSON.stringify({ step: 'evict', code: err.code, body: JSON.parse(err.body) }));
}
