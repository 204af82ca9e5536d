// A user's kubeconfig (a client certificate, as `npm run user -- add` writes it) in @kubernetes/client-node (an ES
// module, so it runs in its own Node process): who am I, list pods, delete one. One JSON line per step.
import * as k8s from '@kubernetes/client-node';

const [kubeconfig, ns] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const out = (step, data) => console.log(JSON.stringify({ step, ...data }));

const review = await kc.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
out('whoami', { userInfo: review.status.userInfo });

const core = kc.makeApiClient(k8s.CoreV1Api);
const pods = await core.listNamespacedPod({ namespace: ns });
out('list', { names: pods.items.map((p) => p.metadata.name).sort() });

try {
  await core.deleteNamespacedPod({ name: 'x', namespace: ns });
  out('delete', { code: 200 });
} catch (err) {
  out('delete', { code: err.code, message: JSON.parse(err.body).message });
}
