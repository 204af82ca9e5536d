// A client-node informer on one namespace's ConfigMaps. Prints each event as a JSON line; the
// test drives changes (and restarts the API server) from outside.
import * as k8s from '@kubernetes/client-node';

const [kubeconfig, ns] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const out = (event, data = {}) => console.log(JSON.stringify({ event, ...data }));

let lists = 0;
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () => {
  lists += 1;
  out('list', { lists });
  return core.listNamespacedConfigMap({ namespace: ns });
});
informer.on('add', (o) => out('add', { name: o.metadata.name }));
informer.on('update', (o) => out('update', { name: o.metadata.name, data: o.data }));
informer.on('delete', (o) => out('delete', { name: o.metadata.name }));
// client-node stops an informer on a connection error; restarting it is the documented pattern.
informer.on('error', (err) => {
  out('error', { message: String(err?.message ?? err) });
  setTimeout(() => informer.start().catch(() => undefined), 500);
});
await informer.start();
out('synced', { names: informer.list().map((o) => o.metadata.name) });
